package dev.drydock.magics.maven;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Session;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * What {@code %maven} and {@code %classpath add} have put on the cells' classpath in this kernel, and the
 * one rule about adding more: a class loader cannot drop a jar, so a second version of a library that is
 * already there would never be seen. Such a conflict is an error that says what to do instead.
 *
 * <p>The kernel's own libraries count too: cells load classes parent-first from the loader that loaded the
 * kernel (and these magics), so a library the kernel bundles is always the kernel's version.
 */
public final class LoadedJars {

    /** A jar or folder on the cells' classpath; {@code key} and {@code version} are empty for a plain path. */
    public record Entry(String key, String version, Path path) {}

    /** What became of one jar of a resolution. */
    public enum Outcome { ADDED, ALREADY_ADDED, BUNDLED }

    private final Session session;
    private final ClassLoader kernelLoader;
    private final Map<Path, Entry> entries = new LinkedHashMap<>();

    public LoadedJars(Session session) {
        this(session, LoadedJars.class.getClassLoader());
    }

    LoadedJars(Session session, ClassLoader kernelLoader) {
        this.session = session;
        this.kernelLoader = kernelLoader;
    }

    public synchronized List<Entry> entries() {
        return List.copyOf(entries.values());
    }

    /**
     * Adds the jars of a resolution, all or none: a conflict with an earlier {@code %maven} or with a version
     * the kernel bundles (for an artifact asked for by name) throws before anything is added.
     *
     * @return per jar, in order, what became of it
     */
    public synchronized List<Outcome> addResolved(List<MavenResolver.Jar> jars) throws MagicException {
        List<Outcome> outcomes = new ArrayList<>();
        List<Path> toAdd = new ArrayList<>();
        List<Entry> added = new ArrayList<>();
        for (MavenResolver.Jar jar : jars) {
            checkConflict(jar);
            Entry earlier = earlier(jar.key());
            if (bundledVersion(jar.groupId(), jar.artifactId()).isPresent()) {
                outcomes.add(Outcome.BUNDLED);
            } else if (earlier != null || toAdd.contains(jar.file())) {
                outcomes.add(Outcome.ALREADY_ADDED);
            } else {
                toAdd.add(jar.file());
                added.add(new Entry(jar.key(), jar.version(), jar.file()));
                outcomes.add(Outcome.ADDED);
            }
        }
        add(toAdd, added);
        return outcomes;
    }

    /**
     * Throws when {@code jar} could never be what cells see: another version of it was loaded earlier, or the
     * kernel bundles another version of an artifact asked for by name. Called before resolving too, for
     * what the {@code %maven} line names, so a doomed download does not start.
     */
    public synchronized void checkConflict(MavenResolver.Jar jar) throws MagicException {
        Optional<String> bundled = bundledVersion(jar.groupId(), jar.artifactId());
        if (bundled.isPresent()) {
            if (jar.requested() && !bundled.get().equals(jar.version())) {
                throw MagicException.failed(jar.key() + ":" + jar.version() + " conflicts with " + jar.key() + ":"
                        + bundled.get() + ", which the Drydock kernel bundles: cells load the kernel's classes first,"
                        + " so they would always see " + bundled.get() + ". Ask for " + jar.key() + ":" + bundled.get()
                        + ", or use a library that does not clash with the kernel's.");
            }
            return;
        }
        Entry earlier = earlier(jar.key());
        if (earlier != null && !earlier.version().equals(jar.version())) {
            throw MagicException.failed(jar.key() + ":" + jar.version() + (jar.requested() ? "" : " (a dependency)")
                    + " conflicts with " + jar.key() + ":" + earlier.version() + ", which an earlier %maven put on the"
                    + " classpath: a loaded jar cannot be replaced, so cells would keep seeing " + earlier.version()
                    + ". Restart the kernel and load everything in one %maven line, where Maven picks one version"
                    + " (nearest wins), or ask for " + jar.key() + ":" + earlier.version() + ".");
        }
    }

    private Entry earlier(String key) {
        return entries.values().stream().filter(e -> e.key().equals(key)).findFirst().orElse(null);
    }

    /** Adds jars or class folders by path; ones added before are left out of the result. */
    public synchronized List<Path> addPaths(List<Path> paths) throws MagicException {
        List<Path> fresh = paths.stream().filter(path -> !entries.containsKey(path)).distinct().toList();
        add(fresh, fresh.stream().map(path -> new Entry("", "", path)).toList());
        return fresh;
    }

    private void add(List<Path> paths, List<Entry> recorded) throws MagicException {
        if (paths.isEmpty()) {
            return;
        }
        session.classPath().add(paths);
        recorded.forEach(entry -> entries.put(entry.path(), entry));
    }

    /** The version of {@code groupId:artifactId} inside the kernel, from the pom.properties its jar keeps. */
    Optional<String> bundledVersion(String groupId, String artifactId) {
        String resource = "META-INF/maven/" + groupId + "/" + artifactId + "/pom.properties";
        try (InputStream in = kernelLoader.getResourceAsStream(resource)) {
            if (in == null) {
                return Optional.empty();
            }
            Properties properties = new Properties();
            properties.load(in);
            return Optional.ofNullable(properties.getProperty("version"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long size(Path path) {
        try {
            return Files.isRegularFile(path) ? Files.size(path) : -1;
        } catch (IOException e) {
            return -1;
        }
    }
}

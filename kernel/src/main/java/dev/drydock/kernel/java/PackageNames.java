package dev.drydock.kernel.java;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Collection;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import jdk.jshell.JShell;
import jdk.jshell.SourceCodeAnalysis;

/**
 * The package names a cell can import, for completing {@code import java.ut} and {@code java.util.conc}.
 *
 * <p>JShell knows them from an index it builds in the background of every class on the platform and the
 * classpath, simple name to qualified names, for its own command-line tool's "add import" shortcut: 25 MB of
 * the kernel's 55 MB live heap with the kernel's jar on the classpath, built while the kernel starts. Its
 * completion uses only the package names, so {@link #openAnalysis} keeps that index from being built and this
 * class lists the packages instead: the platform's exported packages from its module descriptors, and the
 * packages of each classpath jar or folder, read once (again when it changes) and kept as names only.
 */
final class PackageNames {

    private final Set<String> platform = new TreeSet<>();
    private final Map<Path, Listing> classpath = new HashMap<>();

    private record Listing(FileTime modified, Set<String> packages) {}

    /** JShell's source analysis, created without the class index it would build (see the class comment). */
    static SourceCodeAnalysis openAnalysis(JShell shell) {
        return withoutIndexing(shell::sourceCodeAnalysis);
    }

    /** {@link JShell#addToClasspath}, without the index refresh that JShell queues for it once analysis exists. */
    static void addToClasspath(JShell shell, String entry) {
        withoutIndexing(() -> {
            shell.addToClasspath(entry);
            return null;
        });
    }

    /**
     * Runs {@code action} while a gate holds JShell's one indexer thread (shared by all instances in the JVM),
     * then drops what the action queued behind it: JShell's index refresh, which never runs. Where JShell's
     * internals cannot be reached (they are the same on JDK 17 and 25; the kernel jar's manifest opens them), the
     * action runs as it is and JShell builds its index: more memory, nothing wrong.
     */
    private static <T> T withoutIndexing(Supplier<T> action) {
        ThreadPoolExecutor indexer;
        try {
            Field field = Class.forName("jdk.jshell.SourceCodeAnalysisImpl").getDeclaredField("INDEXER");
            field.setAccessible(true);
            indexer = (ThreadPoolExecutor) field.get(null);
        } catch (ReflectiveOperationException | InaccessibleObjectException | ClassCastException ex) {
            return action.get();
        }
        CountDownLatch gate = new CountDownLatch(1);
        Runnable holder = () -> {
            try {
                gate.await();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        };
        indexer.execute(holder);
        try {
            return action.get();
        } finally {
            indexer.getQueue().removeIf(task -> task != holder);
            gate.countDown();
        }
    }

    /**
     * The next name part of every package under {@code parent} that starts with {@code partial}, each ending in
     * a dot ({@code util.} for parent {@code java} and partial {@code ut}); the top-level parts when
     * {@code parent} is empty.
     */
    List<String> nextParts(String parent, String partial, Collection<Path> classpathEntries) {
        String start = parent.isEmpty() ? "" : parent + ".";
        Set<String> parts = new TreeSet<>();
        Stream.concat(platform().stream(), classpathEntries.stream().flatMap(entry -> packagesOf(entry).stream()))
                .filter(name -> name.startsWith(start) && name.length() > start.length())
                .map(name -> {
                    int dot = name.indexOf('.', start.length());
                    return name.substring(start.length(), dot < 0 ? name.length() : dot);
                })
                .filter(part -> part.startsWith(partial))
                .forEach(part -> parts.add(part + "."));
        return List.copyOf(parts);
    }

    /**
     * The dotted name the cursor ends, split at its last dot: {@code java.util.conc} gives parent
     * {@code java.util} and partial {@code conc}, starting where {@code conc} does.
     */
    record Prefix(String parent, String partial, int start) {

        /** {@code null} where no package name can end at the cursor: after a call's dot, a digit, in a string. */
        static Prefix before(String code, int cursor) {
            int from = cursor;
            while (from > 0 && (Character.isJavaIdentifierPart(code.charAt(from - 1)) || code.charAt(from - 1) == '.')) {
                from--;
            }
            String name = code.substring(from, cursor);
            String line = code.substring(code.lastIndexOf('\n', cursor - 1) + 1, from);
            if (name.isEmpty() || !Character.isJavaIdentifierStart(name.charAt(0)) || name.contains("..")
                    || line.chars().filter(c -> c == '"').count() % 2 == 1 || line.contains("//")) {
                return null;
            }
            int dot = name.lastIndexOf('.');
            return new Prefix(dot < 0 ? "" : name.substring(0, dot), name.substring(dot + 1), from + dot + 1);
        }
    }

    private synchronized Set<String> platform() {
        if (platform.isEmpty()) {
            for (var module : ModuleFinder.ofSystem().findAll()) {
                module.descriptor().exports().stream()
                        .filter(export -> !export.isQualified())
                        .map(ModuleDescriptor.Exports::source)
                        .forEach(platform::add);
            }
        }
        return platform;
    }

    private synchronized Set<String> packagesOf(Path entry) {
        FileTime modified;
        try {
            modified = Files.getLastModifiedTime(entry);
        } catch (IOException ex) {
            return Set.of();
        }
        Listing known = classpath.get(entry);
        if (known == null || !known.modified().equals(modified)) {
            known = new Listing(modified, Files.isDirectory(entry) ? packagesInFolder(entry) : packagesInJar(entry));
            classpath.put(entry, known);
        }
        return known.packages();
    }

    private static Set<String> packagesInJar(Path jar) {
        Set<String> packages = new TreeSet<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                addPackageOf(entries.nextElement().getName(), packages);
            }
        } catch (IOException ex) {
            // Not a readable jar: javac cannot use it either, so it has no packages to offer.
        }
        return packages;
    }

    private static Set<String> packagesInFolder(Path folder) {
        Set<String> packages = new TreeSet<>();
        try (Stream<Path> files = Files.walk(folder)) {
            files.forEach(file -> addPackageOf(folder.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/"), packages));
        } catch (IOException | UncheckedIOException ex) {
            // A folder that cannot be read has no packages to offer.
        }
        return packages;
    }

    /** The package of a class file's path inside a jar or folder; versioned and META-INF entries are not packages. */
    private static void addPackageOf(String path, Set<String> packages) {
        int slash = path.lastIndexOf('/');
        if (slash > 0 && path.endsWith(".class") && !path.startsWith("META-INF/")) {
            packages.add(path.substring(0, slash).replace('/', '.'));
        }
    }
}

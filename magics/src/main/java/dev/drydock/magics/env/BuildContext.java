package dev.drydock.magics.env;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.aml.IgnoreRules;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The folder sent to the builder, always a fresh temporary copy deleted when closed. For a rendered
 * environment: the rendered Dockerfile, the spec files and, for the eo stage, the Drydock jar; nothing else
 * from the notebook's folder (no data, no {@code .env}). For a user's Dockerfile ({@link #snapshot}): the
 * files of the context folder that its {@code .dockerignore} lets through, so what the builder sees is
 * exactly what was hashed.
 */
public final class BuildContext implements AutoCloseable {

    /** Where a Dockerfile from outside the context folder goes inside the copy. */
    static final String OUTSIDE_DOCKERFILE = ".drydock.Dockerfile";

    private final Path dir;
    private final Map<String, String> files;
    private final Path dockerfile;

    private BuildContext(Path dir) {
        this(dir, Map.of(), null);
    }

    private BuildContext(Path dir, Map<String, String> files, Path dockerfile) {
        this.dir = dir;
        this.files = files;
        this.dockerfile = dockerfile;
    }

    public Path dir() {
        return dir;
    }

    /** For a {@link #snapshot}: each file sent, by its path relative to the context, with its SHA-256. */
    public Map<String, String> files() {
        return files;
    }

    /** For a {@link #snapshot}: the Dockerfile inside the copy (an absolute path). */
    public Path dockerfile() {
        return dockerfile;
    }

    /**
     * Copies what the builder may see of {@code folder}: every regular file its {@code .dockerignore} does
     * not exclude, and the Dockerfile (which the docker CLI always sends, ignored or not). A symbolic link is
     * copied as what it points to when that lies inside the folder, and refused otherwise, never dropped.
     */
    public static BuildContext snapshot(Path folder, Path dockerfile) throws MagicException {
        Path root = folder.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            throw MagicException.failed("The build context " + folder + " is not a folder.");
        }
        if (!Files.isRegularFile(dockerfile)) {
            throw MagicException.failed("The Dockerfile " + dockerfile + " does not exist or is not a file.");
        }
        Path dir = temporaryFolder();
        Map<String, String> hashes = new TreeMap<>();
        BuildContext context;
        try {
            Path realRoot = root.toRealPath();
            DockerIgnore ignore = ignoreRules(root);
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                    Path relative = root.relativize(d);
                    if (!relative.toString().isEmpty() && ignore.prunes(relative)) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    Files.createDirectories(dir.resolve(relative.toString()));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Path relative = root.relativize(file);
                    if (ignore.ignored(relative, false)) {
                        return FileVisitResult.CONTINUE;
                    }
                    Path source = file;
                    if (attrs.isSymbolicLink()) {
                        Path real = file.toRealPath();
                        if (!real.startsWith(realRoot)) {
                            throw new OutsideLink(relative + " links to " + real + ", outside the build context " + root);
                        }
                        source = real;
                        if (Files.isDirectory(real)) {
                            copyTree(real, dir.resolve(relative.toString()), hashes, relative);
                            return FileVisitResult.CONTINUE;
                        }
                    }
                    if (Files.isRegularFile(source)) {
                        Path copy = dir.resolve(relative.toString());
                        Files.copy(source, copy, StandardCopyOption.COPY_ATTRIBUTES);
                        hashes.put(slashed(relative), BuildInputs.sha256(Files.readAllBytes(copy)));
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
            Path realDockerfile = dockerfile.toAbsolutePath().normalize();
            Path inside = realDockerfile.startsWith(root) ? root.relativize(realDockerfile) : Path.of(OUTSIDE_DOCKERFILE);
            Path copy = dir.resolve(inside.toString());
            Files.createDirectories(copy.getParent());
            Files.copy(realDockerfile, copy, StandardCopyOption.REPLACE_EXISTING);
            context = new BuildContext(dir, Collections.unmodifiableMap(hashes), copy);
        } catch (OutsideLink e) {
            new BuildContext(dir).close();
            throw MagicException.failed(e.getMessage() + ": the builder cannot follow it. Copy the files into the"
                    + " context, or list the link in .dockerignore.");
        } catch (IOException e) {
            new BuildContext(dir).close();
            throw MagicException.failed("Cannot copy the build context " + root + ": " + e.getMessage());
        }
        return context;
    }

    /**
     * The one place that decides what of a context folder the builder may see: the context's
     * {@code .dockerignore}, read as the docker CLI reads it (moby's patternmatcher). Every pattern is relative
     * to the context's root; a pattern that matches a folder matches everything in it; the last pattern that
     * matches a path or one of its folders decides, so {@code !data/keep.csv} after {@code data/} brings that
     * one file back. Each pattern goes through the project's ignore-file engine anchored at the root.
     */
    static DockerIgnore ignoreRules(Path root) throws IOException {
        Path file = root.resolve(".dockerignore");
        List<DockerIgnore.Rule> rules = new ArrayList<>();
        if (Files.isRegularFile(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String text = line.strip();
                if (text.isEmpty() || text.startsWith("#")) {
                    continue;
                }
                boolean negated = text.startsWith("!");
                String pattern = negated ? text.substring(1).strip() : text;
                while (pattern.startsWith("./")) {
                    pattern = pattern.substring(2);
                }
                while (pattern.endsWith("/") && pattern.length() > 1) {
                    pattern = pattern.substring(0, pattern.length() - 1);
                }
                if (!pattern.isEmpty()) {
                    rules.add(new DockerIgnore.Rule(IgnoreRules.parse(List.of(pattern.startsWith("/") ? pattern
                            : "/" + pattern)), negated));
                }
            }
        }
        return new DockerIgnore(rules);
    }

    /** The patterns of one {@code .dockerignore}, in order. */
    record DockerIgnore(List<Rule> rules) {

        record Rule(IgnoreRules pattern, boolean negated) {}

        /** Whether {@code relative} (a path under the context) stays out of the build. */
        boolean ignored(Path relative, boolean folder) {
            boolean ignored = false;
            for (Rule rule : rules) {
                if (matchesOrParentMatches(rule.pattern(), relative, folder)) {
                    ignored = !rule.negated();
                }
            }
            return ignored;
        }

        /** Whether a folder's whole subtree can be left unwalked: nothing below it can be brought back. */
        boolean prunes(Path relative) {
            return ignored(relative, true) && rules.stream().noneMatch(Rule::negated);
        }

        private static boolean matchesOrParentMatches(IgnoreRules pattern, Path relative, boolean folder) {
            if (pattern.ignored(relative, folder)) {
                return true;
            }
            for (Path parent = relative.getParent(); parent != null; parent = parent.getParent()) {
                if (pattern.ignored(parent, true)) {
                    return true;
                }
            }
            return false;
        }
    }

    private static void copyTree(Path source, Path target, Map<String, String> hashes, Path relative) throws IOException {
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : files.toList()) {
                Path copy = target.resolve(source.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(copy);
                } else if (Files.isRegularFile(file)) {
                    Files.createDirectories(copy.getParent());
                    Files.copy(file, copy, StandardCopyOption.COPY_ATTRIBUTES);
                    hashes.put(slashed(relative.resolve(source.relativize(file).toString())),
                            BuildInputs.sha256(Files.readAllBytes(copy)));
                }
            }
        }
    }

    private static String slashed(Path relative) {
        return relative.toString().replace('\\', '/');
    }

    /** A link out of the context, carried out of the file walk. */
    private static final class OutsideLink extends IOException {
        OutsideLink(String message) {
            super(message);
        }
    }

    private static Path temporaryFolder() throws MagicException {
        try {
            return Files.createTempDirectory("drydock-build-");
        } catch (IOException e) {
            throw MagicException.failed("Cannot make a temporary folder for the build context: " + e.getMessage());
        }
    }

    /** Assembles the context in a new temporary folder. */
    public static BuildContext assemble(EnvSpec spec, String dockerfile, boolean explicitConda) throws MagicException {
        return assemble(spec, dockerfile, explicitConda, Optional.empty());
    }

    /** The same, with the Drydock jar for a stage that installs the kernel. */
    public static BuildContext assemble(EnvSpec spec, String dockerfile, boolean explicitConda, Optional<KernelJar> kernel)
            throws MagicException {
        Path dir = temporaryFolder();
        BuildContext context = new BuildContext(dir);
        try {
            Files.writeString(dir.resolve("Dockerfile"), dockerfile, StandardCharsets.UTF_8);
            if (spec.apt() != null) {
                Files.copy(spec.apt(), dir.resolve("apt.txt"));
            }
            if (spec.conda() != null) {
                Files.copy(spec.conda(), dir.resolve(explicitConda ? "conda-explicit.txt" : "environment.yml"));
            }
            if (spec.pip() != null) {
                Path pip = Files.createDirectories(dir.resolve("pip"));
                Files.copy(spec.pip(), pip.resolve("requirements.txt"));
                copyFindLinks(spec.pip(), pip);
            } else if (spec.poetry() != null) {
                Path pip = Files.createDirectories(dir.resolve("pip"));
                Files.writeString(pip.resolve("requirements.txt"), spec.pipRequirements(), StandardCharsets.UTF_8);
            }
            if (DockerfileRenderer.servesScoring(dockerfile)) {
                Files.write(dir.resolve(DockerfileRenderer.SERVER_FILE), DockerfileRenderer.server());
            }
            if (kernel.isPresent()) {
                Files.copy(kernel.get().path(), dir.resolve(KernelJar.CONTEXT_NAME));
            }
        } catch (IOException e) {
            context.close();
            throw MagicException.failed("Cannot assemble the build context of " + spec.name() + ": " + e.getMessage());
        } catch (MagicException e) {
            context.close();
            throw e;
        }
        return context;
    }

    /** Local {@code --find-links} folders go in at the same relative place, so the requirements file works unchanged. */
    private static void copyFindLinks(Path requirements, Path pip) throws MagicException, IOException {
        Path folder = requirements.toAbsolutePath().getParent();
        for (String link : SpecFiles.localFindLinks(requirements)) {
            Path source = folder.resolve(link).normalize();
            Path relative = folder.relativize(source);
            if (Path.of(link).isAbsolute() || relative.startsWith("..") || relative.toString().isEmpty()) {
                throw MagicException.failed(requirements + " points pip at " + link + " (--find-links), outside a folder"
                        + " of its own; the build sees only that folder, so put the wheels in a folder beside it.");
            }
            if (!Files.isDirectory(source)) {
                throw MagicException.failed(requirements + " points pip at " + link + " (--find-links), which is not a folder.");
            }
            Path target = pip.resolve(relative.toString());
            try (Stream<Path> files = Files.walk(source)) {
                for (Path file : files.toList()) {
                    Path copy = target.resolve(source.relativize(file).toString());
                    if (Files.isDirectory(file)) {
                        Files.createDirectories(copy);
                    } else if (Files.isRegularFile(file)) {
                        Files.createDirectories(copy.getParent());
                        Files.copy(file, copy);
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            // A leftover temporary folder is harmless; the build's result matters more.
        }
    }
}

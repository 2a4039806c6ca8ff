package dev.drydock.magics.env;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.files.OutboundFiles;
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
        try {
            OutboundFiles.copy(root, dir, OutboundFiles.Rules.DOCKER, List.of());
            // What the context sends, before the Dockerfile (which the docker CLI sends even when ignored) joins it.
            Map<String, String> hashes = hashes(dir);
            Path realDockerfile = dockerfile.toAbsolutePath().normalize();
            Path inside = realDockerfile.startsWith(root) ? root.relativize(realDockerfile) : Path.of(OUTSIDE_DOCKERFILE);
            Path copy = dir.resolve(inside.toString());
            Files.createDirectories(copy.getParent());
            Files.copy(realDockerfile, copy, StandardCopyOption.REPLACE_EXISTING);
            return new BuildContext(dir, Collections.unmodifiableMap(hashes), copy);
        } catch (IOException e) {
            new BuildContext(dir).close();
            throw MagicException.failed("Cannot copy the build context " + root + ": " + e.getMessage());
        } catch (MagicException e) {
            new BuildContext(dir).close();
            throw e;
        }
    }

    /** Each file of the copy by its path relative to the copy, with {@code /}, and its SHA-256. */
    private static Map<String, String> hashes(Path dir) throws IOException {
        Map<String, String> hashes = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                hashes.put(dir.relativize(file).toString().replace('\\', '/'), BuildInputs.sha256(Files.readAllBytes(file)));
            }
        }
        return hashes;
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
            // The wheels' folder enters the image under the outbound policy: no secret files, no .git, nothing its
            // .dockerignore excludes.
            OutboundFiles.copy(source, pip.resolve(relative.toString()), OutboundFiles.Rules.DOCKER, List.of());
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

package dev.drydock.magics.env;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.files.OutboundFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The folder sent to the builder: the rendered Dockerfile, the spec files and, for the eo stage, the Drydock
 * jar; nothing else from the notebook's folder (no data, no {@code .env}). Deleted when closed.
 */
public final class BuildContext implements AutoCloseable {

    private final Path dir;

    private BuildContext(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** Assembles the context in a new temporary folder. */
    public static BuildContext assemble(EnvSpec spec, String dockerfile, boolean explicitConda) throws MagicException {
        return assemble(spec, dockerfile, explicitConda, Optional.empty());
    }

    /** The same, with the Drydock jar for a stage that installs the kernel. */
    public static BuildContext assemble(EnvSpec spec, String dockerfile, boolean explicitConda, Optional<KernelJar> kernel)
            throws MagicException {
        Path dir;
        try {
            dir = Files.createTempDirectory("drydock-build-");
        } catch (IOException e) {
            throw MagicException.failed("Cannot make a temporary folder for the build context: " + e.getMessage());
        }
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

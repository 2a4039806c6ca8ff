package dev.drydock.kernel.install;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.magics.files.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Registers the {@code drydock} kernelspec: a folder {@code KERNELS/drydock} holding kernel.json, the
 * logos and a copy of the jar, so that rebuilding or cleaning the project never breaks an installed
 * kernel. kernel.json names the JDK and the jar by absolute path.
 *
 * <p>It also records a class-data-sharing archive of the classes a kernel loads ({@link Warmup}):
 * mapping them halves the time to the first {@code kernel_info_reply}. Without the archive (a JVM
 * that cannot write one) the kernel runs the same, only slower to start; a JDK update that makes the
 * archive stale is detected by the JVM, which then ignores it.
 */
public final class Installer {

    public static final String KERNEL_NAME = "drydock";
    private static final String SPEC_RESOURCE = "/kernelspec/";
    private static final List<String> SPEC_FILES = List.of("kernel.json", "logo-32x32.png", "logo-64x64.png");
    private static final String JAR_NAME = "drydock.jar";
    private static final String ARCHIVE_NAME = "drydock.jsa";
    private static final String ARCHIVE_PLACEHOLDER = "@CDS@";
    /** CDS logs every class it cannot archive (picocli is Java 5 bytecode) and every stale archive. */
    private static final String QUIET_CDS = "-Xlog:cds=off,cds+dynamic=off";
    private static final long WARMUP_SECONDS = 120;

    private final Path jar;
    private final Path javaExecutable;

    public Installer(Path jar, Path javaExecutable) {
        this.jar = jar;
        this.javaExecutable = javaExecutable;
    }

    /** The installer for the jar this class was loaded from, with the JDK that runs it. */
    public static Installer forRunningJar() {
        Path location;
        try {
            location = Path.of(Installer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot tell where the Drydock jar is", e);
        }
        if (!Files.isRegularFile(location) || !location.toString().endsWith(".jar")) {
            throw new IllegalStateException("install runs from the built jar: ./mvnw package, then "
                    + "java -jar kernel/target/drydock.jar install (this code was loaded from " + location + ")");
        }
        return new Installer(location, Path.of(System.getProperty("java.home"), "bin", "java"));
    }

    /** Jupyter's per-user data folder, as {@code jupyter --data-dir} gives it. */
    public static Path userKernelsDir() {
        String dataDir = System.getenv("JUPYTER_DATA_DIR");
        if (dataDir != null && !dataDir.isBlank()) {
            return Path.of(dataDir, "kernels");
        }
        Path home = Path.of(System.getProperty("user.home"));
        if (System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("mac")) {
            return home.resolve("Library/Jupyter/kernels");
        }
        String xdg = System.getenv("XDG_DATA_HOME");
        Path dataHome = xdg == null || xdg.isBlank() ? home.resolve(".local/share") : Path.of(xdg);
        return dataHome.resolve("jupyter/kernels");
    }

    public static Path prefixKernelsDir(Path prefix) {
        return prefix.toAbsolutePath().resolve("share/jupyter/kernels");
    }

    /** The active conda or virtual environment, else the prefix of the {@code python3} on PATH. */
    public static Path sysPrefixKernelsDir() throws IOException, InterruptedException {
        for (String variable : List.of("CONDA_PREFIX", "VIRTUAL_ENV")) {
            String prefix = System.getenv(variable);
            if (prefix != null && !prefix.isBlank()) {
                return prefixKernelsDir(Path.of(prefix));
            }
        }
        Process python = new ProcessBuilder("python3", "-c", "import sys; print(sys.prefix)")
                .redirectErrorStream(true).start();
        String prefix = new String(python.getInputStream().readAllBytes()).strip();
        if (python.waitFor() != 0 || prefix.isEmpty()) {
            throw new IOException("--sys-prefix needs python3 on PATH to tell its sys.prefix; it said: " + prefix);
        }
        return prefixKernelsDir(Path.of(prefix));
    }

    /** Installs into {@code kernelsDir/drydock}, replacing an earlier install; returns that folder. */
    public Path install(Path kernelsDir) throws IOException {
        Path target = kernelsDir.resolve(KERNEL_NAME);
        Files.createDirectories(target);
        Path installedJar = target.resolve(JAR_NAME);
        // Reinstalling from the installed copy itself must not replace the jar with itself.
        if (!Files.exists(installedJar) || !Files.isSameFile(jar, installedJar)) {
            copyAtomically(Files.newInputStream(jar), installedJar);
        }
        Path archive = recordClassArchive(installedJar.toAbsolutePath(), target.resolve(ARCHIVE_NAME));
        for (String file : SPEC_FILES) {
            if (file.equals("kernel.json")) {
                byte[] spec = kernelJson(installedJar.toAbsolutePath(), archive);
                copyAtomically(new java.io.ByteArrayInputStream(spec), target.resolve(file));
            } else {
                copyAtomically(resource(file), target.resolve(file));
            }
        }
        return target;
    }

    /**
     * Runs {@link Warmup} with the kernel's own JVM options and the installed jar (an archive is only
     * valid for the same jar path and JVM), dumping the classes it loaded; returns the archive, or
     * {@code null} when none could be made.
     */
    private Path recordClassArchive(Path installedJar, Path archive) throws IOException {
        Files.deleteIfExists(archive);
        List<String> command = new ArrayList<>();
        command.add(javaExecutable.toAbsolutePath().toString());
        command.addAll(jvmOptions(templateArgv()));
        command.add("-XX:ArchiveClassesAtExit=" + archive);
        command.add(QUIET_CDS);
        command.addAll(List.of("-jar", installedJar.toString(), "warmup"));
        try {
            Process warmup = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!warmup.waitFor(WARMUP_SECONDS, TimeUnit.SECONDS)) {
                warmup.destroyForcibly();
            }
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        return Files.isRegularFile(archive) && Files.size(archive) > 0 ? archive : null;
    }

    private byte[] kernelJson(Path installedJar, Path archive) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode spec;
        try (InputStream template = resource("kernel.json")) {
            spec = (ObjectNode) json.readTree(template);
        }
        ArrayNode templateArgv = (ArrayNode) spec.get("argv");
        ArrayNode argv = spec.putArray("argv");
        for (var argument : templateArgv) {
            if (argument.asText().equals(ARCHIVE_PLACEHOLDER)) {
                if (archive != null) {
                    argv.add("-XX:SharedArchiveFile=" + archive.toAbsolutePath());
                    argv.add(QUIET_CDS);
                }
                continue;
            }
            argv.add(argument.asText()
                    .replace("@JAVA@", javaExecutable.toAbsolutePath().toString())
                    .replace("@JAR@", installedJar.toString()));
        }
        return json.writerWithDefaultPrettyPrinter().writeValueAsBytes(spec);
    }

    private static List<String> templateArgv() throws IOException {
        List<String> argv = new ArrayList<>();
        try (InputStream template = resource("kernel.json")) {
            new ObjectMapper().readTree(template).get("argv").forEach(argument -> argv.add(argument.asText()));
        }
        return argv;
    }

    /** The JVM options of the template: what stands between the java executable and -jar. */
    private static List<String> jvmOptions(List<String> argv) {
        return argv.subList(1, argv.indexOf("-jar")).stream()
                .filter(option -> !option.equals(ARCHIVE_PLACEHOLDER))
                .toList();
    }

    private static InputStream resource(String file) {
        InputStream in = Installer.class.getResourceAsStream(SPEC_RESOURCE + file);
        if (in == null) {
            throw new UncheckedIOException(new IOException("the jar lacks " + SPEC_RESOURCE + file + "; rebuild it"));
        }
        return in;
    }

    private static void copyAtomically(InputStream source, Path target) throws IOException {
        try (source) {
            AtomicFiles.write(target, source.readAllBytes(), false, null);
        }
    }
}

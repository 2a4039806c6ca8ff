package dev.drydock.kernel.install;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;

/**
 * Registers the {@code drydock} kernelspec: a folder {@code KERNELS/drydock} holding kernel.json, the
 * logos and a copy of the jar, so that rebuilding or cleaning the project never breaks an installed
 * kernel. kernel.json names the JDK and the jar by absolute path.
 */
public final class Installer {

    public static final String KERNEL_NAME = "drydock";
    private static final String SPEC_RESOURCE = "/kernelspec/";
    private static final List<String> SPEC_FILES = List.of("kernel.json", "logo-32x32.png", "logo-64x64.png");
    private static final String JAR_NAME = "drydock.jar";

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
        for (String file : SPEC_FILES) {
            if (file.equals("kernel.json")) {
                byte[] spec = kernelJson(installedJar.toAbsolutePath());
                copyAtomically(new java.io.ByteArrayInputStream(spec), target.resolve(file));
            } else {
                copyAtomically(resource(file), target.resolve(file));
            }
        }
        return target;
    }

    private byte[] kernelJson(Path installedJar) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode spec;
        try (InputStream template = resource("kernel.json")) {
            spec = (ObjectNode) json.readTree(template);
        }
        ArrayNode templateArgv = (ArrayNode) spec.get("argv");
        ArrayNode argv = spec.putArray("argv");
        for (var argument : templateArgv) {
            argv.add(argument.asText()
                    .replace("@JAVA@", javaExecutable.toAbsolutePath().toString())
                    .replace("@JAR@", installedJar.toString()));
        }
        return json.writerWithDefaultPrettyPrinter().writeValueAsBytes(spec);
    }

    private static InputStream resource(String file) {
        InputStream in = Installer.class.getResourceAsStream(SPEC_RESOURCE + file);
        if (in == null) {
            throw new UncheckedIOException(new IOException("the jar lacks " + SPEC_RESOURCE + file + "; rebuild it"));
        }
        return in;
    }

    private static void copyAtomically(InputStream source, Path target) throws IOException {
        Path temporary = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
        try (source) {
            Files.copy(source, temporary, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}

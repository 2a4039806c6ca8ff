package dev.drydock.kernel.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.drydock.kernel.install.Installer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Real Jupyter clients against the built jar: installs the kernelspec into a private prefix and runs
 * Debian's system Python with {@code JUPYTER_PATH} pointing there, so nothing outside the build changes.
 */
final class JupyterHarness {

    static final Path PYTHON = Path.of(System.getProperty("drydock.python", "/usr/bin/python3"));
    static final Path JAR = Path.of("target", "drydock.jar").toAbsolutePath();
    static final Path PYTHON_TESTS = Path.of("src", "test", "python").toAbsolutePath();

    private final Path prefix;

    private JupyterHarness(Path prefix) {
        this.prefix = prefix;
    }

    /** Installs the built jar as the {@code drydock} kernel under {@code temp}. */
    static JupyterHarness install(Path temp) throws IOException {
        return install(temp.resolve("prefix"), Path.of(System.getProperty("java.home"), "bin", "java"));
    }

    /** Installs the built jar as the {@code drydock} kernel under {@code prefix}, run by {@code java}. */
    static JupyterHarness install(Path prefix, Path java) throws IOException {
        assertTrue(Files.isRegularFile(JAR), "integration tests run after `package`: " + JAR + " is missing");
        requirePythonModule("jupyter_client", "python3-jupyter-client");
        new Installer(JAR, java).install(Installer.prefixKernelsDir(prefix));
        return new JupyterHarness(prefix);
    }

    static void requirePythonModule(String module, String debianPackage) {
        Result probe = runQuietly(List.of(PYTHON.toString(), "-c", "import " + module), Path.of("."), null, 60);
        if (probe.exitCode() != 0) {
            fail(PYTHON + " cannot import " + module + ": install Debian's " + debianPackage
                    + " (bin/setup does), or point -Ddrydock.python at a Python that has it.\n" + probe.output());
        }
    }

    /** Runs a command with this harness's JUPYTER_PATH; output is echoed to the build log and returned. */
    Result run(List<String> command, Path workingDirectory, long timeoutSeconds) {
        return runQuietly(command, workingDirectory, prefix.resolve("share/jupyter"), Map.of(), timeoutSeconds);
    }

    /** Runs one of the unittest modules in src/test/python. */
    Result unittest(String module, long timeoutSeconds) {
        return unittest(module, Map.of(), timeoutSeconds);
    }

    /** Runs a unittest module with extra environment variables, which the kernels it starts inherit. */
    Result unittest(String module, Map<String, String> environment, long timeoutSeconds) {
        return runQuietly(List.of(PYTHON.toString(), "-m", "unittest", "-v", module), PYTHON_TESTS,
                prefix.resolve("share/jupyter"), environment, timeoutSeconds);
    }

    private static Result runQuietly(List<String> command, Path workingDirectory, Path jupyterPath, long timeoutSeconds) {
        return runQuietly(command, workingDirectory, jupyterPath, Map.of(), timeoutSeconds);
    }

    private static Result runQuietly(List<String> command, Path workingDirectory, Path jupyterPath,
            Map<String, String> environment, long timeoutSeconds) {
        try {
            ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command))
                    .directory(workingDirectory.toFile())
                    .redirectErrorStream(true);
            if (jupyterPath != null) {
                builder.environment().put("JUPYTER_PATH", jupyterPath.toString());
            }
            builder.environment().putAll(environment);
            // The kernel must not find a user-wide install that shadows the one under test.
            builder.environment().put("JUPYTER_DATA_DIR", workingDirectory.resolve(".jupyter-data").toAbsolutePath().toString());
            Process process = builder.start();
            StringBuilder output = new StringBuilder();
            Thread reader = new Thread(() -> {
                try (var lines = process.inputReader()) {
                    lines.lines().forEach(line -> {
                        System.out.println(line);
                        synchronized (output) {
                            output.append(line).append('\n');
                        }
                    });
                } catch (IOException ignored) {
                    // The process ended; what was read is kept.
                }
            });
            reader.start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                reader.join(5_000);
                return new Result(-1, output + "\n[timed out after " + timeoutSeconds + " s]");
            }
            reader.join(5_000);
            synchronized (output) {
                return new Result(process.exitValue(), output.toString());
            }
        } catch (IOException e) {
            return new Result(-1, "could not start " + command + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    record Result(int exitCode, String output) {}
}

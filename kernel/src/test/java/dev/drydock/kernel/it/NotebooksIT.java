package dev.drydock.kernel.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drydock.magics.engine.Docker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Executes the lifecycle notebooks of notebooks/ through nbconvert with the packaged drydock kernel, against
 * the real Docker engine, the local base images and the local registry (bin/setup-docker --python-base
 * --ml-base), in file order and in one shared folder, so a later stage finds what an earlier one left (the
 * scoring notebook serves the training notebook's model). The EO notebook's image installs apt packages, so
 * the engine's builds must reach a Debian mirror. A copy of the repository's docker/ folder sits
 * beside them, as in the repository. Each notebook runs twice in a row; the executed notebooks are kept under
 * target/notebooks/ as NAME-run1.ipynb and NAME-run2.ipynb.
 * 00-quickstart.ipynb has its own test ({@link QuickstartNotebookIT}).
 */
@Tag("integration")
@Tag("docker")
class NotebooksIT {

    private static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();
    private static final Path NOTEBOOKS = REPOSITORY.resolve("notebooks");
    private static final Path EXECUTED = Path.of("target", "notebooks").toAbsolutePath();
    /** The base images the notebooks build on: EO on the plain Python one, training and scoring on the ML one. */
    private static final List<String> BASES = List.of("drydock/python:bookworm", "drydock/ml:bookworm");
    private static final String COVERED_ELSEWHERE = "00-quickstart.ipynb";
    /** {@code %%writefile some/.env} cells: their KEY=VALUE lines are secrets the outputs must never show. */
    private static final Pattern ENV_CELL = Pattern.compile("\\A%%writefile\\s+(?:-a\\s+)?(\\S*\\.env)\\s*\\n(.*)\\z", Pattern.DOTALL);

    @TempDir
    static Path temp;

    private static JupyterHarness jupyter;
    private static Path work;

    @BeforeAll
    static void setUp() throws IOException {
        jupyter = JupyterHarness.install(temp);
        JupyterHarness.requirePythonModule("nbconvert", "jupyter-nbconvert");
        // A missing engine or base image would surface as some cell's error; say what to run instead.
        try (Docker docker = new Docker()) {
            for (String base : BASES) {
                docker.engine().client().inspectImageCmd(base).exec();
            }
        } catch (Exception e) {
            fail("The lifecycle notebooks need a Docker engine and " + BASES + ": run bin/setup-docker --python-base"
                    + " --ml-base. " + e.getMessage(), e);
        }
        work = Files.createDirectories(temp.resolve("repo/notebooks"));
        copyTree(REPOSITORY.resolve("docker"), temp.resolve("repo/docker"));
        Files.createDirectories(EXECUTED);
    }

    static List<Path> lifecycleNotebooks() throws IOException {
        try (Stream<Path> files = Files.list(NOTEBOOKS)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".ipynb"))
                    .filter(f -> !f.getFileName().toString().equals(COVERED_ELSEWHERE))
                    .sorted().toList();
        }
    }

    /**
     * Each notebook twice in a row in the same folder, as a person pressing Run All again would: a shared
     * orchestration notebook must run again as it is, over what its first run left.
     */
    @TestFactory
    Stream<DynamicTest> everyNotebookRunsTwiceWithoutErrorsAndShowsNoSecret() throws IOException {
        List<Path> notebooks = lifecycleNotebooks();
        assertFalse(notebooks.isEmpty(), "no lifecycle notebooks in " + NOTEBOOKS);
        return notebooks.stream().flatMap(notebook -> Stream.of(1, 2).map(run -> DynamicTest.dynamicTest(
                notebook.getFileName() + " (run " + run + ")", () -> execute(notebook, run))));
    }

    private static void execute(Path source, int run) throws IOException {
        Path copy = work.resolve(source.getFileName());
        Files.copy(source, copy, StandardCopyOption.REPLACE_EXISTING);
        String executedName = source.getFileName().toString().replaceFirst("\\.ipynb$", "") + "-run" + run + ".ipynb";
        JupyterHarness.Result result = jupyter.run(List.of(JupyterHarness.PYTHON.toString(), "-m", "nbconvert",
                "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=drydock",
                "--ExecutePreprocessor.timeout=540",
                // Errors are read from the executed notebook below, which is kept, with the output that led to them.
                "--ExecutePreprocessor.allow_errors=True", "--output-dir", EXECUTED.toString(), "--output", executedName,
                copy.toString()), work, 900);
        assertEquals(0, result.exitCode(), executedName + ": nbconvert failed:\n" + result.output());

        JsonNode executed = new ObjectMapper().readTree(EXECUTED.resolve(executedName).toFile());
        List<String> errors = new ArrayList<>();
        StringBuilder outputs = new StringBuilder();
        int cellsRun = 0;
        for (JsonNode cell : executed.get("cells")) {
            if (!cell.path("execution_count").isNull() && cell.path("cell_type").asText().equals("code")) {
                cellsRun++;
            }
            for (JsonNode output : cell.path("outputs")) {
                outputs.append(output).append('\n');
                if (output.path("output_type").asText().equals("error")) {
                    errors.add(output.path("ename").asText() + ": " + output.path("evalue").asText()
                            + "\n  after: " + tail(outputs.toString(), 2000));
                }
            }
        }
        assertEquals(List.of(), errors, executedName + " has error outputs");
        long codeCells = countCodeCells(executed);
        assertEquals(codeCells, cellsRun, executedName + ": every code cell runs");
        // A notebook may also write .env without showing the values in its source (04 copies them from the
        // registry's credentials file): whatever .env holds after the run is as secret.
        Set<String> secrets = secrets(executed);
        Path envFile = work.resolve(".env");
        if (Files.isRegularFile(envFile)) {
            secrets.addAll(envValues(Files.readString(envFile)));
        }
        for (String secret : secrets) {
            assertFalse(outputs.toString().contains(secret),
                    executedName + ": a value of its .env reached the outputs (" + secret.length() + " characters)");
        }
    }

    private static String tail(String text, int length) {
        return text.substring(Math.max(0, text.length() - length));
    }

    private static long countCodeCells(JsonNode notebook) {
        long count = 0;
        for (JsonNode cell : notebook.get("cells")) {
            if (cell.path("cell_type").asText().equals("code")) {
                count++;
            }
        }
        return count;
    }

    /** The values a notebook writes into a .env file in a %%writefile cell. */
    static Set<String> secrets(JsonNode notebook) {
        Set<String> values = new LinkedHashSet<>();
        for (JsonNode cell : notebook.get("cells")) {
            JsonNode source = cell.path("source");
            String text = source.isArray() ? joined(source) : source.asText();
            Matcher matcher = ENV_CELL.matcher(text.strip());
            if (!cell.path("cell_type").asText().equals("code") || !matcher.matches()) {
                continue;
            }
            values.addAll(envValues(matcher.group(2)));
        }
        return values;
    }

    /** The values of a .env file's KEY=VALUE lines; short ones (a port, a flag) would match by chance. */
    static Set<String> envValues(String text) {
        Set<String> values = new LinkedHashSet<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (line.isBlank() || line.strip().startsWith("#") || eq < 0) {
                continue;
            }
            String value = line.substring(eq + 1).strip().replaceAll("^([\"'])(.*)\\1$", "$2");
            if (value.length() >= 6) {
                values.add(value);
            }
        }
        return values;
    }

    private static String joined(JsonNode lines) {
        StringBuilder text = new StringBuilder();
        lines.forEach(line -> text.append(line.asText()));
        return text.toString();
    }

    @Test
    void theSecretsOfANotebookAreTheValuesOfItsEnvCells() throws IOException {
        JsonNode notebook = new ObjectMapper().readTree("""
                {"cells": [
                  {"cell_type": "code", "source": ["%%writefile work/.env\\n", "REGISTRY_PASSWORD=\\"s3cret-value\\"\\n",
                                                   "# a comment\\n", "PORT=80\\n"]},
                  {"cell_type": "markdown", "source": "%%writefile .env\\nNOT_CODE=markdown-value"},
                  {"cell_type": "code", "source": "%%writefile requirements.txt\\nflask==2.2.2"}
                ]}""");
        assertEquals(Set.of("s3cret-value"), secrets(notebook));
    }

    @Test
    void theRepositoryDevcontainerIsSetUpToBuildAndInstallTheKernel() throws IOException {
        JsonNode devcontainer = new ObjectMapper().readTree(REPOSITORY.resolve(".devcontainer/devcontainer.json").toFile());
        assertTrue(devcontainer.path("image").asText().contains("java"), devcontainer.toString());
        String postCreate = devcontainer.path("postCreateCommand").asText();
        assertEquals("bin/setup && ./mvnw -q -DskipTests package && java -jar kernel/target/drydock.jar install", postCreate);
        assertTrue(Files.isExecutable(REPOSITORY.resolve("bin/setup")) && Files.isExecutable(REPOSITORY.resolve("mvnw")));
        assertTrue(devcontainer.path("forwardPorts").toString().contains("8888"), "Jupyter's port is forwarded");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        }
    }
}

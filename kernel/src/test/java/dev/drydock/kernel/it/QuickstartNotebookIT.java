package dev.drydock.kernel.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drydock.magics.engine.Docker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the quick-start notebook end to end through nbconvert, as the README's main job does. */
@Tag("integration")
@Tag("docker")
class QuickstartNotebookIT {

    private static final Path NOTEBOOK = Path.of("..", "notebooks", "00-quickstart.ipynb").toAbsolutePath().normalize();
    private static final String SECRET_FROM_ITS_ENV = "correct-horse-battery-staple";
    /** The base image its pinned environment builds on. */
    private static final String ML_BASE = "drydock/ml:bookworm";

    @TempDir
    Path temp;

    @Test
    void quickstartRunsWithoutErrorsAndShowsNoSecret() throws Exception {
        JupyterHarness jupyter = JupyterHarness.install(temp);
        JupyterHarness.requirePythonModule("nbconvert", "jupyter-nbconvert");
        // A missing engine or base image would surface as the %env build cell's error; say what to run instead.
        try (Docker docker = new Docker()) {
            docker.engine().client().inspectImageCmd(ML_BASE).exec();
        } catch (Exception e) {
            fail("The quick start needs a Docker engine and " + ML_BASE + ": run bin/setup-docker --ml-base. "
                    + e.getMessage(), e);
        }
        // A copy, so the files the notebook writes land in the temporary folder, not the repository.
        Path work = Files.createDirectories(temp.resolve("notebooks"));
        Files.copy(NOTEBOOK, work.resolve(NOTEBOOK.getFileName()));
        Path executed = Path.of("target", "notebooks").toAbsolutePath();

        JupyterHarness.Result result = jupyter.run(List.of(JupyterHarness.PYTHON.toString(), "-m", "nbconvert",
                "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=drydock",
                "--ExecutePreprocessor.timeout=300", "--output-dir", executed.toString(),
                work.resolve(NOTEBOOK.getFileName()).toString()), work, 600);

        assertEquals(0, result.exitCode(), "nbconvert failed:\n" + result.output());
        JsonNode notebook = new ObjectMapper().readTree(executed.resolve(NOTEBOOK.getFileName()).toFile());
        List<String> errors = new ArrayList<>();
        List<String> mimeTypes = new ArrayList<>();
        StringBuilder allOutputs = new StringBuilder();
        for (JsonNode cell : notebook.get("cells")) {
            for (JsonNode output : cell.path("outputs")) {
                allOutputs.append(output).append('\n');
                if (output.path("output_type").asText().equals("error")) {
                    errors.add(output.toString());
                }
                output.path("data").fieldNames().forEachRemaining(mimeTypes::add);
            }
        }
        assertEquals(List.of(), errors);
        assertFalse(allOutputs.toString().contains(SECRET_FROM_ITS_ENV), "a .env value reached the notebook's outputs");
        assertTrue(allOutputs.toString().contains("****"), "the masked value should show as ****");
        assertTrue(mimeTypes.containsAll(List.of("text/html", "image/png", "text/plain")), mimeTypes.toString());
        assertTrue(Files.isRegularFile(work.resolve("quickstart/requirements.txt")));
        // Written by the script that ran in the built environment, with its pinned scikit-learn.
        assertTrue(Files.readString(work.resolve("quickstart/result.json")).contains("\"scikit_learn\": \"1.2.1\""));
    }
}

package dev.drydock.kernel.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first seed's workflow through the kernel and nbconvert: a {@code .env} written the python-dotenv way
 * (user name, single-quoted password) → {@code %dotenv} → {@code %docker login} to the local authenticated
 * registry (bin/setup-docker starts it) shows the user name; {@code %%writefile} writes the user name verbatim;
 * a secret printed in two halves by a Java cell and by a container is masked; the password is nowhere in the
 * executed notebook.
 */
@Tag("integration")
@Tag("docker")
class SecretsNotebookIT {

    private static final Path REGISTRY_CREDENTIALS = Path.of("/tmp/drydock-registry/credentials.env");
    private static final String BUSYBOX = "drydock/busybox:1";

    @TempDir
    Path temp;

    @Test
    void theFirstSeedsEnvLogsInShowsTheUserAndNeverThePassword() throws Exception {
        JupyterHarness jupyter = JupyterHarness.install(temp);
        JupyterHarness.requirePythonModule("nbconvert", "jupyter-nbconvert");
        if (!Files.isRegularFile(REGISTRY_CREDENTIALS)) {
            fail("The local registry is not set up: run bin/setup-docker (it writes " + REGISTRY_CREDENTIALS + ").");
        }
        Properties registry = new Properties();
        try (var in = Files.newBufferedReader(REGISTRY_CREDENTIALS)) {
            registry.load(in);
        }
        String user = registry.getProperty("REGISTRY_USERNAME");
        String password = registry.getProperty("REGISTRY_PASSWORD");
        String host = registry.getProperty("REGISTRY");

        Path work = Files.createDirectories(temp.resolve("seed"));
        // As the seed writes it: python-dotenv syntax, the password in single quotes.
        Files.writeString(work.resolve(".env"), "# registry login\nexport DOCKER_USERNAME=" + user
                + "\nDOCKER_PASSWORD='" + password + "'\n");
        String deployYaml = "image: " + user + "/ss:1\nregistry: " + host + "\n";
        ObjectMapper json = new ObjectMapper();
        ObjectNode notebook = json.createObjectNode();
        notebook.put("nbformat", 4).put("nbformat_minor", 4);
        notebook.putObject("metadata").putObject("kernelspec").put("name", "drydock").put("display_name", "Drydock")
                .put("language", "java");
        ArrayNode cells = notebook.putArray("cells");
        for (String source : List.of(
                "%dotenv",
                "%docker login " + host,
                "%%writefile deploy.yml\n" + deployYaml,
                "String pw = env(\"DOCKER_PASSWORD\");\n"
                        + "System.out.print(\"java: \" + pw.substring(0, 6));\nSystem.out.flush();\nThread.sleep(400);\n"
                        + "System.out.println(pw.substring(6) + \" end\");",
                "magic(\"%container run --rm -e A=\" + pw.substring(0, 6) + \" -e B=\" + pw.substring(6) + \" " + BUSYBOX
                        + " sh -c 'printf \\\"container: %s\\\" \\\"$A\\\"; sleep 0.3; echo \\\"$B end\\\"'\");")) {
            ObjectNode cell = cells.addObject();
            cell.put("cell_type", "code").put("source", source).putObject("metadata");
            cell.putArray("outputs");
            cell.putNull("execution_count");
        }
        Path input = work.resolve("seed.ipynb");
        json.writerWithDefaultPrettyPrinter().writeValue(input.toFile(), notebook);
        Path executed = temp.resolve("executed");

        JupyterHarness.Result result = jupyter.run(List.of(JupyterHarness.PYTHON.toString(), "-m", "nbconvert",
                "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=drydock",
                "--ExecutePreprocessor.timeout=300", "--output-dir", executed.toString(), input.toString()), work, 600);

        assertEquals(0, result.exitCode(), "nbconvert failed:\n" + result.output());
        String text = Files.readString(executed.resolve("seed.ipynb"));
        assertFalse(text.contains(password), "the password is in the executed notebook:\n" + text);
        JsonNode done = json.readTree(text);
        String login = outputs(done.get("cells").get(1));
        assertTrue(login.contains("Logged in to " + host + " as " + user), login);
        String dotenv = outputs(done.get("cells").get(0));
        assertTrue(dotenv.contains("Secret (masked as ****): DOCKER_PASSWORD."), dotenv);
        assertEquals(deployYaml, Files.readString(work.resolve("deploy.yml")), "%%writefile writes the cell as typed");
        String java = outputs(done.get("cells").get(3));
        assertTrue(java.contains("java: **** end"), java);
        String container = outputs(done.get("cells").get(4));
        assertTrue(container.contains("container: **** end"), container);
    }

    private static String outputs(JsonNode cell) {
        StringBuilder text = new StringBuilder();
        for (JsonNode output : cell.path("outputs")) {
            if (output.has("text")) {
                output.get("text").forEach(line -> text.append(line.asText()));
                if (output.get("text").isTextual()) {
                    text.append(output.get("text").asText());
                }
            }
            if (output.path("output_type").asText().equals("error")) {
                text.append(output);
            }
        }
        return text.toString();
    }
}

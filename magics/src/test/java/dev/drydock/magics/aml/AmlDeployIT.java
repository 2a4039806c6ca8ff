package dev.drydock.magics.aml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerPort;
import dev.drydock.magics.DockerCli;
import dev.drydock.magics.InterruptedMagic;
import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.container.ContainerRequest;
import dev.drydock.magics.container.Containers;
import dev.drydock.magics.container.HostUser;
import dev.drydock.magics.engine.Docker;
import dev.drydock.magics.env.ImageBuilder;
import dev.drydock.magics.registry.RegistryCredentials;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code %aml deploy --local} on the real engine: a scoring script (Python's standard library only) with a model
 * folder, served by Drydock's scoring server in {@code drydock/python:bookworm}, invoked, then deleted.
 */
@Tag("integration")
@Tag("docker")
class AmlDeployIT {

    private static final String BASE = "drydock/python:bookworm";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Sums the request's numbers and scales them by the model's factor, read once in init() as on Azure. */
    private static final String SCORE = """
            import json, os
            scale = None
            def init():
                global scale
                with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model", "weights.json")) as f:
                    scale = json.load(f)["scale"]
            def run(raw_data):
                data = json.loads(raw_data)["data"]
                if not isinstance(data, list):
                    raise ValueError("data must be a list of numbers")
                return {"sum": sum(data) * scale, "n": len(data), "greeting": os.environ.get("GREETING")}
            """;

    @TempDir
    static Path folder;

    private static DockerClient client;
    private static Session session;
    private static Magics magics;

    @BeforeAll
    static void connect() throws Exception {
        Docker docker = new Docker();
        try {
            client = docker.engine().client();
        } catch (MagicException e) {
            fail("The Docker integration tests need an engine: run bin/setup-docker first. " + e.getMessage(), e);
        }
        try {
            client.inspectImageCmd(BASE).exec();
        } catch (RuntimeException e) {
            fail("This test needs " + BASE + ": run bin/setup-docker --python-base first.", e);
        }
        session = new Session(folder, Map.of());
        magics = new Magics(session, List.of(AmlMagic.class), List.of(docker, new RegistryCredentials(),
                HostUser.current(), new ImageBuilder(), new AmlRestClient(session)));
        write("endpoint.yml", """
                $schema: https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json
                name: sum-endpoint
                auth_mode: key
                """);
        write("blue.yml", """
                $schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
                name: blue
                endpoint_name: sum-endpoint
                model:
                  path: ./model
                code_configuration:
                  code: ./onlinescoring
                  scoring_script: score.py
                environment: %s
                instance_type: Standard_DS3_v2
                instance_count: 1
                environment_variables:
                  GREETING: hello
                """.formatted(BASE));
        write("onlinescoring/score.py", SCORE);
        write("model/weights.json", "{\"scale\": 2}");
        write("request.json", "{\"data\": [1, 2, 3]}");
        write("bad-request.json", "{\"data\": 7}");
    }

    @AfterAll
    static void cleanUp() {
        if (client != null) {
            for (Container container : client.listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(ContainerRequest.SESSION_LABEL, session.id())).exec()) {
                Containers.removeQuietly(client, container.getId());
            }
        }
    }

    private static void write(String path, String text) throws Exception {
        Path file = folder.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private static RecordingNotebook aml(String args) throws MagicException {
        RecordingNotebook notebook = new RecordingNotebook();
        magics.run(new MagicCall("aml", args, null), notebook);
        return notebook;
    }

    @Test
    void deploysLocallyInvokesAndDeletes() throws Exception {
        String out = aml("deploy endpoint.yml blue.yml").out();
        assertTrue(out.contains("instance_type Standard_DS3_v2 apply on Azure only"), out);
        assertTrue(out.contains("Endpoint sum-endpoint is healthy."), out);

        JsonNode record = JSON.readTree(folder.resolve("runs/endpoints/sum-endpoint.json").toFile());
        int port = record.path("port").asInt();
        assertTrue(port > 0, record::toString);
        List<Container> running = client.listContainersCmd()
                .withLabelFilter(Map.of(LocalEndpoints.LABEL_ENDPOINT, "sum-endpoint")).exec();
        assertEquals(1, running.size());
        ContainerPort published = List.of(running.get(0).getPorts()).stream()
                .filter(p -> p.getPublicPort() != null && p.getPublicPort() == port).findFirst().orElseThrow();
        assertEquals("127.0.0.1", published.getIp(), "published on the loopback only");
        HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());

        RecordingNotebook invoked = aml("invoke sum-endpoint --request-file request.json");
        String shown = (String) invoked.displays().get(0).bundle().get("text/plain");
        JsonNode answer = JSON.readTree(shown);
        assertEquals(12, answer.path("sum").asInt(), shown);
        assertEquals("hello", answer.path("greeting").asText(), shown);
        assertTrue(shown.contains("\n  \"n\" : 3"), "pretty-printed: " + shown);

        MagicException bad = assertThrows(MagicException.class,
                () -> aml("invoke sum-endpoint --request-file bad-request.json"));
        assertTrue(bad.getMessage().contains("HTTP 400") && bad.getMessage().contains("data must be a list of numbers"),
                bad.getMessage());

        // Deploying again replaces the container, at a new port.
        aml("deploy endpoint.yml blue.yml --local");
        assertEquals(1, client.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(LocalEndpoints.LABEL_ENDPOINT, "sum-endpoint")).exec().size());
        assertEquals(12, JSON.readTree((String) aml("invoke sum-endpoint --request-file request.json").displays().get(0)
                .bundle().get("text/plain")).path("sum").asInt());

        assertTrue(aml("endpoint delete sum-endpoint").out().contains("Deleted the local endpoint sum-endpoint."));
        assertTrue(client.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(LocalEndpoints.LABEL_ENDPOINT, "sum-endpoint")).exec().isEmpty());
        assertFalse(Files.exists(folder.resolve("runs/endpoints/sum-endpoint.json")));
        MagicException gone = assertThrows(MagicException.class,
                () -> aml("invoke sum-endpoint --request-file request.json"));
        assertTrue(gone.getMessage().contains("No local endpoint named sum-endpoint"), gone.getMessage());
        MagicException again = assertThrows(MagicException.class, () -> aml("deploy --delete sum-endpoint"));
        assertTrue(again.getMessage().contains("No local endpoint named sum-endpoint"), again.getMessage());
    }

    /** An environment image that cannot be pulled: the engine's whole reason, as the docker CLI shows it. */
    @Test
    void anImageThatCannotBePulledShowsTheEnginesWholeMessage() throws Exception {
        String image = "drydock-it/never-pushed-" + Long.toHexString(System.nanoTime()) + ":latest";
        write("unpullable.yml", """
                name: unpullable
                endpoint_name: unpullable-endpoint
                code_configuration: {code: ./onlinescoring, scoring_script: score.py}
                environment: {image: %s}
                """.formatted(image));
        write("unpullable-endpoint.yml", "name: unpullable-endpoint\n");
        String cli = DockerCli.error(Files.createDirectories(folder.resolve("empty-docker-config")), "pull", image);
        MagicException e = assertThrows(MagicException.class,
                () -> aml("deploy unpullable-endpoint.yml unpullable.yml --local"));
        assertTrue(e.getMessage().contains(cli), e.getMessage() + "\nCLI: " + cli);
    }

    @Test
    void aScoringScriptWhoseInitFailsIsAClearError() throws Exception {
        write("broken/score.py", "def init():\n    raise RuntimeError('no model here')\ndef run(raw):\n    return 1\n");
        write("broken.yml", """
                name: broken
                endpoint_name: broken-endpoint
                code_configuration: {code: ./broken, scoring_script: score.py}
                environment: %s
                """.formatted(BASE));
        write("broken-endpoint.yml", "name: broken-endpoint\n");
        MagicException e = assertThrows(MagicException.class, () -> aml("deploy broken-endpoint.yml broken.yml"));
        assertTrue(e.getMessage().contains("The scoring script of broken-endpoint failed")
                && e.getMessage().contains("RuntimeError: no model here"), e.getMessage());
        aml("deploy --delete broken-endpoint");
    }

    @Test
    void anInterruptWhileInitRunsLeavesNoContainerAndNoRecord() throws Exception {
        write("slow/score.py", "import time\ndef init():\n    time.sleep(120)\ndef run(raw):\n    return 1\n");
        write("slow.yml", """
                name: blue
                endpoint_name: slow-endpoint
                code_configuration: {code: ./slow, scoring_script: score.py}
                environment: %s
                """.formatted(BASE));
        write("slow-endpoint.yml", "name: slow-endpoint\n");
        RecordingNotebook notebook = new RecordingNotebook();
        InterruptedMagic deploy = InterruptedMagic.start(magics,
                new MagicCall("aml", "deploy slow-endpoint.yml slow.yml --local", null), notebook,
                () -> notebook.out().contains("waiting for init()"), java.time.Duration.ofSeconds(30));
        Thread.sleep(500);
        assertEquals(MagicException.Kind.KeyboardInterrupt, deploy.interrupt().kind());
        assertTrue(client.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(LocalEndpoints.LABEL_ENDPOINT, "slow-endpoint")).exec().isEmpty());
        assertFalse(Files.exists(folder.resolve("runs/endpoints/slow-endpoint.json")), "no record to invoke");
    }
}

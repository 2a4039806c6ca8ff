package dev.drydock.magics.aml;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.Volume;
import dev.drydock.magics.Cancellation;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.container.ContainerRequest;
import dev.drydock.magics.container.Containers;
import dev.drydock.magics.engine.DockerEngine;
import dev.drydock.magics.engine.EngineErrors;
import dev.drydock.magics.files.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Online deployments run locally, as {@code az ml online-deployment create --local} runs them, but on
 * Drydock's scoring server ({@code docker/score/score_server.py}, Python's standard library only) instead of
 * Microsoft's inference server: the deployment's environment image, its code folder and model mounted
 * read-only, {@code POST /score} and {@code GET /health} published on 127.0.0.1 at a port Docker picks,
 * recorded in {@code runs/endpoints/<endpoint>.json}.
 */
final class LocalEndpoints {

    static final String LABEL_ENDPOINT = "dev.drydock.aml.endpoint";
    static final String APP_DIR = "/var/azureml-app";
    static final String SERVER = "/var/azureml-server/score_server.py";
    static final int PORT = 5001;
    /** Where the scoring server travels inside the jar: the magics module packs the repository's docker/ folder. */
    static final String SERVER_RESOURCE = "/docker/score/score_server.py";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final LocalServices local;
    private final Duration healthTimeout;

    LocalEndpoints(LocalServices local) {
        this(local, Duration.ofMinutes(3));
    }

    LocalEndpoints(LocalServices local, Duration healthTimeout) {
        this.local = local;
        this.healthTimeout = healthTimeout;
    }

    static Path folder(Session session) {
        return RunFolder.runs(session).resolve("endpoints");
    }

    static Path record(Session session, String endpoint) {
        return folder(session).resolve(endpoint + ".json");
    }

    static String containerName(String endpoint) {
        return "drydock-aml-endpoint-" + endpoint;
    }

    // ---------------------------------------------------------------- deploy

    /** Starts (or replaces) the endpoint's local deployment and waits until its /health answers 200. */
    JsonNode deploy(DeploymentYaml.Endpoint endpoint, DeploymentYaml.Deployment deployment) throws MagicException {
        check(deployment);
        Path work = folder(local.session()).resolve(endpoint.name());
        DockerEngine engine = local.docker().engine();
        DockerClient client = engine.client();
        LocalEnvironment.Resolved environment = new LocalEnvironment(local, engine)
                .resolve(deployment.environment(), work.resolve("environment"));
        Path server = work.resolve("score_server.py");
        try (InputStream in = LocalEndpoints.class.getResourceAsStream(SERVER_RESOURCE)) {
            if (in == null) {
                throw MagicException.failed("The scoring server " + SERVER_RESOURCE + " is not in Drydock's jar; rebuild"
                        + " Drydock from a checkout that has docker/score/score_server.py.");
            }
            AtomicFiles.write(server, in.readAllBytes(), false, null);
        } catch (IOException e) {
            throw MagicException.failed("Cannot write " + server + ": " + e.getMessage());
        }
        notes(deployment);
        remove(client, endpoint.name());

        String codeDir = APP_DIR + "/" + deployment.code().getFileName();
        String entry = codeDir + "/" + deployment.scoringScript();
        List<Bind> binds = new ArrayList<>();
        binds.add(new Bind(deployment.code().toString(), new Volume(codeDir), AccessMode.ro));
        binds.add(new Bind(server.toString(), new Volume(SERVER), AccessMode.ro));
        Map<String, String> env = new LinkedHashMap<>(deployment.environmentVariables());
        env.put("AZUREML_ENTRY_SCRIPT", entry);
        env.put("PYTHONDONTWRITEBYTECODE", "1");
        env.put("PYTHONUNBUFFERED", "1");
        DeploymentYaml.Model model = deployment.model();
        if (model != null) {
            // As on Azure: AZUREML_MODEL_DIR/<the path's last name> is the model's file or folder.
            String modelDir = APP_DIR + "/azureml-models/" + model.name() + "/" + model.version();
            binds.add(new Bind(model.path().toString(), new Volume(modelDir + "/" + model.path().getFileName()),
                    AccessMode.ro));
            env.put("AZUREML_MODEL_DIR", modelDir);
        }
        ExposedPort port = ExposedPort.tcp(PORT);
        HostConfig host = HostConfig.newHostConfig().withBinds(binds)
                .withPortBindings(new PortBinding(Ports.Binding.bindIp("127.0.0.1"), port));
        String id;
        try {
            id = client.createContainerCmd(environment.image())
                    .withName(containerName(endpoint.name()))
                    .withEntrypoint("python3")
                    .withCmd(SERVER, "--script", entry, "--host", "0.0.0.0", "--port", Integer.toString(PORT))
                    .withWorkingDir(codeDir)
                    .withEnv(env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())
                    .withExposedPorts(port)
                    .withUser(local.user().uid() + ":" + local.user().gid())
                    .withLabels(Map.of(ContainerRequest.SESSION_LABEL, local.session().id(),
                            LABEL_ENDPOINT, endpoint.name()))
                    .withHostConfig(host)
                    .exec().getId();
            client.startContainerCmd(id).exec();
        } catch (DockerException e) {
            remove(client, endpoint.name());
            throw MagicException.failed("The scoring container of " + endpoint.name() + " did not start from "
                    + environment.image() + ": " + EngineErrors.message(e));
        }
        int hostPort = hostPort(client, id);
        String url = "http://127.0.0.1:" + hostPort;
        ObjectNode record = JSON.createObjectNode();
        record.put("endpoint", endpoint.name());
        record.put("deployment", deployment.name());
        record.put("container", containerName(endpoint.name()));
        record.put("containerId", id);
        record.put("image", environment.image());
        record.put("port", hostPort);
        record.put("scoringUri", url + "/score");
        record.put("healthUri", url + "/health");
        record.put("code", deployment.code().toString());
        record.put("scoringScript", deployment.scoringScript());
        if (model != null) {
            record.put("model", model.path().toString());
        }
        record.put("createdAt", Instant.now().toString());
        write(record(local.session(), endpoint.name()), record);
        local.notebook().out("Deployment " + deployment.name() + " of " + endpoint.name() + " runs in "
                + environment.image() + " at " + url + "/score; waiting for init()…\n");
        awaitHealthy(client, id, endpoint.name(), URI.create(url + "/health"));
        local.notebook().out("Endpoint " + endpoint.name() + " is healthy. %aml invoke " + endpoint.name()
                + " --request-file FILE scores a request; %aml endpoint delete " + endpoint.name() + " stops it.\n");
        return record;
    }

    private void check(DeploymentYaml.Deployment deployment) throws MagicException {
        if (!Files.isDirectory(deployment.code())) {
            throw MagicException.failed("The deployment's code folder " + deployment.code() + " does not exist (code: is"
                    + " relative to " + deployment.file().getFileName() + "'s folder).");
        }
        if (!Files.isRegularFile(deployment.code().resolve(deployment.scoringScript()))) {
            throw MagicException.failed("The scoring script " + deployment.code().resolve(deployment.scoringScript())
                    + " does not exist.");
        }
        DeploymentYaml.Model model = deployment.model();
        if (model != null && model.path() == null) {
            throw MagicException.failed("The model " + model.reference() + " is a workspace's; a local deployment needs"
                    + " a local one: model: {path: ./model}.");
        }
        if (model != null && !Files.exists(model.path())) {
            throw MagicException.failed("The model " + model.path() + " does not exist.");
        }
        LocalEnvironment.checkLocal(deployment.environment());
    }

    private void notes(DeploymentYaml.Deployment deployment) {
        List<String> ignored = new ArrayList<>();
        if (deployment.instanceType() != null) {
            ignored.add("instance_type " + deployment.instanceType());
        }
        if (deployment.instanceCount() != null && deployment.instanceCount() > 1) {
            ignored.add("instance_count " + deployment.instanceCount());
        }
        if (!ignored.isEmpty()) {
            local.notebook().out("Running locally as one container: " + String.join(", ", ignored)
                    + " apply on Azure only.\n");
        }
    }

    private static int hostPort(DockerClient client, String id) throws MagicException {
        InspectContainerResponse inspected = client.inspectContainerCmd(id).exec();
        Ports.Binding[] bindings = inspected.getNetworkSettings().getPorts().getBindings().get(ExposedPort.tcp(PORT));
        if (bindings == null || bindings.length == 0) {
            throw MagicException.failed("Docker published no port for the scoring container " + id + ".");
        }
        return Integer.parseInt(bindings[0].getHostPortSpec());
    }

    /**
     * Waits for /health. An interrupt, however it arrives (the cancellation, a sleep, an engine call on the
     * interrupted thread), removes the container and its record.
     */
    private void awaitHealthy(DockerClient client, String id, String endpoint, URI health) throws MagicException {
        boolean settled = false;
        try {
            pollHealth(client, id, endpoint, health);
            settled = true;
        } catch (MagicException e) {
            settled = e.kind() != MagicException.Kind.KeyboardInterrupt;
            throw e;
        } finally {
            if (!settled && (local.notebook().cancellation().isCancelled() || Thread.currentThread().isInterrupted())) {
                // Nothing of the interrupted deployment stays: no container, no record that %aml invoke would follow.
                remove(client, endpoint);
                try {
                    Files.deleteIfExists(record(local.session(), endpoint));
                } catch (IOException e) {
                    local.notebook().err("The record " + record(local.session(), endpoint)
                            + " of the interrupted deployment could not be deleted: " + e.getMessage() + "\n");
                }
            }
        }
    }

    private void pollHealth(DockerClient client, String id, String endpoint, URI health) throws MagicException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + healthTimeout.toNanos();
        String last = "no answer yet";
        while (System.nanoTime() < deadline) {
            local.notebook().cancellation().throwIfCancelled();
            InspectContainerResponse.ContainerState state = client.inspectContainerCmd(id).exec().getState();
            if (!Boolean.TRUE.equals(state.getRunning())) {
                throw MagicException.failed("The scoring container of " + endpoint + " exited (code "
                        + state.getExitCodeLong() + ") before it was healthy:\n" + Containers.lastLogLines(client, id));
            }
            try {
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(3))
                        .GET().build(), HttpResponse.BodyHandlers.ofString());
                if (answer.statusCode() == 200) {
                    return;
                }
                last = answer.body();
                JsonNode body = JSON.readTree(answer.body());
                if ("failed".equals(body.path("status").asText())) {
                    throw MagicException.failed("The scoring script of " + endpoint + " failed: "
                            + body.path("error").asText() + "\n" + Containers.lastLogLines(client, id));
                }
            } catch (IOException e) {
                last = e instanceof ConnectException ? "not listening yet" : String.valueOf(e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw MagicException.interrupted();
            }
            sleep(200);
        }
        throw MagicException.failed("The scoring container of " + endpoint + " was not healthy within "
                + healthTimeout.toSeconds() + " s (" + last + "). It is still running; %aml endpoint delete "
                + endpoint + " stops it.\n" + Containers.lastLogLines(client, id));
    }

    // ---------------------------------------------------------------- invoke

    /** POSTs the request file to the endpoint's /score and shows the answer, JSON pretty-printed. */
    void invoke(String endpoint, Path requestFile) throws MagicException {
        JsonNode record = read(endpoint);
        byte[] body;
        try {
            body = Files.readAllBytes(requestFile);
        } catch (NoSuchFileException e) {
            throw MagicException.failed("The request file " + requestFile + " does not exist.");
        } catch (IOException e) {
            throw MagicException.failed("Cannot read " + requestFile + ": " + e.getMessage());
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> answer;
        try {
            answer = http.send(HttpRequest.newBuilder(URI.create(record.path("scoringUri").asText()))
                    .timeout(Duration.ofMinutes(1)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw MagicException.failed("Endpoint " + endpoint + " did not answer at " + record.path("scoringUri")
                    .asText() + " (" + e.getMessage() + "); its container may have stopped: %aml deploy it again.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw MagicException.interrupted();
        }
        show(local.notebook(), endpoint, answer.statusCode(), answer.body());
    }

    /** An endpoint's answer, JSON pretty-printed (and as application/json); an HTTP error is the cell's error. */
    static void show(Notebook notebook, String endpoint, int status, String body) throws MagicException {
        String shown = body;
        JsonNode json = null;
        try {
            json = JSON.readTree(body);
            shown = JSON.writeValueAsString(json);
        } catch (JsonProcessingException e) {
            // Not JSON: shown as it came.
        }
        if (status >= 300) {
            // The server's error whole (code, message, details), never only the part that happens to be text.
            String error = json != null && json.path("error").isObject() ? AmlHttp.error(json, body, status)
                    : json != null && json.path("error").isTextual() ? json.get("error").asText() : shown;
            throw MagicException.failed("Endpoint " + endpoint + " answered HTTP " + status + ": " + error);
        }
        Map<String, Object> bundle = new LinkedHashMap<>();
        bundle.put("text/plain", shown);
        if (json != null) {
            bundle.put("application/json", JSON.convertValue(json, Object.class));
        }
        notebook.display(bundle, null);
    }

    // ---------------------------------------------------------------- delete, list

    void delete(String endpoint) throws MagicException {
        Path file = record(local.session(), endpoint);
        boolean known = Files.isRegularFile(file);
        boolean removed = remove(local.docker().engine().client(), endpoint);
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw MagicException.failed("Cannot delete " + file + ": " + e.getMessage());
        }
        if (!known && !removed) {
            throw MagicException.failed("No local endpoint named " + endpoint + " (no " + file + ").");
        }
        local.notebook().out("Deleted the local endpoint " + endpoint + ".\n");
    }

    JsonNode read(String endpoint) throws MagicException {
        Path file = record(local.session(), endpoint);
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw MagicException.failed("No local endpoint named " + endpoint + " (no " + file + "): %aml deploy"
                    + " ENDPOINT.yaml DEPLOYMENT.yaml --local starts one.");
        }
    }

    /** Removes the endpoint's container; true when there was one. */
    private static boolean remove(DockerClient client, String endpoint) {
        return Cancellation.uninterruptibly(() -> {
            try {
                client.removeContainerCmd(containerName(endpoint)).withForce(true).exec();
                return true;
            } catch (NotFoundException e) {
                return false;
            }
        });
    }

    private static void write(Path file, JsonNode record) throws MagicException {
        try {
            AtomicFiles.write(file, JSON.writeValueAsBytes(record), false, null);
        } catch (IOException e) {
            throw MagicException.failed("Cannot write " + file + ": " + e.getMessage());
        }
    }

    private static void sleep(long millis) throws MagicException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw MagicException.interrupted();
        }
    }
}

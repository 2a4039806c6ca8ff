package dev.drydock.magics.aml;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpPipeline;
import com.azure.core.http.HttpPipelineBuilder;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.BearerTokenAuthenticationPolicy;
import com.azure.core.http.policy.HttpLogDetailLevel;
import com.azure.core.http.policy.HttpLogOptions;
import com.azure.core.http.policy.HttpLoggingPolicy;
import com.azure.core.http.policy.RetryPolicy;
import com.azure.core.http.policy.UserAgentPolicy;
import com.azure.core.util.Context;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.render.LiveDisplay;
import dev.drydock.magics.render.Progress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@link AmlRemote} over the Microsoft.MachineLearningServices REST API, api-version {@value #API_VERSION},
 * on azure-core's {@link HttpPipeline}: retries that honour {@code Retry-After}, a bearer token for Azure
 * Resource Manager from {@link AmlCredentials}, and logging with headers and query values redacted.
 *
 * <p>What goes beyond Azure Resource Manager, and so beyond the spec the tests check it against: the files
 * of a code asset go to the blob container the service hands out with {@code startPendingUpload} (Blob
 * REST {@code Put Blob} with its SAS), and logs come from the run history data plane (found through the
 * workspace's discovery URL) and the log blobs it lists, as {@code az ml job stream} does.
 */
public final class AmlRestClient implements AmlRemote {

    /** The api-version of every Azure Resource Manager call; the tests check it names the spec's stable folder. */
    static final String API_VERSION = "2024-04-01";
    /** Where Azure Resource Manager is, when not the public cloud's (a sovereign cloud, or a test server). */
    static final String ENDPOINT_VARIABLE = "AZURE_RESOURCE_MANAGER_ENDPOINT";
    static final String PUBLIC_ENDPOINT = "https://management.azure.com";
    /** The name the Azure ML CLI gives environments defined inside a job; Drydock reuses it. */
    static final String ANONYMOUS_ENVIRONMENT = "CliV2AnonymousEnvironment";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern REMOTE_URI = Pattern.compile("(?i)(azureml|https?|wasbs?|abfss?|adl)://.*");
    private static final Pattern USER_LOG = Pattern.compile("user_logs/std_log[\\D]*[0]*(?:_ps)?\\.txt");
    private static final Pattern LEGACY_LOG = Pattern.compile("azureml-logs/[\\d]{2}.+\\.txt");

    private final Session session;
    private final Optional<String> endpoint;
    private final Supplier<TokenCredential> credentials;
    private final Supplier<HttpClient> transport;
    private final Duration pollInterval;
    private volatile Workspace chosen;
    private HttpPipeline arm;
    private HttpPipeline plain;
    private final Map<String, String> runHistoryHosts = new HashMap<>();

    /** The kernel's client: DefaultAzureCredential, the JDK's HttpClient, the endpoint from the variables. */
    public AmlRestClient(Session session) {
        this(session, Optional.empty(), () -> AmlCredentials.forSession(session), HttpClient::createDefault,
                Duration.ofSeconds(3));
    }

    /**
     * A client with its endpoint, credential and transport given, as the tests make it.
     *
     * @param endpoint Azure Resource Manager's base URL; empty for {@value #ENDPOINT_VARIABLE}, else the public cloud
     * @param pollInterval how long {@link #stream} and {@link #cancel} wait between polls
     */
    AmlRestClient(Session session, Optional<String> endpoint, Supplier<TokenCredential> credentials,
            Supplier<HttpClient> transport, Duration pollInterval) {
        this.session = session;
        this.endpoint = endpoint;
        this.credentials = credentials;
        this.transport = transport;
        this.pollInterval = pollInterval;
    }

    // --- workspace ------------------------------------------------------------------------------------

    @Override
    public Optional<Workspace> workspace() throws MagicException {
        Workspace explicit = chosen;
        return explicit != null ? Optional.of(explicit) : WorkspaceResolver.resolve(session);
    }

    @Override
    public boolean connected() {
        try {
            return workspace().isPresent();
        } catch (MagicException e) {
            return false;
        }
    }

    @Override
    public Workspace requireWorkspace() throws MagicException {
        return workspace().orElseThrow(() -> MagicException.usage("No Azure ML workspace is configured. "
                + WorkspaceResolver.HOW_TO));
    }

    @Override
    public Workspace use(String subscription, String resourceGroup, String name) {
        chosen = new Workspace(subscription, resourceGroup, name, Optional.empty(), "%aml workspace");
        return chosen;
    }

    @Override
    public Workspace check() throws MagicException {
        Workspace workspace = requireWorkspace();
        JsonNode found = call(HttpMethod.GET, armUrl(workspace.armId(), Map.of()), null).body();
        return new Workspace(workspace.subscription(), workspace.resourceGroup(), workspace.name(),
                Optional.ofNullable(found.path("location").asText(null)), workspace.source());
    }

    // --- submit ---------------------------------------------------------------------------------------

    @Override
    public AmlRemoteJob submit(AmlRemoteRequest request, Notebook notebook) throws MagicException {
        Workspace workspace = requireWorkspace();
        Progress progress = new LiveDisplay(notebook, "aml-submit-" + request.name());
        String codeId = null;
        if (request.code().isPresent()) {
            progress.show("Uploading the code snapshot of " + request.name() + "…");
            codeId = uploadFolder(workspace, request.code().get(), "code").id();
        }
        notebook.cancellation().throwIfCancelled();
        progress.show("Creating or reusing the environment…");
        String environmentId = environment(workspace, request.environment());
        notebook.cancellation().throwIfCancelled();
        ObjectNode body = jobBody(workspace, request, codeId, environmentId, progress);
        progress.show("Creating job " + request.name() + "…");
        Reply created = call(HttpMethod.PUT, armUrl(workspace.armId() + "/jobs/" + segment(request.name()), Map.of()),
                body);
        AmlRemoteJob job = job(created.body());
        progress.show("Submitted " + job.name() + " to " + workspace.name() + ": " + job.status()
                + job.studioUrl().map(url -> "\n" + url).orElse(""));
        return job;
    }

    /** The CommandJob body, mapped from the CLI v2 YAML as {@code az ml} maps it. */
    ObjectNode jobBody(Workspace workspace, AmlRemoteRequest request, String codeId, String environmentId,
            Progress progress) throws MagicException {
        ObjectNode properties = JSON.createObjectNode();
        properties.put("jobType", "Command");
        properties.put("command", request.command());
        properties.put("environmentId", environmentId);
        if (codeId != null) {
            properties.put("codeId", codeId);
        }
        request.compute().map(compute -> computeId(workspace, compute)).ifPresent(id -> properties.put("computeId", id));
        request.displayName().ifPresent(v -> properties.put("displayName", v));
        request.experimentName().ifPresent(v -> properties.put("experimentName", v));
        request.description().ifPresent(v -> properties.put("description", v));
        if (!request.tags().isEmpty()) {
            properties.set("tags", JSON.valueToTree(request.tags()));
        }
        if (!request.environmentVariables().isEmpty()) {
            properties.set("environmentVariables", JSON.valueToTree(request.environmentVariables()));
        }
        if (!request.inputs().isEmpty()) {
            ObjectNode inputs = properties.putObject("inputs");
            for (var entry : new java.util.TreeMap<>(request.inputs()).entrySet()) {
                inputs.set(entry.getKey(), input(workspace, entry.getKey(), entry.getValue(), progress));
            }
        }
        if (!request.outputs().isEmpty()) {
            ObjectNode outputs = properties.putObject("outputs");
            new java.util.TreeMap<>(request.outputs()).forEach((name, output) -> {
                ObjectNode node = outputs.putObject(name);
                node.put("jobOutputType", output.type());
                output.path().ifPresent(uri -> node.put("uri", uri));
                output.mode().ifPresent(mode -> node.put("mode", mode(mode)));
            });
        }
        request.resources().ifPresent(resources -> {
            ObjectNode node = properties.putObject("resources");
            resources.instanceCount().ifPresent(n -> node.put("instanceCount", n));
            resources.instanceType().ifPresent(t -> node.put("instanceType", t));
            resources.shmSize().ifPresent(s -> node.put("shmSize", s));
        });
        if (request.distribution().isPresent()) {
            properties.set("distribution", distribution(request.distribution().get()));
        }
        ObjectNode body = JSON.createObjectNode();
        body.set("properties", properties);
        return body;
    }

    private ObjectNode input(Workspace workspace, String name, AmlRemoteRequest.Input input, Progress progress)
            throws MagicException {
        ObjectNode node = JSON.createObjectNode();
        node.put("jobInputType", input.type());
        if (input.type().equals("literal")) {
            node.put("value", input.value());
            return node;
        }
        String value = input.value();
        String uri;
        if (REMOTE_URI.matcher(value).matches()) {
            uri = value;
        } else if (value.startsWith("azureml:")) {
            String[] parts = value.substring("azureml:".length()).split(":", 2);
            uri = parts.length == 2 ? workspace.armId() + "/data/" + segment(parts[0]) + "/versions/" + segment(parts[1])
                    : value;
        } else {
            Path local = session.resolve(value);
            if (!Files.exists(local)) {
                throw MagicException.usage("Input " + name + " is " + local + ", which does not exist.");
            }
            progress.show("Uploading input " + name + " (" + local.getFileName() + ")…");
            if (Files.isDirectory(local)) {
                uri = upload(workspace, local, files(local), "data").uri() + "/";
            } else {
                uri = upload(workspace, local.getParent(), List.of(local), "data").uri() + "/"
                        + segment(local.getFileName().toString());
            }
        }
        node.put("uri", uri);
        input.mode().ifPresent(mode -> node.put("mode", mode(mode)));
        return node;
    }

    static String mode(String yaml) {
        return switch (yaml) {
            case "ro_mount" -> "ReadOnlyMount";
            case "rw_mount" -> "ReadWriteMount";
            case "download" -> "Download";
            case "upload" -> "Upload";
            case "direct" -> "Direct";
            case "eval_mount" -> "EvalMount";
            case "eval_download" -> "EvalDownload";
            default -> yaml;
        };
    }

    private static ObjectNode distribution(AmlRemoteRequest.Distribution distribution) throws MagicException {
        ObjectNode node = JSON.createObjectNode();
        switch (distribution.type().toLowerCase(java.util.Locale.ROOT)) {
            case "pytorch" -> {
                node.put("distributionType", "PyTorch");
                distribution.processCountPerInstance().ifPresent(n -> node.put("processCountPerInstance", n));
            }
            case "mpi" -> {
                node.put("distributionType", "Mpi");
                distribution.processCountPerInstance().ifPresent(n -> node.put("processCountPerInstance", n));
            }
            case "tensorflow" -> {
                node.put("distributionType", "TensorFlow");
                distribution.workerCount().ifPresent(n -> node.put("workerCount", n));
                distribution.parameterServerCount().ifPresent(n -> node.put("parameterServerCount", n));
            }
            default -> throw MagicException.usage("distribution.type " + distribution.type()
                    + " is not one of pytorch, mpi, tensorflow.");
        }
        return node;
    }

    private static String computeId(Workspace workspace, String compute) {
        if (compute.startsWith("/subscriptions/")) {
            return compute;
        }
        String name = compute.startsWith("azureml:") ? compute.substring("azureml:".length()) : compute;
        return workspace.armId() + "/computes/" + segment(name);
    }

    /** The environment's ARM id, registering an anonymous version unless one with the same content exists. */
    String environment(Workspace workspace, AmlRemoteRequest.Environment environment) throws MagicException {
        ObjectNode properties = JSON.createObjectNode();
        String content;
        if (environment instanceof AmlRemoteRequest.Environment.Registered registered) {
            return workspace.armId() + "/environments/" + segment(registered.name()) + "/versions/"
                    + segment(registered.version());
        } else if (environment instanceof AmlRemoteRequest.Environment.Image image) {
            properties.put("image", image.image());
            image.condaFile().ifPresent(conda -> properties.put("condaFile", conda));
            content = "image\0" + image.image() + "\0" + image.condaFile().orElse("");
        } else {
            AmlRemoteRequest.Environment.Build build = (AmlRemoteRequest.Environment.Build) environment;
            Uploaded context = uploadFolder(workspace, build.context(), "context");
            ObjectNode node = properties.putObject("build");
            // The service wants the folder URI with its trailing slash (the Azure ML SDK says so too).
            node.put("contextUri", context.uri() + "/");
            node.put("dockerfilePath", build.dockerfilePath());
            content = "build\0" + context.uri() + "\0" + build.dockerfilePath();
        }
        properties.put("osType", "Linux");
        properties.put("isAnonymous", true);
        String version = sha256(content.getBytes(StandardCharsets.UTF_8)).substring(0, 32);
        String path = workspace.armId() + "/environments/" + ANONYMOUS_ENVIRONMENT + "/versions/" + version;
        Optional<Reply> existing = find(armUrl(path, Map.of()));
        if (existing.isEmpty()) {
            ObjectNode body = JSON.createObjectNode();
            body.set("properties", properties);
            call(HttpMethod.PUT, armUrl(path, Map.of()), body);
        }
        return path;
    }

    record Uploaded(String id, String uri) {}

    /**
     * Registers a folder as a code asset named after its content: an existing version with the same name
     * is reused, else the files go to the blob container {@code startPendingUpload} hands out and the
     * version is created pointing at them.
     */
    Uploaded uploadFolder(Workspace workspace, Path folder, String kind) throws MagicException {
        return upload(workspace, folder, files(folder), kind);
    }

    /** {@link #uploadFolder} for some of a folder's files, which keep their paths below it. */
    private Uploaded upload(Workspace workspace, Path folder, List<Path> files, String kind) throws MagicException {
        String hash = contentHash(folder, files);
        String name = "drydock-" + kind + "-" + hash.substring(0, 32);
        String version = "1";
        String path = workspace.armId() + "/codes/" + name + "/versions/" + version;
        Optional<Reply> existing = find(armUrl(path, Map.of()));
        if (existing.isPresent() && existing.get().body().path("properties").hasNonNull("codeUri")) {
            return new Uploaded(path, existing.get().body().path("properties").path("codeUri").asText());
        }
        ObjectNode pending = JSON.createObjectNode().put("pendingUploadType", "TemporaryBlobReference");
        JsonNode reference = call(HttpMethod.POST, armUrl(path + "/startPendingUpload", Map.of()), pending).body()
                .path("blobReferenceForConsumption");
        String blobUri = reference.path("blobUri").asText("");
        String sasUri = reference.path("credential").path("sasUri").asText("");
        if (blobUri.isEmpty() || sasUri.isEmpty()) {
            throw MagicException.failed("Azure ML answered startPendingUpload for " + name
                    + " without a blob URI and SAS; cannot upload the " + kind + " folder.");
        }
        String query = URI.create(sasUri).getRawQuery();
        String folderUri = trimSlash(blobUri) + "/" + encodePath(folderName(folder));
        for (Path file : files) {
            putBlob(folderUri + "/" + encodePath(folder.relativize(file).toString().replace('\\', '/'))
                    + (query == null ? "" : "?" + query), file);
        }
        ObjectNode properties = JSON.createObjectNode();
        properties.put("codeUri", folderUri);
        properties.put("isAnonymous", true);
        properties.put("description", "Drydock " + kind + " snapshot of " + folderName(folder));
        ObjectNode body = JSON.createObjectNode();
        body.set("properties", properties);
        call(HttpMethod.PUT, armUrl(path, Map.of()), body);
        return new Uploaded(path, folderUri);
    }

    private void putBlob(String url, Path file) throws MagicException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw MagicException.failed("Could not read " + file + ": " + e.getMessage());
        }
        HttpRequest request = new HttpRequest(HttpMethod.PUT, url);
        request.setHeader(HttpHeaderName.fromString("x-ms-blob-type"), "BlockBlob");
        request.setHeader(HttpHeaderName.fromString("x-ms-version"), "2021-08-06");
        request.setHeader(HttpHeaderName.CONTENT_TYPE, "application/octet-stream");
        request.setBody(bytes);
        try (HttpResponse response = plain().sendSync(request, Context.NONE)) {
            if (response.getStatusCode() >= 300) {
                throw MagicException.failed("Uploading " + file.getFileName() + " to the workspace's storage failed: HTTP "
                        + response.getStatusCode() + " " + firstLine(response.getBodyAsBinaryData().toString()));
            }
        } catch (RuntimeException e) {
            throw unreachable(url, e);
        }
    }

    private static List<Path> files(Path folder) throws MagicException {
        if (!Files.isDirectory(folder)) {
            throw MagicException.usage(folder + " is not a folder.");
        }
        try (Stream<Path> walk = Files.walk(folder)) {
            return walk.filter(Files::isRegularFile).sorted(Comparator.comparing(p -> folder.relativize(p).toString()))
                    .toList();
        } catch (IOException e) {
            throw MagicException.failed("Could not list " + folder + ": " + e.getMessage());
        }
    }

    private static String contentHash(Path folder, List<Path> files) throws MagicException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Path file : files) {
                digest.update(folder.relativize(file).toString().replace('\\', '/').getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                digest.update(Files.readAllBytes(file));
                digest.update((byte) 0);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw MagicException.failed("Could not read " + folder + ": " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // --- online endpoints ---------------------------------------------------------------------------

    private static final java.util.Set<String> PROVISIONED = java.util.Set.of("Succeeded", "Failed", "Canceled");

    @Override
    public AmlRemoteDeployment.Result deploy(AmlRemoteDeployment request, Notebook notebook) throws MagicException {
        Workspace workspace = requireWorkspace();
        Progress progress = new LiveDisplay(notebook, "aml-deploy-" + request.endpoint());
        progress.show("Reading workspace " + workspace.name() + "…");
        String location = call(HttpMethod.GET, armUrl(workspace.armId(), Map.of()), null).body().path("location")
                .asText("");
        String endpointPath = workspace.armId() + "/onlineEndpoints/" + segment(request.endpoint());
        ObjectNode endpoint = JSON.createObjectNode();
        endpoint.put("location", location);
        ObjectNode endpointProperties = endpoint.putObject("properties");
        endpointProperties.put("authMode", switch (request.authMode()) {
            case "aml_token" -> "AMLToken";
            case "aad_token" -> "AADToken";
            default -> "Key";
        });
        request.endpointCompute().ifPresent(compute -> endpointProperties.put("compute", computeId(workspace, compute)));
        Optional<Reply> existing = find(armUrl(endpointPath, Map.of()));
        if (existing.isPresent()) {
            // An update keeps the traffic split the endpoint has; a PUT without it would reset it.
            JsonNode traffic = existing.get().body().path("properties").path("traffic");
            if (traffic.isObject()) {
                endpointProperties.set("traffic", traffic);
            }
        }
        progress.show("Creating or updating endpoint " + request.endpoint() + "…");
        call(HttpMethod.PUT, armUrl(endpointPath, Map.of()), endpoint);
        awaitProvisioned(endpointPath, "endpoint " + request.endpoint(), progress);

        progress.show("Uploading the code of " + request.deployment() + "…");
        String codeId = uploadFolder(workspace, request.code(), "code").id();
        progress.show("Creating or reusing the environment…");
        String environmentId = environment(workspace, request.environment());
        String modelId = null;
        if (request.model().isPresent()) {
            modelId = model(workspace, request, progress);
        }
        notebook.cancellation().throwIfCancelled();

        ObjectNode deployment = JSON.createObjectNode();
        deployment.put("location", location);
        ObjectNode properties = deployment.putObject("properties");
        properties.put("endpointComputeType", request.kubernetes() ? "Kubernetes" : "Managed");
        if (modelId != null) {
            properties.put("model", modelId);
        }
        properties.putObject("codeConfiguration").put("codeId", codeId).put("scoringScript", request.scoringScript());
        properties.put("environmentId", environmentId);
        request.instanceType().ifPresent(type -> properties.put("instanceType", type));
        if (!request.environmentVariables().isEmpty()) {
            properties.set("environmentVariables", JSON.valueToTree(new java.util.TreeMap<>(request.environmentVariables())));
        }
        deployment.putObject("sku").put("name", "Default").put("capacity", request.instanceCount().orElse(1));
        String deploymentPath = endpointPath + "/deployments/" + segment(request.deployment());
        progress.show("Creating or updating deployment " + request.deployment() + "…");
        call(HttpMethod.PUT, armUrl(deploymentPath, Map.of()), deployment);
        String state = awaitProvisioned(deploymentPath, "deployment " + request.deployment(), progress);
        if (!state.equals("Succeeded")) {
            throw MagicException.failed("Deployment " + request.deployment() + " of " + request.endpoint() + " ended "
                    + state + "; az ml online-deployment get-logs shows why.");
        }

        JsonNode current = call(HttpMethod.GET, armUrl(endpointPath, Map.of()), null).body();
        JsonNode traffic = current.path("properties").path("traffic");
        if (!traffic.isObject() || traffic.size() == 0) {
            ObjectNode update = current.deepCopy();
            ObjectNode updateProperties = (ObjectNode) update.get("properties");
            updateProperties.putObject("traffic").put(request.deployment(), 100);
            for (String readOnly : List.of("provisioningState", "scoringUri", "swaggerUri")) {
                updateProperties.remove(readOnly);
            }
            for (String readOnly : List.of("id", "name", "type", "systemData")) {
                update.remove(readOnly);
            }
            progress.show("Sending all traffic of " + request.endpoint() + " to " + request.deployment() + "…");
            call(HttpMethod.PUT, armUrl(endpointPath, Map.of()), update);
            awaitProvisioned(endpointPath, "endpoint " + request.endpoint(), progress);
            current = call(HttpMethod.GET, armUrl(endpointPath, Map.of()), null).body();
        }
        Map<String, Integer> split = new java.util.TreeMap<>();
        current.path("properties").path("traffic").fields().forEachRemaining(e -> split.put(e.getKey(), e.getValue().asInt()));
        Optional<String> scoring = Optional.ofNullable(current.path("properties").path("scoringUri").asText(null));
        progress.show("Deployment " + request.deployment() + " of " + request.endpoint() + " is " + state
                + scoring.map(uri -> "; scoring URI " + uri).orElse("") + "; traffic " + split + ".");
        return new AmlRemoteDeployment.Result(request.endpoint(), request.deployment(), state, scoring, split);
    }

    @Override
    public Scored invoke(String endpointName, byte[] request) throws MagicException {
        Workspace workspace = requireWorkspace();
        String path = workspace.armId() + "/onlineEndpoints/" + segment(endpointName);
        JsonNode properties = call(HttpMethod.GET, armUrl(path, Map.of()), null).body().path("properties");
        String scoringUri = properties.path("scoringUri").asText("");
        if (scoringUri.isEmpty()) {
            throw MagicException.failed("Endpoint " + endpointName + " has no scoring URI yet (it is "
                    + properties.path("provisioningState").asText("not provisioned") + ").");
        }
        String authMode = properties.path("authMode").asText("Key");
        String secret = switch (authMode) {
            case "AMLToken" -> call(HttpMethod.POST, armUrl(path + "/token", Map.of()), null).body()
                    .path("accessToken").asText("");
            case "Key" -> call(HttpMethod.POST, armUrl(path + "/listKeys", Map.of()), null).body()
                    .path("primaryKey").asText("");
            default -> throw MagicException.usage("Endpoint " + endpointName + " takes " + authMode + " auth;"
                    + " %aml invoke sends keys and AML tokens (auth_mode: key or aml_token).");
        };
        if (secret.isEmpty()) {
            throw MagicException.failed("Azure ML gave no " + (authMode.equals("Key") ? "key" : "token")
                    + " for endpoint " + endpointName + ".");
        }
        // Masked before it can reach any output: an error message or a log line may echo it.
        session.masker().add(secret);
        HttpRequest post = new HttpRequest(HttpMethod.POST, scoringUri);
        post.setHeader(HttpHeaderName.CONTENT_TYPE, "application/json");
        post.setHeader(HttpHeaderName.ACCEPT, "application/json");
        post.setHeader(HttpHeaderName.AUTHORIZATION, "Bearer " + secret);
        post.setBody(request);
        try (HttpResponse response = plain().sendSync(post, Context.NONE)) {
            String body = response.getBodyAsBinaryData() == null ? "" : response.getBodyAsBinaryData().toString();
            return new Scored(response.getStatusCode(), body);
        } catch (RuntimeException e) {
            throw MagicException.failed("Endpoint " + endpointName + " did not answer at " + scoringUri + ": "
                    + firstLine(String.valueOf(rootCause(e).getMessage())));
        }
    }

    /** A local model registered as a version whose files went up with the code asset mechanism; else the asset's id. */
    private String model(Workspace workspace, AmlRemoteDeployment request, Progress progress) throws MagicException {
        String model = request.model().get();
        if (model.startsWith("azureml:")) {
            String[] parts = model.substring("azureml:".length()).split(":", 2);
            return workspace.armId() + "/models/" + segment(parts[0]) + "/versions/" + segment(parts[1]);
        }
        Path local = session.resolve(model);
        String path = workspace.armId() + "/models/" + segment(request.modelName()) + "/versions/"
                + segment(request.modelVersion());
        if (find(armUrl(path, Map.of())).isPresent()) {
            return path;
        }
        progress.show("Uploading model " + request.modelName() + " (" + local.getFileName() + ")…");
        String uri = Files.isDirectory(local) ? upload(workspace, local, files(local), "model").uri()
                : upload(workspace, local.getParent(), List.of(local), "model").uri() + "/"
                        + segment(local.getFileName().toString());
        ObjectNode body = JSON.createObjectNode();
        body.putObject("properties").put("modelUri", uri).put("modelType", "custom_model")
                .put("description", "Registered by Drydock's %aml deploy");
        call(HttpMethod.PUT, armUrl(path, Map.of()), body);
        return path;
    }

    /** Polls a resource until its provisioningState is Succeeded, Failed or Canceled; returns that state. */
    private String awaitProvisioned(String path, String what, Progress progress) throws MagicException {
        long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
        while (true) {
            String state = call(HttpMethod.GET, armUrl(path, Map.of()), null).body().path("properties")
                    .path("provisioningState").asText("Succeeded");
            if (PROVISIONED.contains(state)) {
                if (!state.equals("Succeeded") && what.startsWith("endpoint")) {
                    throw MagicException.failed("The " + what + " ended " + state + ".");
                }
                return state;
            }
            if (System.nanoTime() > deadline) {
                throw MagicException.failed("The " + what + " is still " + state + " after 30 minutes.");
            }
            progress.show("The " + what + " is " + state + "…");
            sleep(pollInterval);
        }
    }

    // --- status, list, cancel -------------------------------------------------------------------------

    @Override
    public AmlRemoteJob status(String name) throws MagicException {
        Workspace workspace = requireWorkspace();
        JsonNode found = call(HttpMethod.GET, armUrl(jobPath(workspace, name), Map.of()), null).body();
        AmlRemoteJob job = job(found);
        if (job.status().equals("Failed") && job.error().isEmpty()) {
            Optional<String> error = runDetails(workspace, job).flatMap(AmlRestClient::runError);
            if (error.isPresent()) {
                job = new AmlRemoteJob(job.name(), job.status(), job.displayName(), job.experimentName(),
                        job.computeId(), job.studioUrl(), error);
            }
        }
        return job;
    }

    @Override
    public List<Metrics.Metric> metrics(AmlRemoteJob job) throws MagicException {
        Workspace workspace = requireWorkspace();
        String url = runHistoryHost(workspace) + "/history/v1.0" + workspace.armId() + "/experiments/"
                + segment(job.experimentName()) + "/metrics:query";
        List<JsonNode> found = new ArrayList<>();
        String continuation = null;
        for (int page = 0; page < 20; page++) {
            ObjectNode query = JSON.createObjectNode().put("filter", "RunId eq '" + job.name().replace("'", "''") + "'");
            if (continuation != null) {
                query.put("continuationToken", continuation);
            }
            JsonNode body = call(HttpMethod.POST, url, query).body();
            body.path("value").forEach(found::add);
            continuation = body.path("continuationToken").asText("");
            if (continuation.isEmpty()) {
                break;
            }
        }
        return Metrics.fromRunHistory(found, "run history");
    }

    @Override
    public List<AmlRemoteJob> list() throws MagicException {
        Workspace workspace = requireWorkspace();
        List<JsonNode> found = new ArrayList<>();
        String url = armUrl(workspace.armId() + "/jobs", Map.of());
        for (int page = 0; page < 5 && url != null; page++) {
            JsonNode body = call(HttpMethod.GET, url, null).body();
            body.path("value").forEach(found::add);
            url = body.hasNonNull("nextLink") ? body.get("nextLink").asText() : null;
        }
        found.sort(Comparator.comparing((JsonNode j) -> j.path("systemData").path("createdAt").asText("")).reversed());
        List<AmlRemoteJob> jobs = new ArrayList<>();
        for (JsonNode node : found) {
            jobs.add(job(node));
        }
        return jobs;
    }

    @Override
    public AmlRemoteJob cancel(String name) throws MagicException {
        Workspace workspace = requireWorkspace();
        Reply accepted = call(HttpMethod.POST, armUrl(jobPath(workspace, name) + "/cancel", Map.of()), null);
        String location = accepted.headers().get("location");
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (accepted.status() == 202 && location != null && System.nanoTime() < deadline) {
            sleep(retryAfter(accepted).orElse(pollInterval));
            accepted = call(HttpMethod.GET, location, null);
        }
        return status(name);
    }

    // --- stream ---------------------------------------------------------------------------------------

    @Override
    public AmlRemoteJob stream(String name, Notebook notebook) throws MagicException {
        Workspace workspace = requireWorkspace();
        Progress progress = new LiveDisplay(notebook, "aml-stream-" + name);
        Map<String, Integer> printed = new LinkedHashMap<>();
        boolean logsAvailable = true;
        AmlRemoteJob job;
        while (true) {
            job = status(name);
            progress.show(job.name() + ": " + job.status() + job.studioUrl().map(url -> "  " + url).orElse(""));
            if (logsAvailable) {
                Optional<JsonNode> details = runDetails(workspace, job);
                logsAvailable = details.isPresent();
                details.ifPresent(d -> printLogs(d, printed, notebook));
            }
            if (job.terminal()) {
                break;
            }
            if (notebook.cancellation().isCancelled()) {
                notebook.err("Stopped following " + name + "; the job goes on. %aml cancel " + name + " stops it.\n");
                return job;
            }
            sleep(pollInterval);
        }
        if (!logsAvailable) {
            notebook.err("The job's logs could not be read from the workspace's run history; see them in the studio"
                    + job.studioUrl().map(url -> ": " + url).orElse(".") + "\n");
        }
        job.error().ifPresent(error -> notebook.err(name + " failed: " + error + "\n"));
        return job;
    }

    private void printLogs(JsonNode details, Map<String, Integer> printed, Notebook notebook) {
        Map<String, String> files = new java.util.TreeMap<>();
        details.path("logFiles").fields().forEachRemaining(e -> files.put(e.getKey(), e.getValue().asText()));
        List<String> chosen = files.keySet().stream().filter(n -> USER_LOG.matcher(n).matches()).toList();
        if (chosen.isEmpty()) {
            chosen = files.keySet().stream().filter(n -> LEGACY_LOG.matcher(n).matches()).toList();
        }
        if (chosen.isEmpty()) {
            chosen = List.copyOf(files.keySet());
        }
        for (String file : chosen) {
            String text;
            try (HttpResponse response = plain().sendSync(new HttpRequest(HttpMethod.GET, files.get(file)), Context.NONE)) {
                if (response.getStatusCode() != 200) {
                    continue;
                }
                text = response.getBodyAsBinaryData().toString();
            } catch (RuntimeException e) {
                continue;
            }
            List<String> lines = text.lines().toList();
            int done = printed.getOrDefault(file, -1);
            if (done < 0) {
                notebook.out("Streaming " + file + "\n");
                done = 0;
            }
            if (lines.size() > done) {
                notebook.out(lines.subList(done, lines.size()).stream().collect(Collectors.joining("\n", "", "\n")));
            }
            printed.put(file, Math.max(done, lines.size()));
        }
    }

    /** The run's details from the run history data plane; empty where the workspace does not give them. */
    private Optional<JsonNode> runDetails(Workspace workspace, AmlRemoteJob job) {
        try {
            String host = runHistoryHost(workspace);
            String url = host + "/history/v1.0" + workspace.armId() + "/experiments/" + segment(job.experimentName())
                    + "/runs/" + segment(job.name()) + "/details";
            Reply reply = call(HttpMethod.GET, url, null);
            return Optional.of(reply.body());
        } catch (MagicException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> runError(JsonNode details) {
        JsonNode error = details.path("error").path("error");
        if (error.isMissingNode() || error.isNull()) {
            return Optional.empty();
        }
        String code = error.path("code").asText("");
        String message = error.path("message").asText("");
        return Optional.of((code.isEmpty() ? "" : code + ": ") + message);
    }

    /** The run history's base URL: key {@code api} of the workspace's discovery document, as the SDK reads it. */
    private synchronized String runHistoryHost(Workspace workspace) throws MagicException {
        String cached = runHistoryHosts.get(workspace.armId());
        if (cached != null) {
            return cached;
        }
        JsonNode found = call(HttpMethod.GET, armUrl(workspace.armId(), Map.of()), null).body();
        String discovery = found.path("properties").path("discoveryUrl").asText("");
        if (discovery.isEmpty()) {
            throw MagicException.failed("Workspace " + workspace.name() + " has no discovery URL.");
        }
        JsonNode services = send(plain(), HttpMethod.GET, discovery, null).body();
        String api = trimSlash(services.path("api").asText(""));
        if (api.isEmpty()) {
            throw MagicException.failed("The discovery document of " + workspace.name() + " names no api host.");
        }
        runHistoryHosts.put(workspace.armId(), api);
        return api;
    }

    // --- mapping --------------------------------------------------------------------------------------

    static AmlRemoteJob job(JsonNode resource) {
        JsonNode properties = resource.path("properties");
        String name = resource.path("name").asText("");
        String display = properties.path("displayName").asText("");
        Optional<String> studio = Optional.ofNullable(properties.path("services").path("Studio").path("endpoint")
                .asText(null));
        return new AmlRemoteJob(name, properties.path("status").asText("Unknown"), display.isEmpty() ? name : display,
                properties.path("experimentName").asText("Default"),
                Optional.ofNullable(properties.path("computeId").asText(null)), studio, Optional.empty());
    }

    private static String jobPath(Workspace workspace, String name) {
        return workspace.armId() + "/jobs/" + segment(name);
    }

    // --- HTTP -----------------------------------------------------------------------------------------

    record Reply(int status, Map<String, String> headers, JsonNode body) {}

    String baseUrl() {
        return trimSlash(endpoint.or(() -> session.variable(ENDPOINT_VARIABLE).filter(v -> !v.isBlank()))
                .orElse(PUBLIC_ENDPOINT));
    }

    private String armUrl(String path, Map<String, String> query) {
        StringBuilder url = new StringBuilder(baseUrl()).append(path).append("?api-version=").append(API_VERSION);
        query.forEach((k, v) -> url.append('&').append(k).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return url.toString();
    }

    private Reply call(HttpMethod method, String url, JsonNode body) throws MagicException {
        return send(arm(), method, url, body);
    }

    /** GET that answers empty for 404, so create-or-reuse can tell "not there" from a failure. */
    private Optional<Reply> find(String url) throws MagicException {
        HttpRequest request = new HttpRequest(HttpMethod.GET, url);
        request.setHeader(HttpHeaderName.ACCEPT, "application/json");
        try (HttpResponse response = arm().sendSync(request, Context.NONE)) {
            if (response.getStatusCode() == 404) {
                return Optional.empty();
            }
            return Optional.of(reply(method(request), url, response));
        } catch (RuntimeException e) {
            throw unreachable(url, e);
        }
    }

    private Reply send(HttpPipeline pipeline, HttpMethod method, String url, JsonNode body) throws MagicException {
        HttpRequest request = new HttpRequest(method, url);
        request.setHeader(HttpHeaderName.ACCEPT, "application/json");
        if (body != null) {
            request.setHeader(HttpHeaderName.CONTENT_TYPE, "application/json");
            try {
                request.setBody(JSON.writeValueAsBytes(body));
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
        }
        try (HttpResponse response = pipeline.sendSync(request, Context.NONE)) {
            return reply(method, url, response);
        } catch (RuntimeException e) {
            throw unreachable(url, e);
        }
    }

    private static HttpMethod method(HttpRequest request) {
        return request.getHttpMethod();
    }

    private Reply reply(HttpMethod method, String url, HttpResponse response) throws MagicException {
        String text = response.getBodyAsBinaryData() == null ? "" : response.getBodyAsBinaryData().toString();
        JsonNode body;
        try {
            body = text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
        } catch (JsonProcessingException e) {
            body = JSON.createObjectNode().put("text", text);
        }
        int status = response.getStatusCode();
        if (status >= 400) {
            JsonNode error = body.path("error");
            String code = error.path("code").asText("HTTP " + status);
            String message = error.path("message").asText(firstLine(text));
            String what = method + " " + URI.create(url).getPath();
            String hint = status == 401 || status == 403
                    ? " The signed-in identity may lack access to the workspace (it needs a role such as AzureML"
                            + " Data Scientist), or the token is for another tenant."
                    : status == 404 ? " Check the workspace (%aml workspace) and the name." : "";
            throw MagicException.failed("Azure ML refused " + what + ": " + code + ": " + message + "." + hint);
        }
        Map<String, String> headers = new HashMap<>();
        response.getHeaders().forEach(h -> headers.put(h.getName().toLowerCase(java.util.Locale.ROOT), h.getValue()));
        return new Reply(status, headers, body);
    }

    private MagicException unreachable(String url, RuntimeException e) {
        Optional<MagicException> credential = AmlCredentials.explain(e);
        if (credential.isPresent()) {
            return credential.get();
        }
        String host = URI.create(url).getHost();
        return new MagicException(MagicException.Kind.MagicError, "Could not reach " + host + ": "
                + firstLine(String.valueOf(rootCause(e).getMessage())) + ". Check the network, or "
                + ENDPOINT_VARIABLE + " if this is not the public Azure cloud.", e);
    }

    private synchronized HttpPipeline arm() throws MagicException {
        if (arm == null) {
            TokenCredential credential;
            try {
                credential = credentials.get();
            } catch (RuntimeException e) {
                throw AmlCredentials.explain(e).orElseGet(() -> new MagicException(MagicException.Kind.MagicError,
                        AmlCredentials.message(e), e));
            }
            arm = new HttpPipelineBuilder().httpClient(transport.get())
                    .policies(new UserAgentPolicy("drydock-aml"), new RetryPolicy(),
                            new BearerTokenAuthenticationPolicy(credential, AmlCredentials.ARM_SCOPE),
                            new HttpLoggingPolicy(new HttpLogOptions().setLogLevel(HttpLogDetailLevel.BASIC)))
                    .build();
        }
        return arm;
    }

    /** No bearer token: SAS URLs of blobs and the discovery document, which take none. */
    private synchronized HttpPipeline plain() {
        if (plain == null) {
            plain = new HttpPipelineBuilder().httpClient(transport.get())
                    .policies(new UserAgentPolicy("drydock-aml"), new RetryPolicy(),
                            new HttpLoggingPolicy(new HttpLogOptions().setLogLevel(HttpLogDetailLevel.BASIC)))
                    .build();
        }
        return plain;
    }

    private static Optional<Duration> retryAfter(Reply reply) {
        try {
            return Optional.ofNullable(reply.headers().get("retry-after")).map(s -> Duration.ofSeconds(Long.parseLong(s.trim())));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void sleep(Duration duration) throws MagicException {
        try {
            Thread.sleep(Math.min(duration.toMillis(), 30_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw MagicException.interrupted();
        }
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    private static String firstLine(String text) {
        String line = text == null ? "" : text.strip().lines().findFirst().orElse("");
        return line.length() > 300 ? line.substring(0, 300) + "…" : line;
    }

    private static String trimSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private static String folderName(Path folder) {
        Path name = folder.toAbsolutePath().normalize().getFileName();
        return name == null ? "root" : name.toString();
    }

    static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String encodePath(String path) {
        return Stream.of(path.split("/")).map(AmlRestClient::segment).collect(Collectors.joining("/"));
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

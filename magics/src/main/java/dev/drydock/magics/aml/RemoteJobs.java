package dev.drydock.magics.aml;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.files.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code %aml submit} to a workspace: the same run folder as a local job ({@code runs/<job>/snapshot/}), but
 * no {@code job.json} — that file is what makes {@code %aml status NAME} look locally — and the snapshot's
 * code folder is what {@link AmlRemote} uploads. {@link #request} maps the YAML to the REST model as
 * {@code az ml job create} does.
 */
final class RemoteJobs {

    /** What a remote submission leaves in its run folder: the workspace and the studio page, for people. */
    static final String FILE = "remote.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Session session;
    private final Notebook notebook;
    private final AmlRemote remote;

    RemoteJobs(Session session, Notebook notebook, AmlRemote remote) {
        this.session = session;
        this.notebook = notebook;
        this.remote = remote;
    }

    /** Snapshots the job, submits it, and with {@code stream} follows it; a Failed job is the cell's error. */
    AmlRemoteJob submit(JobSpec spec, boolean stream) throws MagicException {
        Workspace workspace = remote.requireWorkspace();
        String name = spec.name() != null ? spec.name() : JobNames.generate();
        RunFolder folder = RunFolder.of(session, name);
        if (Files.exists(folder.root())) {
            throw MagicException.failed("A job named " + name + " exists already (" + folder.root() + "): give another"
                    + " --name, or leave the name out for a generated one.");
        }
        AmlRemoteRequest request = request(spec, name, folder);
        folder.claim(LocalJobs.exists(folder, name));
        Path code = spec.codeFolder().orElse(null);
        if (code != null) {
            Snapshot.Copied copied = Snapshot.copy(code, folder.code(), RunFolder.runs(session));
            if (!copied.skippedSecrets().isEmpty()) {
                notebook.out("Left out " + String.join(", ", copied.skippedSecrets())
                        + ": secrets never go into a snapshot.\n");
            }
        }
        if (spec.environment() instanceof JobSpec.Inline inline && inline.buildPath() != null) {
            Snapshot.buildContext(inline.buildPath(), folder.environment().resolve("context"), RunFolder.runs(session));
        }
        write(folder.jobYaml(), JobYaml.write(LocalJobs.resolvedTree(spec, name)));
        AmlRemoteJob job;
        try {
            job = remote.submit(request, notebook);
        } catch (MagicException e) {
            // No job was created, so the name is free again: the snapshot must not hold it.
            deleteQuietly(folder.root());
            throw e;
        }
        session.setVariable(LocalJobs.JOB_NAME_VARIABLE, job.name());
        ObjectNode record = JSON.createObjectNode();
        record.put("name", job.name());
        record.put("workspace", workspace.armId());
        record.put("submittedAt", Instant.now().toString());
        job.studioUrl().ifPresent(url -> record.put("studioUrl", url));
        try {
            // A record Drydock writes is masked like its output.
            write(folder.root().resolve(FILE), session.masker().mask(JSON.writeValueAsString(record)));
        } catch (IOException e) {
            throw MagicException.failed("Cannot write " + folder.root().resolve(FILE) + ": " + e.getMessage());
        }
        if (!stream) {
            notebook.out("%aml stream " + name + " follows its log; %aml status " + name + " shows its state.\n");
            return job;
        }
        return ended(remote.stream(name, notebook));
    }

    /** The summary of a followed job; Failed is the cell's error, and an interrupt leaves the job running. */
    AmlRemoteJob ended(AmlRemoteJob job) throws MagicException {
        if (!job.terminal()) {
            throw MagicException.interrupted();
        }
        String summary = "Job " + job.name() + " " + job.status() + " in workspace "
                + remote.requireWorkspace().name() + ".";
        if (job.status().equals("Completed")) {
            notebook.out("\n" + summary + job.studioUrl().map(url -> " " + url).orElse("") + "\n");
            return job;
        }
        throw MagicException.failed(summary + job.error().map(e -> " " + e).orElse(""));
    }

    void status(String name) throws MagicException {
        AmlRemoteJob job = remote.status(name);
        StringBuilder text = new StringBuilder();
        line(text, "Name", job.name());
        line(text, "Display name", job.displayName());
        line(text, "Experiment", job.experimentName());
        line(text, "Status", job.status());
        line(text, "Workspace", remote.requireWorkspace().name());
        line(text, "Compute", job.computeId().map(id -> id.substring(id.lastIndexOf('/') + 1)).orElse("serverless"));
        line(text, "Studio", job.studioUrl().orElse(null));
        line(text, "Error", job.error().orElse(null));
        notebook.out(text.toString());
        List<Metrics.Metric> metrics;
        try {
            metrics = remote.metrics(job);
        } catch (MagicException e) {
            // The job's state is what was asked for; metrics the run history cannot give are a note, not a failure.
            notebook.err("Its metrics could not be read from the workspace's run history: " + e.getMessage() + "\n");
            return;
        }
        if (metrics.isEmpty()) {
            notebook.out("No metrics logged" + (job.terminal() ? "" : " yet") + " (mlflow.log_metric logs them).\n");
        } else {
            notebook.display(Metrics.table(metrics), null);
        }
    }

    /** Follows a workspace job's log; an interrupt stops following, not the job. */
    void stream(String name) throws MagicException {
        AmlRemoteJob job = remote.stream(name, notebook);
        if (job.terminal()) {
            notebook.out("\nJob " + job.name() + " " + job.status() + "." + job.error().map(e -> " " + e).orElse("")
                    + "\n");
        }
    }

    /** Asks the workspace to cancel a job and says the state it answers with. */
    void cancel(String name) throws MagicException {
        AmlRemoteJob job = remote.cancel(name, notebook);
        notebook.out("Job " + name + " is " + job.status() + ".\n");
    }

    static void line(StringBuilder text, String label, String value) {
        if (value != null && !value.isEmpty()) {
            text.append(String.format("%-13s", label + ":")).append(value.replace("\n", "\n             ")).append('\n');
        }
    }

    // ---------------------------------------------------------------- mapping

    /**
     * The REST model of {@code spec}, as {@code az ml job create} builds it: the command verbatim, the code
     * from the snapshot ({@code runs/<job>/snapshot/code}), inputs with local paths made absolute (the client
     * uploads them), literals as strings, resources only where the YAML has them.
     */
    static AmlRemoteRequest request(JobSpec spec, String name, RunFolder folder) throws MagicException {
        if (spec.code() != null && spec.codeFolder().isEmpty()) {
            throw MagicException.usage("The job's code is " + spec.code() + "; %aml submit uploads a local code folder"
                    + " (code: ./src) and does not take a code asset yet.");
        }
        Optional<Path> code = spec.codeFolder().map(local -> folder.code());
        if (spec.codeFolder().isPresent() && !Files.isDirectory(spec.codeFolder().get())) {
            throw MagicException.failed("The job's code folder " + spec.codeFolder().get() + " does not exist or is not"
                    + " a folder (code: is relative to " + spec.file().getFileName() + "'s folder). Nothing was submitted.");
        }
        Map<String, AmlRemoteRequest.Input> inputs = new LinkedHashMap<>();
        for (var entry : spec.inputs().entrySet()) {
            inputs.put(entry.getKey(), input(spec, entry.getKey(), entry.getValue()));
        }
        Map<String, AmlRemoteRequest.Output> outputs = new LinkedHashMap<>();
        spec.outputs().forEach((output, value) -> outputs.put(output, new AmlRemoteRequest.Output(
                value.type() == null ? "uri_folder" : value.type(), Optional.ofNullable(value.path()),
                Optional.ofNullable(value.mode()))));
        JsonNode yamlResources = spec.tree().path("resources");
        if (yamlResources.has("locations")) {
            throw refused("resources.locations");
        }
        Optional<AmlRemoteRequest.Resources> resources = spec.tree().hasNonNull("resources")
                ? Optional.of(new AmlRemoteRequest.Resources(Optional.of(spec.resources().instanceCount()),
                        Optional.ofNullable(spec.resources().instanceType()),
                        Optional.ofNullable(spec.resources().shmSize()),
                        Optional.ofNullable(spec.resources().dockerArgs()),
                        yamlResources.path("properties").isObject()
                                ? JSON.convertValue(yamlResources.get("properties"), new TypeReference<Map<String, Object>>() { }) : Map.of()))
                : Optional.empty();
        Optional<AmlRemoteRequest.Distribution> distribution = Optional.ofNullable(spec.distribution())
                .map(d -> new AmlRemoteRequest.Distribution(d.type(), Optional.ofNullable(d.processCountPerInstance()),
                        Optional.ofNullable(d.workerCount()), Optional.ofNullable(d.parameterServerCount())));
        return new AmlRemoteRequest(name, spec.command(), code, environment(spec.environment(), folder.environment().resolve("context")), inputs,
                outputs,
                Optional.ofNullable(spec.compute()), resources, distribution, spec.environmentVariables(),
                Optional.ofNullable(spec.experimentName()), Optional.ofNullable(spec.displayName()),
                Optional.ofNullable(spec.description()), spec.tags(), more(spec.tree()));
    }

    /**
     * The job's keys beyond the ones above, in the REST form {@code az ml job create} sends them; a key the
     * api-version has no place for is refused by name rather than dropped.
     */
    static Map<String, JsonNode> more(JsonNode tree) throws MagicException {
        Map<String, JsonNode> more = new LinkedHashMap<>();
        JsonNode limits = tree.path("limits");
        if (limits.hasNonNull("timeout")) {
            // az ml sends the timeout in seconds as an ISO 8601 duration.
            more.put("limits", JSON.createObjectNode().put("jobLimitsType", "Command")
                    .put("timeout", java.time.Duration.ofSeconds(limits.get("timeout").asLong()).toString()));
        }
        JsonNode identity = tree.path("identity");
        if (identity.isObject()) {
            String type = identity.path("type").asText("");
            ObjectNode node = JSON.createObjectNode();
            node.put("identityType", switch (type) {
                case "user_identity" -> "UserIdentity";
                case "managed", "managed_identity" -> "Managed";
                case "aml_token" -> "AMLToken";
                default -> throw MagicException.usage("identity.type " + type + " is not one of user_identity, managed,"
                        + " aml_token.");
            });
            identity.properties().forEach(e -> {
                switch (e.getKey()) {
                    case "client_id" -> node.put("clientId", e.getValue().asText());
                    case "object_id" -> node.put("objectId", e.getValue().asText());
                    case "resource_id" -> node.put("resourceId", e.getValue().asText());
                    default -> { }
                }
            });
            more.put("identity", node);
        }
        JsonNode queue = tree.path("queue_settings");
        if (queue.isObject()) {
            if (queue.has("priority")) {
                throw refused("queue_settings.priority");
            }
            if (queue.hasNonNull("job_tier")) {
                String tier = queue.get("job_tier").asText();
                more.put("queueSettings", JSON.createObjectNode().put("jobTier", switch (tier.toLowerCase(
                        java.util.Locale.ROOT)) {
                    case "spot" -> "Spot";
                    case "basic" -> "Basic";
                    case "standard" -> "Standard";
                    case "premium" -> "Premium";
                    case "null" -> "Null";
                    default -> throw MagicException.usage("queue_settings.job_tier " + tier + " is not one of spot,"
                            + " basic, standard, premium, null.");
                }));
            }
        }
        JsonNode services = tree.path("services");
        if (services.isObject() && services.size() > 0) {
            ObjectNode node = JSON.createObjectNode();
            for (var entry : services.properties()) {
                node.set(entry.getKey(), service(entry.getKey(), entry.getValue()));
            }
            more.put("services", node);
        }
        JsonNode properties = tree.path("properties");
        if (properties.isObject() && properties.size() > 0) {
            ObjectNode node = JSON.createObjectNode();
            properties.properties().forEach(e -> node.put(e.getKey(), e.getValue().asText()));
            more.put("properties", node);
        }
        return more;
    }

    /** One of {@code services}, as the SDK's JupyterLab/SSH/TensorBoard/VSCode job services map to REST. */
    private static ObjectNode service(String name, JsonNode yaml) throws MagicException {
        ObjectNode node = JSON.createObjectNode();
        String type = yaml.path("type").asText("");
        node.put("jobServiceType", switch (type) {
            case "jupyter_lab" -> "JupyterLab";
            case "ssh" -> "SSH";
            case "tensor_board" -> "TensorBoard";
            case "vs_code" -> "VSCode";
            default -> throw MagicException.usage("services." + name + ".type " + type + " is not one of jupyter_lab,"
                    + " ssh, tensor_board, vs_code.");
        });
        if (yaml.hasNonNull("port")) {
            node.put("port", yaml.get("port").asInt());
        }
        if (yaml.hasNonNull("nodes")) {
            if (!yaml.get("nodes").asText().equals("all")) {
                throw MagicException.usage("services." + name + ".nodes is " + yaml.get("nodes").asText()
                        + "; the service takes all (or no nodes: for the leader node only).");
            }
            node.putObject("nodes").put("nodesValueType", "All");
        }
        ObjectNode properties = JSON.createObjectNode();
        yaml.path("properties").properties().forEach(e -> properties.put(e.getKey(), e.getValue().asText()));
        if (yaml.hasNonNull("ssh_public_keys")) {
            properties.put("sshPublicKeys", yaml.get("ssh_public_keys").asText());
        }
        if (properties.size() > 0) {
            node.set("properties", properties);
        }
        return node;
    }

    private static MagicException refused(String key) {
        return MagicException.usage(key + " has no place in Azure ML's REST API (api-version " + AmlHttp.API_VERSION
                + "), so the workspace cannot be given it; remove it, or run the job with --local.");
    }

    private static AmlRemoteRequest.Input input(JobSpec spec, String name, JobSpec.Input input) throws MagicException {
        if (input instanceof JobSpec.Literal literal) {
            return AmlRemoteRequest.Input.literal(literal.value());
        }
        JobSpec.Data data = (JobSpec.Data) input;
        String value = data.path();
        Optional<Path> local = data.localPath(spec.folder());
        if (local.isPresent()) {
            if (!Files.exists(local.get())) {
                throw MagicException.failed("Input " + name + " is " + local.get() + ", which does not exist. Nothing was"
                        + " submitted.");
            }
            value = local.get().toString();
        }
        return new AmlRemoteRequest.Input(data.type(), value, Optional.ofNullable(data.mode()));
    }

    /** The REST model of an environment; a build context goes up from {@code context}, its snapshot's copy. */
    static AmlRemoteRequest.Environment environment(JobSpec.Environment environment, Path context)
            throws MagicException {
        if (environment instanceof JobSpec.Image image) {
            return new AmlRemoteRequest.Environment.Image(image.image(), Optional.empty());
        }
        if (environment instanceof JobSpec.Registered registered) {
            if (registered.version() == null) {
                if (!"latest".equals(registered.label())) {
                    throw MagicException.usage("environment azureml:" + registered.name() + "@" + registered.label()
                            + " names a label other than latest; give azureml:NAME:VERSION or azureml:NAME@latest.");
                }
                return new AmlRemoteRequest.Environment.Latest(registered.name());
            }
            return new AmlRemoteRequest.Environment.Registered(registered.name(), registered.version());
        }
        if (environment instanceof JobSpec.Inline inline) {
            if (inline.buildPath() != null) {
                if (!Files.isDirectory(inline.buildPath())) {
                    throw MagicException.failed("The environment's build context " + inline.buildPath()
                            + " does not exist or is not a folder.");
                }
                return new AmlRemoteRequest.Environment.Build(context, inline.dockerfilePath());
            }
            try {
                return new AmlRemoteRequest.Environment.Image(inline.image(),
                        Optional.of(Files.readString(inline.condaFile(), StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw MagicException.failed("Cannot read the environment's conda file " + inline.condaFile() + ": "
                        + e.getMessage());
            }
        }
        JobSpec.DrydockEnv drydock = (JobSpec.DrydockEnv) environment;
        throw MagicException.usage("environment " + drydock.name() + " is a Drydock environment, which exists only in"
                + " the local Docker engine. For a workspace, push it (%env push " + drydock.name()
                + " REGISTRY.azurecr.io/...) and give that image as environment:, or run it here with --set"
                + " compute=local.");
    }

    private static void deleteQuietly(Path root) {
        try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // What is left only blocks the name; the submission's own error is the one to show.
        }
    }

    private static void write(Path file, String text) throws MagicException {
        try {
            AtomicFiles.write(file, text.getBytes(StandardCharsets.UTF_8), false, null);
        } catch (IOException e) {
            throw MagicException.failed("Cannot write " + file + ": " + e.getMessage());
        }
    }
}

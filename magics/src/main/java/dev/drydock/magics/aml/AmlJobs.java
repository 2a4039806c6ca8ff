package dev.drydock.magics.aml;

import dev.drydock.magics.render.LiveDisplay;
import dev.drydock.magics.render.Progress;
import com.azure.core.http.HttpMethod;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import static dev.drydock.magics.aml.AmlHttp.JSON;
import static dev.drydock.magics.aml.AmlHttp.segment;

/** Command jobs: the CLI v2 YAML mapped to a CommandJob body as {@code az ml} maps it, and the job's life after. */
final class AmlJobs {

    private static final Pattern REMOTE_URI = Pattern.compile("(?i)(azureml|https?|wasbs?|abfss?|adl)://.*");

    private final AmlHttp http;
    private final AmlUploads uploads;
    private final AmlAssets assets;
    private final AmlRunHistory runHistory;
    private final AmlOperations operations;
    /** How long a cancel is followed: the service accepts one within seconds. */
    private static final Duration CANCEL_BOUND = Duration.ofMinutes(2);

    AmlJobs(AmlHttp http, AmlUploads uploads, AmlAssets assets, AmlRunHistory runHistory, AmlOperations operations) {
        this.operations = operations;
        this.http = http;
        this.uploads = uploads;
        this.assets = assets;
        this.runHistory = runHistory;
    }

    // --- submit ---------------------------------------------------------------------------------------

    AmlRemoteJob submit(Workspace workspace, AmlRemoteRequest request, Notebook notebook) throws MagicException {
        Progress progress = new LiveDisplay(notebook, "aml-submit-" + request.name());
        String codeId = null;
        if (request.code().isPresent()) {
            progress.show("Uploading the code snapshot of " + request.name() + "…");
            codeId = uploads.code(workspace, request.code().get(), progress);
        }
        notebook.cancellation().throwIfCancelled();
        progress.show("Creating or reusing the environment…");
        String environmentId = assets.environment(workspace, request.environment(), progress);
        notebook.cancellation().throwIfCancelled();
        ObjectNode body = jobBody(workspace, request, codeId, environmentId, progress);
        progress.show("Creating job " + request.name() + "…");
        AmlHttp.Reply created = http.call(HttpMethod.PUT, http.armUrl(workspace.armId() + "/jobs/" + segment(request.name()), Map.of()),
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
            resources.dockerArgs().ifPresent(a -> node.put("dockerArgs", a));
            if (!resources.properties().isEmpty()) {
                node.set("properties", JSON.valueToTree(new java.util.TreeMap<>(resources.properties())));
            }
        });
        if (request.distribution().isPresent()) {
            properties.set("distribution", distribution(request.distribution().get()));
        }
        new java.util.TreeMap<>(request.more()).forEach(properties::set);
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
            Path local = http.session().resolve(value);
            if (!Files.exists(local)) {
                throw MagicException.usage("Input " + name + " is " + local + ", which does not exist.");
            }
            progress.show("Uploading input " + name + " (" + local.getFileName() + ")…");
            // As az ml refers to a local input: its place on the default datastore, a folder with its slash.
            uri = uploads.upload(workspace, local, progress).datastoreUri() + (Files.isDirectory(local) ? "/" : "");
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

    static String computeId(Workspace workspace, String compute) {
        if (compute.startsWith("/subscriptions/")) {
            return compute;
        }
        String name = compute.startsWith("azureml:") ? compute.substring("azureml:".length()) : compute;
        return workspace.armId() + "/computes/" + segment(name);
    }


    // --- status, list, cancel -------------------------------------------------------------------------

    AmlRemoteJob status(Workspace workspace, String name) throws MagicException {
        JsonNode found = http.call(HttpMethod.GET, http.armUrl(jobPath(workspace, name), Map.of()), null).body();
        AmlRemoteJob job = job(found);
        if (job.status().equals("Failed") && job.error().isEmpty()) {
            Optional<String> error = runHistory.runDetails(workspace, job).flatMap(AmlRunHistory::runError);
            if (error.isPresent()) {
                job = new AmlRemoteJob(job.name(), job.status(), job.displayName(), job.experimentName(),
                        job.computeId(), job.studioUrl(), error);
            }
        }
        return job;
    }


    List<AmlRemoteJob> list(Workspace workspace) throws MagicException {
        List<JsonNode> found = new ArrayList<>();
        String url = http.armUrl(workspace.armId() + "/jobs", Map.of());
        for (int page = 0; page < 5 && url != null; page++) {
            JsonNode body = http.call(HttpMethod.GET, url, null).body();
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

    AmlRemoteJob cancel(Workspace workspace, String name, Notebook notebook) throws MagicException {
        Progress progress = new LiveDisplay(notebook, "aml-cancel-" + name);
        progress.show("Canceling " + name + "…");
        AmlOperations.Outcome outcome = operations.run(HttpMethod.POST,
                http.armUrl(jobPath(workspace, name) + "/cancel", Map.of()), null, "cancellation of " + name, progress,
                notebook.cancellation(), CANCEL_BOUND);
        if (!outcome.succeeded()) {
            throw MagicException.failed("The cancellation of " + name + " ended " + outcome.status() + ": "
                    + outcome.reason());
        }
        AmlRemoteJob job = status(workspace, name);
        progress.show("Job " + name + " is " + job.status() + ".");
        return job;
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

}

package dev.drydock.magics.aml;

import dev.drydock.magics.render.LiveDisplay;
import dev.drydock.magics.render.Progress;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.util.Context;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import static dev.drydock.magics.aml.AmlHttp.JSON;
import static dev.drydock.magics.aml.AmlHttp.segment;
import static dev.drydock.magics.aml.AmlHttp.sleep;
import static dev.drydock.magics.aml.AmlHttp.trimSlash;

/**
 * The run history data plane (found through the workspace's discovery URL): a job's details, its log blobs
 * followed as {@code az ml job stream} follows them, and its metrics.
 */
final class AmlRunHistory {

    private static final Pattern USER_LOG = Pattern.compile("user_logs/std_log[\\D]*[0]*(?:_ps)?\\.txt");
    private static final Pattern LEGACY_LOG = Pattern.compile("azureml-logs/[\\d]{2}.+\\.txt");

    private final AmlHttp http;
    private final Map<String, String> runHistoryHosts = new HashMap<>();

    /** A job's current state, read from Azure Resource Manager by {@link AmlJobs}. */
    interface JobStatus {
        AmlRemoteJob get() throws MagicException;
    }

    AmlRunHistory(AmlHttp http) {
        this.http = http;
    }

    List<Metrics.Metric> metrics(Workspace workspace, AmlRemoteJob job) throws MagicException {
        String url = runHistoryHost(workspace) + "/history/v1.0" + workspace.armId() + "/experiments/"
                + segment(job.experimentName()) + "/metrics:query";
        List<JsonNode> found = new ArrayList<>();
        String continuation = null;
        for (int page = 0; page < 20; page++) {
            ObjectNode query = JSON.createObjectNode().put("filter", "RunId eq '" + job.name().replace("'", "''") + "'");
            if (continuation != null) {
                query.put("continuationToken", continuation);
            }
            JsonNode body = http.call(HttpMethod.POST, url, query).body();
            body.path("value").forEach(found::add);
            continuation = body.path("continuationToken").asText("");
            if (continuation.isEmpty()) {
                break;
            }
        }
        return Metrics.fromRunHistory(found, "run history");
    }


    // --- stream ---------------------------------------------------------------------------------------

    AmlRemoteJob stream(Workspace workspace, String name, Notebook notebook, JobStatus statusOf)
            throws MagicException {
        Progress progress = new LiveDisplay(notebook, "aml-stream-" + name);
        Map<String, Integer> printed = new LinkedHashMap<>();
        boolean logsAvailable = true;
        AmlRemoteJob job;
        while (true) {
            job = statusOf.get();
            progress.show(job.name() + ": " + job.status() + job.studioUrl().map(url -> "  " + url).orElse(""));
            if (logsAvailable) {
                Optional<JsonNode> details = runDetails(workspace, job);
                logsAvailable = details.isPresent();
                if (details.isPresent()) {
                    printLogs(details.get(), printed, notebook);
                }
            }
            if (job.terminal()) {
                break;
            }
            if (notebook.cancellation().isCancelled()) {
                notebook.err("Stopped following " + name + "; the job goes on. %aml cancel " + name + " stops it.\n");
                return job;
            }
            sleep(http.pollInterval());
        }
        if (!logsAvailable) {
            notebook.err("The job's logs could not be read from the workspace's run history; see them in the studio"
                    + job.studioUrl().map(url -> ": " + url).orElse(".") + "\n");
        }
        job.error().ifPresent(error -> notebook.err(name + " failed: " + error + "\n"));
        return job;
    }

    private void printLogs(JsonNode details, Map<String, Integer> printed, Notebook notebook) throws MagicException {
        Map<String, String> files = new java.util.TreeMap<>();
        details.path("logFiles").properties().forEach(e -> files.put(e.getKey(), e.getValue().asText()));
        // Each log's URL carries a SAS that reads the run's logs: never shown, never recorded.
        files.values().forEach(http::maskSas);
        List<String> chosen = files.keySet().stream().filter(n -> USER_LOG.matcher(n).matches()).toList();
        if (chosen.isEmpty()) {
            chosen = files.keySet().stream().filter(n -> LEGACY_LOG.matcher(n).matches()).toList();
        }
        if (chosen.isEmpty()) {
            chosen = List.copyOf(files.keySet());
        }
        Context context = http.requestContext();
        for (String file : chosen) {
            String text;
            try (HttpResponse response = http.plain().sendSync(new HttpRequest(HttpMethod.GET, files.get(file)), context)) {
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
    Optional<JsonNode> runDetails(Workspace workspace, AmlRemoteJob job) {
        try {
            String host = runHistoryHost(workspace);
            String url = host + "/history/v1.0" + workspace.armId() + "/experiments/" + segment(job.experimentName())
                    + "/runs/" + segment(job.name()) + "/details";
            AmlHttp.Reply reply = http.call(HttpMethod.GET, url, null);
            return Optional.of(reply.body());
        } catch (MagicException e) {
            return Optional.empty();
        }
    }

    static Optional<String> runError(JsonNode details) {
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
        JsonNode found = http.call(HttpMethod.GET, http.armUrl(workspace.armId(), Map.of()), null).body();
        String discovery = found.path("properties").path("discoveryUrl").asText("");
        if (discovery.isEmpty()) {
            throw MagicException.failed("Workspace " + workspace.name() + " has no discovery URL.");
        }
        JsonNode services = http.send(http.plain(), HttpMethod.GET, discovery, null).body();
        String api = trimSlash(services.path("api").asText(""));
        if (api.isEmpty()) {
            throw MagicException.failed("The discovery document of " + workspace.name() + " names no api host.");
        }
        runHistoryHosts.put(workspace.armId(), api);
        return api;
    }

}

package dev.drydock.magics.aml;

import dev.drydock.magics.render.LiveDisplay;
import dev.drydock.magics.render.Progress;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.util.Context;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import static dev.drydock.magics.aml.AmlHttp.JSON;
import static dev.drydock.magics.aml.AmlHttp.segment;
import static dev.drydock.magics.aml.AmlHttp.firstLine;
import static dev.drydock.magics.aml.AmlHttp.rootCause;

/** Online endpoints and deployments: create or update, follow their provisioning, score. */
final class AmlEndpoints {

    private final AmlHttp http;
    private final AmlUploads uploads;
    private final AmlAssets assets;
    private final AmlOperations operations;

    AmlEndpoints(AmlHttp http, AmlUploads uploads, AmlAssets assets, AmlOperations operations) {
        this.http = http;
        this.operations = operations;
        this.uploads = uploads;
        this.assets = assets;
    }

    // --- online endpoints ---------------------------------------------------------------------------

    /** How long a create, update or delete is followed; a managed deployment takes about ten minutes. */
    static final Duration PROVISIONING = Duration.ofMinutes(30);

    AmlRemoteDeployment.Result deploy(Workspace workspace, AmlRemoteDeployment request, Notebook notebook) throws MagicException {
        Progress progress = new LiveDisplay(notebook, "aml-deploy-" + request.endpoint());
        progress.show("Reading workspace " + workspace.name() + "…");
        String location = http.call(HttpMethod.GET, http.armUrl(workspace.armId(), Map.of()), null).body().path("location")
                .asText("");
        String endpointPath = workspace.armId() + "/onlineEndpoints/" + segment(request.endpoint());
        ObjectNode endpoint = request.endpointMore().deepCopy();
        endpoint.put("location", location);
        ObjectNode endpointProperties = (ObjectNode) endpoint.get("properties");
        endpointProperties.put("authMode", switch (request.authMode()) {
            case "aml_token" -> "AMLToken";
            case "aad_token" -> "AADToken";
            default -> "Key";
        });
        request.endpointCompute().ifPresent(compute -> endpointProperties.put("compute", AmlJobs.computeId(workspace, compute)));
        Optional<AmlHttp.Reply> existing = http.find(http.armUrl(endpointPath, Map.of()));
        if (existing.isPresent()) {
            // An update keeps the traffic split the endpoint has; a PUT without it would reset it.
            JsonNode traffic = existing.get().body().path("properties").path("traffic");
            if (traffic.isObject()) {
                endpointProperties.set("traffic", traffic);
            }
            // The kind an endpoint was made with stays: ARM refuses to change it, and a PUT without it would try.
            JsonNode kind = existing.get().body().get("kind");
            if (kind != null && !endpoint.has("kind")) {
                endpoint.set("kind", kind);
            }
        }
        progress.show("Creating or updating endpoint " + request.endpoint() + "…");
        provision(endpointPath, endpoint, "endpoint " + request.endpoint(), progress, notebook, ".");

        progress.show("Uploading the code of " + request.deployment() + "…");
        String codeId = uploads.code(workspace, request.code(), progress);
        progress.show("Creating or reusing the environment…");
        String environmentId = assets.environment(workspace, request.environment(), progress);
        String modelId = null;
        if (request.model().isPresent()) {
            modelId = assets.model(workspace, request, progress);
        }
        notebook.cancellation().throwIfCancelled();

        ObjectNode deployment = request.deploymentMore().deepCopy();
        deployment.put("location", location);
        ObjectNode properties = (ObjectNode) deployment.get("properties");
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
        String state = provision(deploymentPath, deployment, "deployment " + request.deployment() + " of "
                + request.endpoint(), progress, notebook, "; az ml online-deployment get-logs shows why.");

        JsonNode current = http.call(HttpMethod.GET, http.armUrl(endpointPath, Map.of()), null).body();
        JsonNode traffic = current.path("properties").path("traffic");
        boolean asked = !request.traffic().isEmpty() && !JSON.valueToTree(request.traffic()).equals(traffic);
        if (asked || !traffic.isObject() || traffic.size() == 0) {
            ObjectNode update = current.deepCopy();
            ObjectNode updateProperties = (ObjectNode) update.get("properties");
            // The YAML's traffic once its deployment exists; without one, all of it to a first deployment.
            updateProperties.set("traffic", asked ? JSON.valueToTree(request.traffic())
                    : JSON.createObjectNode().put(request.deployment(), 100));
            for (String readOnly : List.of("provisioningState", "scoringUri", "swaggerUri")) {
                updateProperties.remove(readOnly);
            }
            for (String readOnly : List.of("id", "name", "type", "systemData")) {
                update.remove(readOnly);
            }
            progress.show("Setting the traffic of " + request.endpoint() + "…");
            provision(endpointPath, update, "endpoint " + request.endpoint(), progress, notebook, ".");
            current = http.call(HttpMethod.GET, http.armUrl(endpointPath, Map.of()), null).body();
        }
        Map<String, Integer> split = new java.util.TreeMap<>();
        current.path("properties").path("traffic").properties().forEach(e -> split.put(e.getKey(), e.getValue().asInt()));
        Optional<String> scoring = Optional.ofNullable(current.path("properties").path("scoringUri").asText(null));
        progress.show("Deployment " + request.deployment() + " of " + request.endpoint() + " is " + state
                + scoring.map(uri -> "; scoring URI " + uri).orElse("") + "; traffic " + split + ".");
        return new AmlRemoteDeployment.Result(request.endpoint(), request.deployment(), state, scoring, split);
    }

    AmlRemote.Scored invoke(Workspace workspace, String endpointName, byte[] request) throws MagicException {
        String path = workspace.armId() + "/onlineEndpoints/" + segment(endpointName);
        JsonNode properties = http.call(HttpMethod.GET, http.armUrl(path, Map.of()), null).body().path("properties");
        String scoringUri = properties.path("scoringUri").asText("");
        if (scoringUri.isEmpty()) {
            throw MagicException.failed("Endpoint " + endpointName + " has no scoring URI yet (it is "
                    + properties.path("provisioningState").asText("not provisioned") + ").");
        }
        String authMode = properties.path("authMode").asText("Key");
        JsonNode credentials = switch (authMode) {
            case "AMLToken" -> http.call(HttpMethod.POST, http.armUrl(path + "/token", Map.of()), null).body();
            case "Key" -> http.call(HttpMethod.POST, http.armUrl(path + "/listKeys", Map.of()), null).body();
            default -> throw MagicException.usage("Endpoint " + endpointName + " takes " + authMode + " auth;"
                    + " %aml invoke sends keys and AML tokens (auth_mode: key or aml_token).");
        };
        // Every key received is masked, the one not used too: an error body or a log line may echo either.
        for (String field : List.of("primaryKey", "secondaryKey", "accessToken")) {
            http.session().masker().add(credentials.path(field).asText(""));
        }
        String secret = credentials.path(authMode.equals("Key") ? "primaryKey" : "accessToken").asText("");
        if (secret.isEmpty()) {
            throw MagicException.failed("Azure ML gave no " + (authMode.equals("Key") ? "key" : "token")
                    + " for endpoint " + endpointName + ".");
        }
        HttpRequest post = new HttpRequest(HttpMethod.POST, scoringUri);
        post.setHeader(HttpHeaderName.CONTENT_TYPE, "application/json");
        post.setHeader(HttpHeaderName.ACCEPT, "application/json");
        post.setHeader(HttpHeaderName.AUTHORIZATION, "Bearer " + secret);
        post.setBody(request);
        try (HttpResponse response = http.scoring().sendSync(post, Context.NONE)) {
            String body = response.getBodyAsBinaryData() == null ? "" : response.getBodyAsBinaryData().toString();
            return new AmlRemote.Scored(response.getStatusCode(), body);
        } catch (RuntimeException e) {
            throw MagicException.failed("Endpoint " + endpointName + " did not answer at " + scoringUri + ": "
                    + firstLine(String.valueOf(rootCause(e).getMessage())));
        }
    }


    /** Follows a PUT of an endpoint or deployment to its end; anything but Succeeded is the cell's error. */
    private String provision(String path, JsonNode body, String what, Progress progress, Notebook notebook,
            String hint) throws MagicException {
        AmlOperations.Outcome outcome = operations.run(HttpMethod.PUT, http.armUrl(path, Map.of()), body, what,
                progress, notebook.cancellation(), PROVISIONING);
        if (!outcome.succeeded()) {
            throw MagicException.failed("The " + what + " ended " + outcome.status() + ": " + outcome.reason() + hint);
        }
        return "Succeeded";
    }

    /**
     * Deletes an online endpoint (with its deployments) or one deployment, as {@code az ml online-endpoint
     * delete} / {@code online-deployment delete} do: a DELETE, then the long-running operation to its end.
     */
    void delete(Workspace workspace, String endpoint, Optional<String> deployment, Notebook notebook)
            throws MagicException {
        String path = workspace.armId() + "/onlineEndpoints/" + segment(endpoint)
                + deployment.map(d -> "/deployments/" + segment(d)).orElse("");
        String what = deployment.map(d -> "deletion of deployment " + d + " of " + endpoint)
                .orElse("deletion of endpoint " + endpoint);
        Progress progress = new LiveDisplay(notebook, "aml-delete-" + endpoint);
        progress.show("Deleting " + deployment.map(d -> "deployment " + d + " of ").orElse("endpoint ") + endpoint
                + " in " + workspace.name() + "…");
        AmlOperations.Outcome outcome = operations.run(HttpMethod.DELETE, http.armUrl(path, Map.of()), null, what,
                progress, notebook.cancellation(), PROVISIONING);
        if (!outcome.succeeded()) {
            throw MagicException.failed("The " + what + " ended " + outcome.status() + ": " + outcome.reason());
        }
        progress.show("Deleted " + deployment.map(d -> "deployment " + d + " of ").orElse("endpoint ") + endpoint
                + " in " + workspace.name() + ".");
    }
}

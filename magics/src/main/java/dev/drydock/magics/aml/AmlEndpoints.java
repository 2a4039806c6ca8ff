package dev.drydock.magics.aml;

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
import static dev.drydock.magics.aml.AmlHttp.sleep;

/** Online endpoints and deployments: create or update, follow their provisioning, score. */
final class AmlEndpoints {

    private final AmlHttp http;
    private final AmlUploads uploads;
    private final AmlAssets assets;

    AmlEndpoints(AmlHttp http, AmlUploads uploads, AmlAssets assets) {
        this.http = http;
        this.uploads = uploads;
        this.assets = assets;
    }

    // --- online endpoints ---------------------------------------------------------------------------

    private static final java.util.Set<String> PROVISIONED = java.util.Set.of("Succeeded", "Failed", "Canceled");

    AmlRemoteDeployment.Result deploy(Workspace workspace, AmlRemoteDeployment request, Notebook notebook) throws MagicException {
        AmlProgress progress = new AmlProgress(notebook, "aml-deploy-" + request.endpoint());
        progress.show("Reading workspace " + workspace.name() + "…");
        String location = http.call(HttpMethod.GET, http.armUrl(workspace.armId(), Map.of()), null).body().path("location")
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
        request.endpointCompute().ifPresent(compute -> endpointProperties.put("compute", AmlJobs.computeId(workspace, compute)));
        Optional<AmlHttp.Reply> existing = http.find(http.armUrl(endpointPath, Map.of()));
        if (existing.isPresent()) {
            // An update keeps the traffic split the endpoint has; a PUT without it would reset it.
            JsonNode traffic = existing.get().body().path("properties").path("traffic");
            if (traffic.isObject()) {
                endpointProperties.set("traffic", traffic);
            }
        }
        progress.show("Creating or updating endpoint " + request.endpoint() + "…");
        http.call(HttpMethod.PUT, http.armUrl(endpointPath, Map.of()), endpoint);
        awaitProvisioned(endpointPath, "endpoint " + request.endpoint(), progress);

        progress.show("Uploading the code of " + request.deployment() + "…");
        String codeId = uploads.uploadFolder(workspace, request.code(), "code").id();
        progress.show("Creating or reusing the environment…");
        String environmentId = assets.environment(workspace, request.environment());
        String modelId = null;
        if (request.model().isPresent()) {
            modelId = assets.model(workspace, request, progress);
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
        http.call(HttpMethod.PUT, http.armUrl(deploymentPath, Map.of()), deployment);
        String state = awaitProvisioned(deploymentPath, "deployment " + request.deployment(), progress);
        if (!state.equals("Succeeded")) {
            throw MagicException.failed("Deployment " + request.deployment() + " of " + request.endpoint() + " ended "
                    + state + "; az ml online-deployment get-logs shows why.");
        }

        JsonNode current = http.call(HttpMethod.GET, http.armUrl(endpointPath, Map.of()), null).body();
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
            http.call(HttpMethod.PUT, http.armUrl(endpointPath, Map.of()), update);
            awaitProvisioned(endpointPath, "endpoint " + request.endpoint(), progress);
            current = http.call(HttpMethod.GET, http.armUrl(endpointPath, Map.of()), null).body();
        }
        Map<String, Integer> split = new java.util.TreeMap<>();
        current.path("properties").path("traffic").fields().forEachRemaining(e -> split.put(e.getKey(), e.getValue().asInt()));
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
        String secret = switch (authMode) {
            case "AMLToken" -> http.call(HttpMethod.POST, http.armUrl(path + "/token", Map.of()), null).body()
                    .path("accessToken").asText("");
            case "Key" -> http.call(HttpMethod.POST, http.armUrl(path + "/listKeys", Map.of()), null).body()
                    .path("primaryKey").asText("");
            default -> throw MagicException.usage("Endpoint " + endpointName + " takes " + authMode + " auth;"
                    + " %aml invoke sends keys and AML tokens (auth_mode: key or aml_token).");
        };
        if (secret.isEmpty()) {
            throw MagicException.failed("Azure ML gave no " + (authMode.equals("Key") ? "key" : "token")
                    + " for endpoint " + endpointName + ".");
        }
        // Masked before it can reach any output: an error message or a log line may echo it.
        http.session().masker().add(secret);
        HttpRequest post = new HttpRequest(HttpMethod.POST, scoringUri);
        post.setHeader(HttpHeaderName.CONTENT_TYPE, "application/json");
        post.setHeader(HttpHeaderName.ACCEPT, "application/json");
        post.setHeader(HttpHeaderName.AUTHORIZATION, "Bearer " + secret);
        post.setBody(request);
        try (HttpResponse response = http.plain().sendSync(post, Context.NONE)) {
            String body = response.getBodyAsBinaryData() == null ? "" : response.getBodyAsBinaryData().toString();
            return new AmlRemote.Scored(response.getStatusCode(), body);
        } catch (RuntimeException e) {
            throw MagicException.failed("Endpoint " + endpointName + " did not answer at " + scoringUri + ": "
                    + firstLine(String.valueOf(rootCause(e).getMessage())));
        }
    }


    /** Polls a resource until its provisioningState is Succeeded, Failed or Canceled; returns that state. */
    private String awaitProvisioned(String path, String what, AmlProgress progress) throws MagicException {
        long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
        while (true) {
            String state = http.call(HttpMethod.GET, http.armUrl(path, Map.of()), null).body().path("properties")
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
            sleep(http.pollInterval());
        }
    }

}

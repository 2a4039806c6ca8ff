package dev.drydock.magics.aml;

import dev.drydock.magics.render.Progress;
import com.azure.core.http.HttpMethod;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.magics.MagicException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import static dev.drydock.magics.aml.AmlHttp.JSON;
import static dev.drydock.magics.aml.AmlHttp.segment;
import static dev.drydock.magics.aml.AmlHttp.sha256;

/** Environment and model assets: registered ones by id, anonymous ones created unless their content exists. */
final class AmlAssets {

    /** The name the Azure ML CLI gives environments defined inside a job; Drydock reuses it. */
    static final String ANONYMOUS_ENVIRONMENT = "CliV2AnonymousEnvironment";

    private final AmlHttp http;
    private final AmlUploads uploads;

    AmlAssets(AmlHttp http, AmlUploads uploads) {
        this.http = http;
        this.uploads = uploads;
    }

    /** The environment's ARM id, registering an anonymous version unless one with the same content exists. */
    String environment(Workspace workspace, AmlRemoteRequest.Environment environment, Progress progress)
            throws MagicException {
        ObjectNode properties = JSON.createObjectNode();
        String content;
        if (environment instanceof AmlRemoteRequest.Environment.Latest latest) {
            // az ml resolves @latest to the newest version by creation time.
            JsonNode versions = http.call(HttpMethod.GET, http.armUrl(workspace.armId() + "/environments/"
                    + segment(latest.name()) + "/versions", Map.of("$orderBy", "createdtime desc", "$top", "1")),
                    null).body().path("value");
            if (versions.isEmpty()) {
                throw MagicException.failed("Environment " + latest.name() + " has no versions in " + workspace.name()
                        + ", so azureml:" + latest.name() + "@latest names nothing.");
            }
            return versions.get(0).path("id").asText();
        }
        if (environment instanceof AmlRemoteRequest.Environment.Registered registered) {
            return workspace.armId() + "/environments/" + segment(registered.name()) + "/versions/"
                    + segment(registered.version());
        } else if (environment instanceof AmlRemoteRequest.Environment.Image image) {
            properties.put("image", image.image());
            image.condaFile().ifPresent(conda -> properties.put("condaFile", conda));
            content = "image\0" + image.image() + "\0" + image.condaFile().orElse("");
        } else {
            AmlRemoteRequest.Environment.Build build = (AmlRemoteRequest.Environment.Build) environment;
            AmlUploads.Uploaded context = uploads.upload(workspace, build.context(), progress);
            ObjectNode node = properties.putObject("build");
            // The service wants the folder URI with its trailing slash (the Azure ML SDK says so too).
            node.put("contextUri", context.httpsUri() + "/");
            node.put("dockerfilePath", build.dockerfilePath());
            content = "build\0" + context.httpsUri() + "\0" + build.dockerfilePath();
        }
        properties.put("osType", "Linux");
        properties.put("isAnonymous", true);
        String version = sha256(content.getBytes(StandardCharsets.UTF_8)).substring(0, 32);
        String path = workspace.armId() + "/environments/" + ANONYMOUS_ENVIRONMENT + "/versions/" + version;
        Optional<AmlHttp.Reply> existing = http.find(http.armUrl(path, Map.of()));
        if (existing.isEmpty()) {
            ObjectNode body = JSON.createObjectNode();
            body.set("properties", properties);
            http.call(HttpMethod.PUT, http.armUrl(path, Map.of()), body);
        }
        return path;
    }

    /**
     * The model's ARM id: a workspace's ({@code azureml:NAME:VERSION}) as it is; a local one uploaded to the
     * datastore (once per content) and registered — anonymously, named after its content, unless the YAML names
     * it. A changed local model therefore makes a new version, and a named version that exists with other files
     * is an error rather than a silent reuse.
     */
    String model(Workspace workspace, AmlRemoteDeployment request, Progress progress) throws MagicException {
        String model = request.model().get();
        if (model.startsWith("azureml:")) {
            String[] parts = model.substring("azureml:".length()).split(":", 2);
            return workspace.armId() + "/models/" + segment(parts[0]) + "/versions/" + segment(parts[1]);
        }
        Path local = http.session().resolve(model);
        progress.show("Uploading model " + local.getFileName() + "…");
        AmlUploads.Uploaded uploaded = uploads.upload(workspace, local, progress);
        String name = request.modelName().orElse(uploaded.name());
        String version = request.modelName().isPresent() ? request.modelVersion() : uploaded.version();
        String path = workspace.armId() + "/models/" + segment(name) + "/versions/" + segment(version);
        Optional<AmlHttp.Reply> existing = http.find(http.armUrl(path, Map.of()));
        if (existing.isPresent()) {
            String registered = existing.get().body().path("properties").path("modelUri").asText("");
            if (registered.equals(uploaded.datastoreUri())) {
                return path;
            }
            throw MagicException.failed("Model " + name + " version " + version + " exists in " + workspace.name()
                    + " with other files (" + registered + "), and a version does not change. Give the model a new"
                    + " version: in the deployment YAML, or leave name and version out to register it anonymously,"
                    + " named after its content.");
        }
        ObjectNode properties = JSON.createObjectNode();
        properties.put("modelUri", uploaded.datastoreUri()).put("modelType", "custom_model");
        if (request.modelName().isEmpty()) {
            properties.put("isAnonymous", true);
        }
        ObjectNode body = JSON.createObjectNode();
        body.set("properties", properties);
        http.call(HttpMethod.PUT, http.armUrl(path, Map.of()), body);
        return path;
    }

}

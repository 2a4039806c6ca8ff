package dev.drydock.magics.aml;

import com.azure.core.http.HttpMethod;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.magics.MagicException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
            AmlUploads.Uploaded context = uploads.uploadFolder(workspace, build.context(), "context");
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
        Optional<AmlHttp.Reply> existing = http.find(http.armUrl(path, Map.of()));
        if (existing.isEmpty()) {
            ObjectNode body = JSON.createObjectNode();
            body.set("properties", properties);
            http.call(HttpMethod.PUT, http.armUrl(path, Map.of()), body);
        }
        return path;
    }

    /** A local model registered as a version whose files went up with the code asset mechanism; else the asset's id. */
    String model(Workspace workspace, AmlRemoteDeployment request, AmlProgress progress) throws MagicException {
        String model = request.model().get();
        if (model.startsWith("azureml:")) {
            String[] parts = model.substring("azureml:".length()).split(":", 2);
            return workspace.armId() + "/models/" + segment(parts[0]) + "/versions/" + segment(parts[1]);
        }
        Path local = http.session().resolve(model);
        String path = workspace.armId() + "/models/" + segment(request.modelName()) + "/versions/"
                + segment(request.modelVersion());
        if (http.find(http.armUrl(path, Map.of())).isPresent()) {
            return path;
        }
        progress.show("Uploading model " + request.modelName() + " (" + local.getFileName() + ")…");
        String uri = Files.isDirectory(local) ? uploads.upload(workspace, local, AmlUploads.files(local), "model").uri()
                : uploads.upload(workspace, local.getParent(), List.of(local), "model").uri() + "/"
                        + segment(local.getFileName().toString());
        ObjectNode body = JSON.createObjectNode();
        body.putObject("properties").put("modelUri", uri).put("modelType", "custom_model")
                .put("description", "Registered by Drydock's %aml deploy");
        http.call(HttpMethod.PUT, http.armUrl(path, Map.of()), body);
        return path;
    }

}

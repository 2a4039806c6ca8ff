package dev.drydock.magics.aml;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.drydock.magics.MagicException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the Azure ML CLI v2 online endpoint YAML ({@code managedOnlineEndpoint.schema.json}) and the managed
 * or Kubernetes online deployment YAML, with the keys of the CLI v2 reference ({@code reference-yaml-endpoint-online},
 * {@code reference-yaml-deployment-managed-online}, {@code reference-yaml-deployment-kubernetes-online}); an
 * unknown key names the nearest valid one, as for jobs. Relative paths resolve against the YAML's folder.
 */
final class DeploymentYaml {

    static final Set<String> ENDPOINT = Set.of("$schema", "name", "description", "tags", "auth_mode", "compute",
            "identity", "traffic", "mirror_traffic", "public_network_access", "kind");
    static final Set<String> DEPLOYMENT = Set.of("$schema", "name", "endpoint_name", "description", "tags", "type",
            "model", "code_configuration", "environment", "instance_type", "instance_count", "app_insights_enabled",
            "scale_settings", "request_settings", "liveness_probe", "readiness_probe", "environment_variables",
            "egress_public_network_access", "data_collector", "properties", "resources", "model_mount_path");
    static final Set<String> CODE_CONFIGURATION = Set.of("code", "scoring_script");
    static final Set<String> MODEL = Set.of("name", "version", "path", "type", "description", "tags", "properties");
    static final Set<String> AUTH_MODES = Set.of("key", "aml_token", "aad_token");
    /** Online endpoint names, as the service checks them. */
    static final Pattern ENDPOINT_NAME = Pattern.compile("[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]");

    private DeploymentYaml() {}

    /** An online endpoint: its name and how callers authenticate (locally, nobody needs to). */
    record Endpoint(Path file, String name, String authMode, String description, String compute, JsonNode tree) {}

    /**
     * A model: a local file or folder ({@code path}), or a workspace's ({@code azureml:NAME:VERSION}).
     *
     * @param path the local file or folder, null for a registered model
     * @param reference {@code azureml:NAME:VERSION}, null for a local model
     * @param named whether the YAML names the model; an unnamed local model is registered anonymously, named after
     *     its content, as {@code az ml} does ({@code name} and {@code version} are then only the local layout's)
     */
    record Model(String name, String version, Path path, String reference, boolean named) {}

    /**
     * An online deployment.
     *
     * @param type {@code managed} or {@code kubernetes}
     * @param model the model, null when the deployment has none
     * @param code the {@code code_configuration.code} folder
     * @param scoringScript {@code code_configuration.scoring_script}, relative to {@code code}
     */
    record Deployment(Path file, String name, String endpointName, String type, Model model, Path code,
            String scoringScript, JobSpec.Environment environment, String instanceType, Integer instanceCount,
            Map<String, String> environmentVariables, JsonNode tree) {}

    static Endpoint endpoint(Path file) throws MagicException {
        String text = read(file);
        JsonNode root = parse(file, text);
        JobYaml reader = JobYaml.reader(file, text);
        reader.keys(root, "", ENDPOINT);
        String name = reader.text(root, "name", null);
        if (name == null) {
            throw reader.error("", "the endpoint has no `name:` (3 to 32 letters, digits and -, starting with a letter).");
        }
        if (!ENDPOINT_NAME.matcher(name).matches()) {
            throw reader.error("/name", "bad endpoint name `" + name + "`: 3 to 32 letters, digits and -, starting"
                    + " with a letter and not ending with -.");
        }
        String auth = reader.text(root, "auth_mode", "key");
        if (!AUTH_MODES.contains(auth)) {
            String hint = JobYaml.nearest(auth, AUTH_MODES);
            throw reader.error("/auth_mode", "`auth_mode: " + auth + "` is not one of aad_token, aml_token, key"
                    + (hint.isEmpty() ? "." : hint));
        }
        return new Endpoint(file, name, auth, reader.text(root, "description", null), reader.text(root, "compute", null),
                root);
    }

    static Deployment deployment(Path file, Endpoint endpoint) throws MagicException {
        String text = read(file);
        JsonNode root = parse(file, text);
        JobYaml reader = JobYaml.reader(file, text);
        reader.keys(root, "", DEPLOYMENT);
        Path folder = file.toAbsolutePath().getParent();
        String name = reader.text(root, "name", null);
        if (name == null) {
            throw reader.error("", "the deployment has no `name:` (such as blue).");
        }
        String endpointName = reader.text(root, "endpoint_name", endpoint.name());
        if (!endpointName.equals(endpoint.name())) {
            throw reader.error("/endpoint_name", "the deployment is for endpoint `" + endpointName + "`, but "
                    + endpoint.file().getFileName() + " defines `" + endpoint.name() + "`.");
        }
        String type = reader.text(root, "type", "managed");
        if (!type.equals("managed") && !type.equals("kubernetes")) {
            throw reader.error("/type", "`type: " + type + "` is neither managed nor kubernetes.");
        }
        JsonNode configuration = root.get("code_configuration");
        if (configuration == null || configuration.isNull()) {
            throw reader.error("", "the deployment has no `code_configuration:` ({code: ./folder, scoring_script:"
                    + " score.py}); a local deployment runs that script's init() and run().");
        }
        reader.requireMap(configuration, "/code_configuration");
        reader.keys(configuration, "/code_configuration", CODE_CONFIGURATION);
        String code = reader.text(configuration, "code", null, "/code_configuration");
        String script = reader.text(configuration, "scoring_script", null, "/code_configuration");
        if (code == null || script == null) {
            throw reader.error("/code_configuration", "`code_configuration` needs both `code:` (the folder) and"
                    + " `scoring_script:` (the file in it with init() and run()).");
        }
        if (JobSpec.hasScheme(code) || code.startsWith("azureml:")) {
            throw reader.error("/code_configuration/code", "`code: " + code + "` is not a local folder.");
        }
        Path codeFolder = folder.resolve(JobSpec.stripFileScheme(code)).normalize();
        JsonNode environment = root.get("environment");
        if (environment == null || environment.isNull()) {
            throw reader.error("", "the deployment has no `environment:` (an image with Python, a Drydock environment's"
                    + " name, {image: ..., conda_file: ...} or azureml:NAME:VERSION).");
        }
        Integer count = root.hasNonNull("instance_count") ? reader.integer(root, "instance_count", 1, "") : null;
        return new Deployment(file, name, endpointName, type, model(reader, root.get("model"), folder), codeFolder,
                script, reader.environmentAt(environment, folder), reader.text(root, "instance_type", null), count,
                reader.stringMap(root.get("environment_variables"), "/environment_variables"), root);
    }

    private static Model model(JobYaml reader, JsonNode node, Path folder) throws MagicException {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            String value = node.asText().strip();
            String[] parts = value.startsWith("azureml:") ? value.substring("azureml:".length()).split(":") : new String[0];
            if (parts.length != 2) {
                throw reader.error("/model", "`model: " + value + "` is neither azureml:NAME:VERSION nor a map with"
                        + " `path:` (a local file or folder).");
            }
            return new Model(parts[0], parts[1], null, value, true);
        }
        reader.requireMap(node, "/model");
        reader.keys(node, "/model", MODEL);
        String path = reader.text(node, "path", null, "/model");
        if (path == null) {
            throw reader.error("/model", "an inline model needs `path:`, its local file or folder.");
        }
        if (JobSpec.hasScheme(path) || path.startsWith("azureml:")) {
            throw reader.error("/model/path", "`path: " + path + "` is not a local file or folder.");
        }
        return new Model(reader.text(node, "name", "model", "/model"), reader.text(node, "version", "1", "/model"),
                folder.resolve(JobSpec.stripFileScheme(path)).normalize(), null, node.hasNonNull("name"));
    }

    private static String read(Path file) throws MagicException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw MagicException.failed("The file " + file + " does not exist.");
        } catch (IOException e) {
            throw MagicException.failed("Cannot read " + file + ": " + e.getMessage());
        }
    }

    private static JsonNode parse(Path file, String text) throws MagicException {
        JsonNode root;
        try {
            root = JobYaml.YAML.readTree(text);
        } catch (JsonProcessingException e) {
            String line = e.getLocation() == null ? "" : ", line " + e.getLocation().getLineNr();
            throw MagicException.failed(file + line + ": not valid YAML: " + e.getOriginalMessage().lines().findFirst()
                    .orElse(""));
        }
        if (root == null || !root.isObject()) {
            throw MagicException.failed(file + " is not an online endpoint or deployment: expected a YAML map.");
        }
        return root;
    }
}

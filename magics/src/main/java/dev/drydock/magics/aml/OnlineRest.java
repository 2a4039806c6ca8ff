package dev.drydock.magics.aml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.magics.MagicException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The online endpoint and deployment YAML keys beyond the ones {@link AmlEndpoints} builds its bodies from,
 * in the REST form {@code az ml online-endpoint/online-deployment create} sends them: top-level {@code tags},
 * {@code identity} and {@code kind}, the rest under {@code properties}. A key {@link DeploymentYaml} accepts
 * that is neither here nor there is refused by name, never dropped.
 */
final class OnlineRest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Keys that {@link AmlEndpoints} or the YAML reader handle themselves. */
    private static final Set<String> ENDPOINT_ELSEWHERE = Set.of("$schema", "name", "auth_mode", "compute", "traffic");
    private static final Set<String> DEPLOYMENT_ELSEWHERE = Set.of("$schema", "name", "endpoint_name", "type", "model",
            "code_configuration", "environment", "instance_type", "instance_count", "environment_variables");

    private OnlineRest() {}

    /** The endpoint's extra keys; {@code identity} defaults to system-assigned, as {@code az ml}'s does. */
    static ObjectNode endpoint(JsonNode yaml) throws MagicException {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode properties = body.putObject("properties");
        body.set("identity", identity(yaml.get("identity")));
        for (var entry : yaml.properties()) {
            String key = entry.getKey();
            JsonNode value = entry.getValue();
            if (ENDPOINT_ELSEWHERE.contains(key) || key.equals("identity") || value.isNull()) {
                continue;
            }
            switch (key) {
                case "description" -> properties.put("description", value.asText());
                case "tags" -> body.set("tags", strings(value));
                case "kind" -> body.put("kind", value.asText());
                case "public_network_access" -> properties.put("publicNetworkAccess", enabled(key, value));
                case "mirror_traffic" -> properties.set("mirrorTraffic", value);
                default -> throw refused("endpoint", key);
            }
        }
        return body;
    }

    /** The endpoint YAML's {@code traffic}: percentages by deployment. */
    static Map<String, Integer> traffic(JsonNode yaml) {
        Map<String, Integer> traffic = new LinkedHashMap<>();
        yaml.path("traffic").properties().forEach(e -> traffic.put(e.getKey(), e.getValue().asInt()));
        return traffic;
    }

    static ObjectNode deployment(JsonNode yaml) throws MagicException {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode properties = body.putObject("properties");
        for (var entry : yaml.properties()) {
            String key = entry.getKey();
            JsonNode value = entry.getValue();
            if (DEPLOYMENT_ELSEWHERE.contains(key) || value.isNull()) {
                continue;
            }
            switch (key) {
                case "description" -> properties.put("description", value.asText());
                case "tags" -> body.set("tags", strings(value));
                case "properties" -> properties.set("properties", strings(value));
                case "app_insights_enabled" -> properties.put("appInsightsEnabled", value.asBoolean());
                case "egress_public_network_access" -> properties.put("egressPublicNetworkAccess", enabled(key, value));
                case "model_mount_path" -> properties.put("modelMountPath", value.asText());
                case "request_settings" -> properties.set("requestSettings", requestSettings(value));
                case "liveness_probe" -> properties.set("livenessProbe", probe(value));
                case "readiness_probe" -> properties.set("readinessProbe", probe(value));
                case "scale_settings" -> properties.set("scaleSettings", scaleSettings(value));
                case "resources" -> properties.set("containerResourceRequirements", resources(value));
                default -> throw refused("deployment", key);
            }
        }
        return body;
    }

    /** {@code identity}, system-assigned when the YAML has none, as {@code az ml} sends it. */
    private static ObjectNode identity(JsonNode yaml) throws MagicException {
        ObjectNode identity = JSON.createObjectNode();
        String type = yaml == null || yaml.isNull() ? "system_assigned" : yaml.path("type").asText("system_assigned");
        identity.put("type", switch (type.toLowerCase(Locale.ROOT)) {
            case "system_assigned" -> "SystemAssigned";
            case "user_assigned" -> "UserAssigned";
            case "system_assigned,user_assigned" -> "SystemAssigned,UserAssigned";
            case "none" -> "None";
            default -> throw MagicException.usage("identity.type " + type + " is not one of system_assigned,"
                    + " user_assigned, none.");
        });
        if (yaml != null && yaml.has("user_assigned_identities")) {
            ObjectNode assigned = identity.putObject("userAssignedIdentities");
            for (JsonNode item : yaml.get("user_assigned_identities")) {
                assigned.putObject(item.path("resource_id").asText());
            }
        }
        return identity;
    }

    private static ObjectNode requestSettings(JsonNode yaml) {
        ObjectNode node = JSON.createObjectNode();
        if (yaml.has("request_timeout_ms")) {
            node.put("requestTimeout", Duration.ofMillis(yaml.get("request_timeout_ms").asLong()).toString());
        }
        if (yaml.has("max_concurrent_requests_per_instance")) {
            node.put("maxConcurrentRequestsPerInstance", yaml.get("max_concurrent_requests_per_instance").asInt());
        }
        if (yaml.has("max_queue_wait_ms")) {
            node.put("maxQueueWait", Duration.ofMillis(yaml.get("max_queue_wait_ms").asLong()).toString());
        }
        return node;
    }

    /** A probe; its times are seconds in the YAML and ISO 8601 durations in REST. */
    private static ObjectNode probe(JsonNode yaml) {
        ObjectNode node = JSON.createObjectNode();
        for (String[] key : new String[][] {{"initial_delay", "initialDelay"}, {"period", "period"},
                {"timeout", "timeout"}}) {
            if (yaml.has(key[0])) {
                node.put(key[1], Duration.ofSeconds(yaml.get(key[0]).asLong()).toString());
            }
        }
        if (yaml.has("success_threshold")) {
            node.put("successThreshold", yaml.get("success_threshold").asInt());
        }
        if (yaml.has("failure_threshold")) {
            node.put("failureThreshold", yaml.get("failure_threshold").asInt());
        }
        return node;
    }

    private static ObjectNode scaleSettings(JsonNode yaml) throws MagicException {
        ObjectNode node = JSON.createObjectNode();
        String type = yaml.path("type").asText("default");
        switch (type) {
            case "default" -> node.put("scaleType", "Default");
            case "target_utilization" -> {
                node.put("scaleType", "TargetUtilization");
                if (yaml.has("min_instances")) {
                    node.put("minInstances", yaml.get("min_instances").asInt());
                }
                if (yaml.has("max_instances")) {
                    node.put("maxInstances", yaml.get("max_instances").asInt());
                }
                if (yaml.has("polling_interval")) {
                    node.put("pollingInterval", Duration.ofSeconds(yaml.get("polling_interval").asLong()).toString());
                }
                if (yaml.has("target_utilization_percentage")) {
                    node.put("targetUtilizationPercentage", yaml.get("target_utilization_percentage").asInt());
                }
            }
            default -> throw MagicException.usage("scale_settings.type " + type + " is not one of default,"
                    + " target_utilization.");
        }
        return node;
    }

    /** A Kubernetes deployment's {@code resources: {requests, limits}} of cpu, memory and nvidia.com/gpu. */
    private static ObjectNode resources(JsonNode yaml) {
        ObjectNode node = JSON.createObjectNode();
        for (String[] side : new String[][] {{"requests", "containerResourceRequests"},
                {"limits", "containerResourceLimits"}}) {
            JsonNode values = yaml.path(side[0]);
            if (values.isObject()) {
                ObjectNode out = node.putObject(side[1]);
                values.properties().forEach(e -> out.put(e.getKey().equals("nvidia.com/gpu") ? "gpu"
                        : e.getKey(), e.getValue().asText()));
            }
        }
        return node;
    }

    private static String enabled(String key, JsonNode value) throws MagicException {
        return switch (value.asText().toLowerCase(Locale.ROOT)) {
            case "enabled" -> "Enabled";
            case "disabled" -> "Disabled";
            default -> throw MagicException.usage(key + " is " + value.asText() + ", not enabled or disabled.");
        };
    }

    private static ObjectNode strings(JsonNode map) {
        ObjectNode node = JSON.createObjectNode();
        map.properties().forEach(e -> node.put(e.getKey(), e.getValue().asText()));
        return node;
    }

    private static MagicException refused(String what, String key) {
        return MagicException.usage("The " + what + "'s " + key + " is not sent to a workspace by Drydock yet; remove"
                + " it, or deploy with az ml, or run it here with --local.");
    }
}

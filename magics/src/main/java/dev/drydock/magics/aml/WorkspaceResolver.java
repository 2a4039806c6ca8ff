package dev.drydock.magics.aml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Session;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds the workspace as the Azure ML SDK does: Azure ML's {@code config.json} (also in {@code .azureml/})
 * in the notebook's folder or above it, else the variables {@code AZURE_SUBSCRIPTION_ID},
 * {@code AZURE_RESOURCE_GROUP}, {@code AZUREML_WORKSPACE_NAME}. A workspace given with
 * {@code %aml workspace} comes before both; {@link AmlRestClient} keeps that one.
 */
final class WorkspaceResolver {

    static final String SUBSCRIPTION = "AZURE_SUBSCRIPTION_ID";
    static final String RESOURCE_GROUP = "AZURE_RESOURCE_GROUP";
    static final String WORKSPACE = "AZUREML_WORKSPACE_NAME";

    static final String HOW_TO = "Connect a workspace with %aml workspace --subscription SUBSCRIPTION_ID"
            + " --resource-group GROUP --name WORKSPACE, or put Azure ML's config.json (downloaded from the"
            + " workspace's page in the Azure portal or studio) in the notebook's folder, a folder above it, or an"
            + " .azureml folder there, or set " + SUBSCRIPTION + ", " + RESOURCE_GROUP + " and " + WORKSPACE
            + " (for example in a .env loaded with %dotenv). Without a workspace, %aml runs jobs locally in Docker.";

    private static final ObjectMapper JSON = new ObjectMapper();

    private WorkspaceResolver() {}

    /** The workspace from config.json or the variables; empty when neither names one. */
    static Optional<Workspace> resolve(Session session) throws MagicException {
        Optional<Workspace> fromConfig = fromConfig(session.workingDirectory());
        return fromConfig.isPresent() ? fromConfig : fromVariables(session);
    }

    static Optional<Workspace> fromConfig(Path start) throws MagicException {
        for (Path dir = start.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
            for (Path candidate : List.of(dir.resolve("config.json"), dir.resolve(".azureml/config.json"))) {
                if (Files.isRegularFile(candidate)) {
                    Optional<Workspace> workspace = read(candidate);
                    if (workspace.isPresent()) {
                        return workspace;
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** The workspace of an Azure ML config.json; empty for a config.json of some other tool. */
    private static Optional<Workspace> read(Path file) throws MagicException {
        JsonNode config;
        try {
            config = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw MagicException.failed("Could not read " + file + " as Azure ML's config.json: "
                    + e.getMessage().lines().findFirst().orElse("") + ". " + HOW_TO);
        }
        if (config == null || !config.isObject()) {
            return Optional.empty();
        }
        String subscription = text(config, "subscription_id");
        String group = text(config, "resource_group");
        String name = text(config, "workspace_name");
        if (subscription == null && group == null && name == null) {
            return Optional.empty();
        }
        List<String> missing = new ArrayList<>();
        if (subscription == null) missing.add("subscription_id");
        if (group == null) missing.add("resource_group");
        if (name == null) missing.add("workspace_name");
        if (!missing.isEmpty()) {
            throw MagicException.failed(file + " is an Azure ML config.json without " + String.join(", ", missing)
                    + ": download it again from the workspace's page, or fix it by hand. " + HOW_TO);
        }
        return Optional.of(new Workspace(subscription, group, name,
                Optional.ofNullable(text(config, "location", "region")), file.toString()));
    }

    private static String text(JsonNode config, String... keys) {
        for (String key : keys) {
            JsonNode value = config.get(key);
            if (value != null && value.isTextual() && !value.asText().isBlank()) {
                return value.asText().strip();
            }
        }
        return null;
    }

    static Optional<Workspace> fromVariables(Session session) throws MagicException {
        Optional<String> subscription = session.variable(SUBSCRIPTION).filter(v -> !v.isBlank());
        Optional<String> group = session.variable(RESOURCE_GROUP).filter(v -> !v.isBlank());
        Optional<String> name = session.variable(WORKSPACE).filter(v -> !v.isBlank());
        if (subscription.isEmpty() && group.isEmpty() && name.isEmpty()) {
            return Optional.empty();
        }
        List<String> missing = new ArrayList<>();
        subscription.ifPresentOrElse(v -> {}, () -> missing.add(SUBSCRIPTION));
        group.ifPresentOrElse(v -> {}, () -> missing.add(RESOURCE_GROUP));
        name.ifPresentOrElse(v -> {}, () -> missing.add(WORKSPACE));
        if (!missing.isEmpty()) {
            throw MagicException.usage("The workspace variables are incomplete: " + String.join(", ", missing)
                    + (missing.size() == 1 ? " is" : " are") + " not set. " + HOW_TO);
        }
        return Optional.of(new Workspace(subscription.get().strip(), group.get().strip(), name.get().strip(),
                Optional.empty(), "the variables " + SUBSCRIPTION + ", " + RESOURCE_GROUP + ", " + WORKSPACE));
    }
}

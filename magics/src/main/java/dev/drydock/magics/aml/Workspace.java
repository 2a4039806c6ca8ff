package dev.drydock.magics.aml;

import java.util.Objects;
import java.util.Optional;

/**
 * An Azure ML workspace as Azure Resource Manager addresses it, and where Drydock found it.
 *
 * @param subscription the subscription id
 * @param resourceGroup the resource group
 * @param name the workspace name
 * @param region the Azure region when known (config.json may carry it); endpoints need it and read it from the workspace otherwise
 * @param source where it came from, for messages: {@code %aml workspace}, a config.json path, or the variables
 */
public record Workspace(String subscription, String resourceGroup, String name, Optional<String> region, String source) {

    public Workspace {
        Objects.requireNonNull(subscription, "subscription");
        Objects.requireNonNull(resourceGroup, "resourceGroup");
        Objects.requireNonNull(name, "name");
        region = region == null ? Optional.empty() : region;
        source = source == null ? "" : source;
    }

    /** The ARM path every workspace call starts with, without a leading host. */
    public String armId() {
        return "/subscriptions/" + subscription + "/resourceGroups/" + resourceGroup
                + "/providers/Microsoft.MachineLearningServices/workspaces/" + name;
    }

    @Override
    public String toString() {
        return name + " (resource group " + resourceGroup + ", subscription " + subscription + ")";
    }
}

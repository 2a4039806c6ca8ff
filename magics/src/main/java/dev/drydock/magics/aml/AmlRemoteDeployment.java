package dev.drydock.magics.aml;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An online endpoint and one deployment in it, to create or update in a workspace: the CLI v2 endpoint and
 * deployment YAML after {@link DeploymentYaml} read them.
 *
 * @param endpoint the endpoint name
 * @param authMode the YAML {@code auth_mode}: {@code key}, {@code aml_token} or {@code aad_token}
 * @param endpointCompute a Kubernetes endpoint's compute name; empty for a managed endpoint
 * @param deployment the deployment name
 * @param kubernetes whether the deployment is {@code type: kubernetes}
 * @param model a local model file or folder to register, or {@code azureml:NAME:VERSION}; empty for none
 * @param modelName the name a local model is registered under; empty for an anonymous model named after its
 *     content (as {@code az ml} registers an unnamed local model), so a changed model is a new version
 * @param modelVersion the version a named local model is registered as
 * @param code the code folder to upload as a code asset
 * @param scoringScript the scoring script, relative to {@code code}
 * @param environment the environment to create or reuse
 * @param instanceType the VM size, empty for the service's default
 * @param instanceCount how many instances, empty for one
 * @param environmentVariables the deployment's variables
 * @param endpointMore the endpoint's other YAML keys in their REST form ({@code tags}, {@code identity}, {@code kind}
 *     at the top, the rest under {@code properties}), as {@link OnlineRest} maps them
 * @param deploymentMore the deployment's, likewise
 * @param traffic the endpoint YAML's {@code traffic}, set once the deployment is there; empty for none
 */
public record AmlRemoteDeployment(String endpoint, String authMode, Optional<String> endpointCompute, String deployment,
        boolean kubernetes, Optional<String> model, Optional<String> modelName, String modelVersion, Path code,
        String scoringScript, AmlRemoteRequest.Environment environment, Optional<String> instanceType,
        Optional<Integer> instanceCount, Map<String, String> environmentVariables, ObjectNode endpointMore,
        ObjectNode deploymentMore, Map<String, Integer> traffic) {

    public AmlRemoteDeployment {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(deployment, "deployment");
        Objects.requireNonNull(code, "code");
        environmentVariables = Map.copyOf(environmentVariables);
        traffic = Map.copyOf(traffic);
    }

    /**
     * The endpoint as the service reports it after the deployment.
     *
     * @param scoringUri where requests go
     * @param provisioningState the deployment's last provisioning state
     * @param traffic the endpoint's traffic split by deployment
     */
    public record Result(String endpoint, String deployment, String provisioningState, Optional<String> scoringUri,
            Map<String, Integer> traffic) {}
}

package dev.drydock.magics.aml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.container.HostUser;
import dev.drydock.magics.engine.Docker;
import dev.drydock.magics.env.ImageBuilder;
import dev.drydock.magics.registry.RegistryCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The online endpoint and deployment YAML, and the checks {@code %aml deploy} makes before it needs an engine. */
class AmlDeploymentYamlTest {

    private static final String ENDPOINT = """
            $schema: https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json
            name: my-endpoint
            auth_mode: key
            """;
    private static final String DEPLOYMENT = """
            $schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
            name: blue
            endpoint_name: my-endpoint
            model:
              path: ./model/sklearn_regression_model.pkl
            code_configuration:
              code: ./onlinescoring
              scoring_script: score.py
            environment:
              conda_file: ./environment/conda.yaml
              image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest
            instance_type: Standard_DS3_v2
            instance_count: 1
            environment_variables:
              WORKERS: 2
            """;

    @TempDir
    Path folder;

    private Path write(String name, String text) throws Exception {
        Path file = folder.resolve(name);
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text);
    }

    @Test
    void readsTheEndpointAndAManagedDeployment() throws Exception {
        DeploymentYaml.Endpoint endpoint = DeploymentYaml.endpoint(write("endpoint.yml", ENDPOINT));
        assertEquals("my-endpoint", endpoint.name());
        assertEquals("key", endpoint.authMode());
        DeploymentYaml.Deployment deployment = DeploymentYaml.deployment(write("blue.yml", DEPLOYMENT), endpoint);
        assertEquals("blue", deployment.name());
        assertEquals("managed", deployment.type());
        assertEquals(folder.resolve("onlinescoring"), deployment.code());
        assertEquals("score.py", deployment.scoringScript());
        assertEquals(folder.resolve("model/sklearn_regression_model.pkl"), deployment.model().path());
        assertEquals("model", deployment.model().name());
        JobSpec.Inline environment = (JobSpec.Inline) deployment.environment();
        assertEquals(folder.resolve("environment/conda.yaml"), environment.condaFile());
        assertEquals("Standard_DS3_v2", deployment.instanceType());
        assertEquals(1, deployment.instanceCount());
        assertEquals(Map.of("WORKERS", "2"), deployment.environmentVariables());
    }

    @Test
    void aKubernetesDeploymentWithARegisteredModelAndNoEndpointName() throws Exception {
        DeploymentYaml.Endpoint endpoint = DeploymentYaml.endpoint(write("endpoint.yml", ENDPOINT));
        DeploymentYaml.Deployment deployment = DeploymentYaml.deployment(write("k8s.yml", """
                name: green
                type: kubernetes
                model: azureml:sklearn-model:3
                code_configuration: {code: ./src, scoring_script: score.py}
                environment: azureml:sklearn-env:1
                resources:
                  requests: {cpu: "0.5", memory: 1Gi}
                """), endpoint);
        assertEquals("my-endpoint", deployment.endpointName());
        assertEquals("kubernetes", deployment.type());
        assertEquals("azureml:sklearn-model:3", deployment.model().reference());
        assertNull(deployment.model().path());
        assertTrue(deployment.environment() instanceof JobSpec.Registered);
    }

    @Test
    void aMisspeltKeyNamesTheNearestOneAndItsLine() throws Exception {
        DeploymentYaml.Endpoint endpoint = DeploymentYaml.endpoint(write("endpoint.yml", ENDPOINT));
        Path file = write("typo.yml", DEPLOYMENT.replace("scoring_script:", "scoring_scirpt:"));
        MagicException e = assertThrows(MagicException.class, () -> DeploymentYaml.deployment(file, endpoint));
        assertTrue(e.getMessage().contains("typo.yml, line 8: unknown key `scoring_scirpt` under `code_configuration`;"
                + " did you mean `scoring_script`?"), e.getMessage());
        Path top = write("top.yml", DEPLOYMENT.replace("instance_count:", "instance_cont:"));
        MagicException e2 = assertThrows(MagicException.class, () -> DeploymentYaml.deployment(top, endpoint));
        assertTrue(e2.getMessage().contains("did you mean `instance_count`?"), e2.getMessage());
    }

    @Test
    void badEndpointsAndMismatchedDeploymentsAreErrors() throws Exception {
        MagicException name = assertThrows(MagicException.class,
                () -> DeploymentYaml.endpoint(write("bad.yml", "name: 1-bad\n")));
        assertTrue(name.getMessage().contains("bad endpoint name `1-bad`"), name.getMessage());
        MagicException auth = assertThrows(MagicException.class,
                () -> DeploymentYaml.endpoint(write("auth.yml", "name: ok-name\nauth_mode: aml_tokn\n")));
        assertTrue(auth.getMessage().contains("did you mean `aml_token`?"), auth.getMessage());
        DeploymentYaml.Endpoint endpoint = DeploymentYaml.endpoint(write("endpoint.yml", ENDPOINT));
        MagicException other = assertThrows(MagicException.class, () -> DeploymentYaml.deployment(
                write("other.yml", DEPLOYMENT.replace("endpoint_name: my-endpoint", "endpoint_name: elsewhere")), endpoint));
        assertTrue(other.getMessage().contains("is for endpoint `elsewhere`, but endpoint.yml defines `my-endpoint`"),
                other.getMessage());
        MagicException noCode = assertThrows(MagicException.class, () -> DeploymentYaml.deployment(
                write("nocode.yml", "name: blue\nenvironment: python:3.11\n"), endpoint));
        assertTrue(noCode.getMessage().contains("no `code_configuration:`"), noCode.getMessage());
    }

    /** What %aml deploy checks before it asks for an engine: these fail the same with or without Docker. */
    @Test
    void theMagicChecksTheDeploymentBeforeItNeedsAnEngine() throws Exception {
        Session session = new Session(folder, Map.of());
        Magics magics = new Magics(session, List.of(AmlMagic.class), List.of(new Docker(), new RegistryCredentials(),
                HostUser.current(), new ImageBuilder(), new AmlRestClient(session)));
        write("endpoint.yml", ENDPOINT);
        write("blue.yml", DEPLOYMENT);
        MagicException one = assertThrows(MagicException.class,
                () -> magics.run(new MagicCall("aml", "deploy endpoint.yml", null), new RecordingNotebook()));
        assertEquals(MagicException.Kind.UsageError, one.kind());
        MagicException code = assertThrows(MagicException.class,
                () -> magics.run(new MagicCall("aml", "deploy endpoint.yml blue.yml", null), new RecordingNotebook()));
        assertTrue(code.getMessage().contains("code folder") && code.getMessage().contains("onlinescoring"),
                code.getMessage());
        write("onlinescoring/score.py", "def init(): pass\ndef run(raw): return raw\n");
        write("model/sklearn_regression_model.pkl", "not really");
        write("registered.yml", DEPLOYMENT.replaceFirst("(?s)environment:\n.*?instance_type", "environment:"
                + " azureml:sklearn-env:1\ninstance_type"));
        MagicException registered = assertThrows(MagicException.class, () -> magics.run(new MagicCall("aml",
                "deploy endpoint.yml registered.yml --local", null), new RecordingNotebook()));
        assertTrue(registered.getMessage().contains("azureml:sklearn-env"), registered.getMessage());
        MagicException invoke = assertThrows(MagicException.class, () -> magics.run(new MagicCall("aml",
                "invoke nowhere --request-file req.json", null), new RecordingNotebook()));
        assertTrue(invoke.getMessage().contains("No local endpoint named nowhere"), invoke.getMessage());
    }
}

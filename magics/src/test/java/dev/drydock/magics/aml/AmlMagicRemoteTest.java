package dev.drydock.magics.aml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drydock.magics.InterruptedMagic;
import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.container.HostUser;
import dev.drydock.magics.engine.Docker;
import dev.drydock.magics.env.ImageBuilder;
import dev.drydock.magics.registry.RegistryCredentials;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code %aml} through the magic with a workspace: submit, stream, status, ls and cancel go to
 * {@link AmlRestTestServer}, which checks every request against the official spec; a local job's name still
 * goes to its run folder. No Docker engine is needed: nothing here runs locally.
 */
class AmlMagicRemoteTest {

    private static final String SUBSCRIPTION = "00000000-1111-2222-3333-444444444444";
    private static final String JOB = """
            $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
            type: command
            experiment_name: remote-tests
            display_name: Train remotely
            code: ./src
            command: python train.py --lr ${{inputs.lr}} --data ${{inputs.data}} --out ${{outputs.model}}
            environment:
              image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
              conda_file: ./conda.yml
            inputs:
              lr: 0.01
              data:
                type: uri_file
                path: ./data/train.csv
                mode: download
            outputs:
              model:
                type: uri_folder
                mode: rw_mount
            compute: azureml:cpu-cluster
            resources:
              instance_count: 2
            distribution:
              type: pytorch
              process_count_per_instance: 2
            environment_variables:
              EPOCHS: 3
            tags:
              team: ml
            """;

    @RegisterExtension
    static final AmlRestTestServer server = AmlRestTestServer.perTestClass();

    @TempDir
    Path folder;
    private Session session;
    private AmlRestClient client;
    private Magics magics;

    @BeforeEach
    void notebook() throws Exception {
        session = new Session(folder, Map.of());
        client = new AmlRestClient(session, Optional.of(server.endpoint()), AmlRestTestServer::credential,
                server::httpClient, Duration.ofMillis(5));
        magics = new Magics(session, List.of(AmlMagic.class), List.of(new Docker(), new RegistryCredentials(),
                HostUser.current(), new ImageBuilder(), client));
        write("src/train.py", "print('training')\n");
        write("src/.env", "TOKEN=secret");
        write("data/train.csv", "x,y\n1,2\n");
        write("conda.yml", "name: train\ndependencies:\n  - python=3.11\n");
        write("job.yaml", JOB);
    }

    private void write(String path, String text) throws Exception {
        Path file = folder.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private RecordingNotebook aml(String args) throws MagicException {
        RecordingNotebook notebook = new RecordingNotebook();
        magics.run(new MagicCall("aml", args, null), notebook);
        return notebook;
    }

    private static String shown(RecordingNotebook notebook) {
        StringBuilder text = new StringBuilder(notebook.out());
        notebook.displays().forEach(d -> text.append(d.bundle().get("text/plain")).append('\n'));
        return text.toString();
    }

    private void connect() throws MagicException {
        aml("workspace --subscription " + SUBSCRIPTION + " --resource-group test-rg --name my-aml-workspace");
    }

    @Test
    void withoutAWorkspaceItSaysHowToConfigureOneAndTheCheckIsAUsageError() throws Exception {
        String out = aml("workspace").out();
        assertTrue(out.contains("No Azure ML workspace is configured") && out.contains("--resource-group")
                && out.contains("AZUREML_WORKSPACE_NAME") && out.contains("config.json"), out);
        MagicException e = assertThrows(MagicException.class, () -> aml("workspace --check"));
        assertEquals(MagicException.Kind.UsageError, e.kind());
        MagicException partial = assertThrows(MagicException.class, () -> aml("workspace --name only-this"));
        assertTrue(partial.getMessage().contains("all three"), partial.getMessage());
        assertTrue(server.requests().stream().noneMatch(r -> r.contains("only-this")));
    }

    @Test
    void theWorkspaceIsSetShownAndChecked() throws Exception {
        connect();
        assertTrue(aml("workspace").out().contains("my-aml-workspace (resource group test-rg, subscription "
                + SUBSCRIPTION + "), from %aml workspace"));
        String checked = aml("workspace --check").out();
        assertTrue(checked.matches("(?s)Workspace my-aml-workspace .* answers, in \\w+.*"), checked);
    }

    @Test
    void submitStreamStatusLsAndCancelGoToTheWorkspace() throws Exception {
        connect();
        RecordingNotebook submitted = aml("submit job.yaml --name remote_1 --stream");
        String out = submitted.out();
        assertTrue(out.contains("epoch 1 loss 1.0") && out.contains("Job remote_1 Completed in workspace"
                + " my-aml-workspace. https://ml.azure.com/runs/remote_1"), out);
        assertTrue(out.contains("Left out .env"), out);

        // The body is the YAML mapped as az ml job create maps it, with the command verbatim.
        JsonNode sent = server.job("remote_1").path("properties");
        assertEquals("python train.py --lr ${{inputs.lr}} --data ${{inputs.data}} --out ${{outputs.model}}",
                sent.path("command").asText());
        assertEquals("Train remotely", sent.path("displayName").asText());
        assertEquals("remote-tests", sent.path("experimentName").asText());
        assertEquals("0.01", sent.at("/inputs/lr/value").asText());
        assertEquals("Download", sent.at("/inputs/data/mode").asText());
        assertEquals("ReadWriteMount", sent.at("/outputs/model/mode").asText());
        assertEquals(2, sent.at("/resources/instanceCount").asInt());
        assertEquals(2, sent.at("/distribution/processCountPerInstance").asInt());
        assertEquals("3", sent.at("/environmentVariables/EPOCHS").asText());
        assertEquals("ml", sent.at("/tags/team").asText());
        assertTrue(sent.path("computeId").asText().endsWith("/workspaces/my-aml-workspace/computes/cpu-cluster"));
        JsonNode environment = server.asset(sent.path("environmentId").asText());
        assertTrue(environment.at("/properties/condaFile").asText().contains("python=3.11"), environment::toString);
        // What went up is the snapshot, without the secret.
        String codeUri = server.asset(sent.path("codeId").asText()).at("/properties/codeUri").asText();
        assertEquals(Map.of("train.py", "print('training')\n"), server.filesUnder(codeUri));
        RunFolder run = RunFolder.of(session, "remote_1");
        assertTrue(Files.isRegularFile(run.code().resolve("train.py")));
        assertTrue(Files.readString(run.jobYaml()).contains("name: remote_1"));
        assertFalse(Files.exists(run.root().resolve(JobRecord.FILE)), "a remote job has no local record");
        assertTrue(Files.readString(run.root().resolve(RemoteJobs.FILE)).contains("my-aml-workspace"));

        String status = aml("status remote_1").out();
        assertTrue(status.contains("Status:      Completed") && status.contains("Compute:     cpu-cluster")
                && status.contains("Workspace:   my-aml-workspace"), status);

        // The run history's metrics, as the local jobs' table shows them: the last value and how many were logged.
        String metrics = shown(aml("status remote_1"));
        assertTrue(metrics.matches("(?s).*accuracy\\s+0\\.93\\s+3\\s+run history.*"), metrics);
        assertTrue(metrics.matches("(?s).*loss\\s+0\\.2\\s+3\\s+run history.*"), metrics);
        assertTrue(server.requests().stream().anyMatch(r -> r.startsWith("POST /history/v1.0/subscriptions/")
                && r.endsWith("/experiments/remote-tests/metrics:query")), server.requests()::toString);

        // A local job beside it keeps going to its run folder.
        JobSpec local = JobYaml.read(folder.resolve("job.yaml"), List.of("compute=local"), "local_1");
        JobRecord.created(local, "local_1", Map.of()).write(RunFolder.of(session, "local_1").root(),
                session.masker());
        int before = server.requests().size();
        assertTrue(aml("status local_1").out().contains("Status:      NotStarted"));
        assertEquals(before, server.requests().size(), "a local job's status asks no one");

        aml("submit job.yaml --name remote_2");
        assertEquals("remote_2", session.variable(LocalJobs.JOB_NAME_VARIABLE).orElseThrow());
        String notYet = aml("status remote_2").out();
        assertTrue(notYet.contains("No metrics logged yet"), notYet);
        String list = shown(aml("ls"));
        assertTrue(list.matches("(?s).*local_1\\s+local\\s.*"), list);
        assertTrue(list.matches("(?s).*remote_1\\s+my-aml-workspace\\s+Train remotely\\s+remote-tests\\s+Completed.*"),
                list);
        assertTrue(list.contains("remote_2"), list);

        assertTrue(aml("cancel remote_2").out().contains("Job remote_2 is Canceled."));
        assertTrue(server.requests().stream().anyMatch(r -> r.startsWith("POST ") && r.endsWith("/jobs/remote_2/cancel")));
    }

    @Test
    void aSubmissionTheServiceRefusesLeavesTheNameFree() throws Exception {
        connect();
        // LiteralJobInput.value must contain a letter, digit or _: the spec-checking server refuses "---".
        MagicException e = assertThrows(MagicException.class,
                () -> aml("submit job.yaml --name refused_1 --set \"inputs.lr='---'\""));
        assertTrue(e.getMessage().contains("InvalidRequest"), e.getMessage());
        server.violations().clear();
        assertFalse(Files.exists(RunFolder.of(session, "refused_1").root()));
        aml("submit job.yaml --name refused_1");
        assertEquals("NotStarted", server.job("refused_1").at("/properties/status").asText());
    }

    @Test
    void aFailedRemoteJobIsTheCellsErrorWithTheServicesReason() throws Exception {
        connect();
        MagicException e = assertThrows(MagicException.class,
                () -> aml("submit job.yaml --name remote_fail --stream --set tags.drydock-test-outcome=fail"));
        assertTrue(e.getMessage().contains("Job remote_fail Failed") && e.getMessage().contains("exited with status"
                + " code 1"), e.getMessage());
    }

    @Test
    void localComputeAndADrydockEnvironmentStayOffTheWorkspace() throws Exception {
        connect();
        int before = server.requests().size();
        MagicException e = assertThrows(MagicException.class,
                () -> aml("submit job.yaml --name remote_env --set environment=train"));
        assertTrue(e.getMessage().contains("is a Drydock environment") && e.getMessage().contains("%env push"),
                e.getMessage());
        assertFalse(Files.exists(RunFolder.of(session, "remote_env").root()), "nothing is snapshotted");
        assertEquals(before, server.requests().size());
    }

    @Test
    void nothingPlantedReachesTheWorkspaceFromASubmitOrADeploy() throws Exception {
        connect();
        dev.drydock.magics.files.Planted.plant(folder.resolve("src"), ".amlignore");
        aml("submit job.yaml --name planted_1");
        String jobCode = server.asset(server.job("planted_1").at("/properties/codeId").asText()).at("/properties/codeUri").asText();
        assertEquals(java.util.Set.of(".amlignore", "main.py", "sub/util.py", "train.py"), server.filesUnder(jobCode).keySet());

        write("endpoint.yml", "name: planted-endpoint\nauth_mode: key\n");
        write("green.yml", """
                name: green
                endpoint_name: planted-endpoint
                model:
                  name: planted
                  version: "1"
                  path: ./model
                code_configuration:
                  code: ./onlinescoring
                  scoring_script: main.py
                environment:
                  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
                instance_type: Standard_DS3_v2
                """);
        dev.drydock.magics.files.Planted.plant(folder.resolve("onlinescoring"), ".amlignore");
        dev.drydock.magics.files.Planted.plant(folder.resolve("model"), ".gitignore");
        aml("deploy endpoint.yml green.yml");
        String endpointPath = "/subscriptions/" + SUBSCRIPTION + "/resourceGroups/test-rg/providers/"
                + "Microsoft.MachineLearningServices/workspaces/my-aml-workspace/onlineEndpoints/planted-endpoint";
        JsonNode deployment = server.online(endpointPath + "/deployments/green").path("properties");
        String codeUri = server.asset(deployment.at("/codeConfiguration/codeId").asText()).at("/properties/codeUri").asText();
        assertEquals(java.util.Set.of(".amlignore", "main.py", "sub/util.py"), server.filesUnder(codeUri).keySet());
        String modelUri = server.asset(deployment.path("model").asText()).at("/properties/modelUri").asText();
        assertEquals(java.util.Set.of(".gitignore", "main.py", "sub/util.py"), server.filesUnder(modelUri).keySet());
        server.blobs().forEach((path, bytes) -> assertFalse(new String(bytes, java.nio.charset.StandardCharsets.UTF_8)
                .contains(dev.drydock.magics.files.Planted.SECRET), path));
        assertTrue(server.violations().isEmpty(), server.violations()::toString);
    }

    @Test
    void deployCreatesTheEndpointAndTheDeploymentInTheWorkspace() throws Exception {
        connect();
        write("endpoint.yml", "name: sum-endpoint\nauth_mode: key\n");
        write("blue.yml", """
                name: blue
                endpoint_name: sum-endpoint
                model:
                  name: summer
                  version: "3"
                  path: ./model
                code_configuration:
                  code: ./onlinescoring
                  scoring_script: score.py
                environment:
                  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
                  conda_file: ./conda.yml
                instance_type: Standard_DS3_v2
                instance_count: 2
                environment_variables:
                  GREETING: hello
                """);
        write("onlinescoring/score.py", "def init(): pass\ndef run(raw): return raw\n");
        write("model/weights.json", "{\"scale\": 2}");

        RecordingNotebook notebook = aml("deploy endpoint.yml blue.yml");
        String shown = notebook.displays().get(notebook.displays().size() - 1).bundle().get("text/plain").toString();
        assertTrue(shown.contains("Deployment blue of sum-endpoint is Succeeded; scoring URI " + server.endpoint()
                + "/score/sum-endpoint; traffic {blue=100}"), shown);

        String endpointPath = "/subscriptions/" + SUBSCRIPTION + "/resourceGroups/test-rg/providers/"
                + "Microsoft.MachineLearningServices/workspaces/my-aml-workspace/onlineEndpoints/sum-endpoint";
        JsonNode endpoint = server.online(endpointPath);
        assertEquals("Key", endpoint.at("/properties/authMode").asText());
        assertEquals(100, endpoint.at("/properties/traffic/blue").asInt());
        JsonNode deployment = server.online(endpointPath + "/deployments/blue").path("properties");
        assertEquals("Managed", deployment.path("endpointComputeType").asText());
        assertEquals("score.py", deployment.at("/codeConfiguration/scoringScript").asText());
        assertEquals("Standard_DS3_v2", deployment.path("instanceType").asText());
        assertEquals("hello", deployment.at("/environmentVariables/GREETING").asText());
        assertEquals(2, server.online(endpointPath + "/deployments/blue").at("/sku/capacity").asInt());
        assertTrue(deployment.path("model").asText().endsWith("/models/summer/versions/3"), deployment::toString);
        String modelUri = server.asset(deployment.path("model").asText()).at("/properties/modelUri").asText();
        assertEquals(Map.of("weights.json", "{\"scale\": 2}"), server.filesUnder(modelUri));
        String codeUri = server.asset(deployment.at("/codeConfiguration/codeId").asText()).at("/properties/codeUri").asText();
        assertEquals(Map.of("score.py", "def init(): pass\ndef run(raw): return raw\n"), server.filesUnder(codeUri));

        // %aml invoke: the scoring URI from the endpoint, the key from listKeys, the answer pretty-printed.
        write("request.json", "{\"data\": [1, 2, 3.5]}");
        RecordingNotebook invoked = new RecordingNotebook(session.masker());
        magics.run(new MagicCall("aml", "invoke sum-endpoint --request-file request.json", null), invoked);
        Map<String, Object> answer = invoked.displays().get(invoked.displays().size() - 1).bundle();
        assertEquals("{\n  \"endpoint\" : \"sum-endpoint\",\n  \"sum\" : 6.5\n}", answer.get("text/plain"));
        assertEquals(Map.of("endpoint", "sum-endpoint", "sum", 6.5), answer.get("application/json"));
        assertTrue(server.requests().stream().anyMatch(r -> r.startsWith("POST ") && r.endsWith(
                "/onlineEndpoints/sum-endpoint/listKeys")), server.requests()::toString);
        String key = server.key("sum-endpoint");
        assertFalse(session.masker().mask("the key is " + key).contains(key), "the key is in the session's masker");
        assertFalse(shown(invoked).contains(key) || invoked.out().contains(key) || invoked.err().contains(key));

        // An update keeps the endpoint's traffic and uploads nothing that is there already.
        int before = server.requests().size();
        aml("deploy endpoint.yml blue.yml");
        List<String> again = server.requests().subList(before, server.requests().size());
        assertTrue(again.stream().noneMatch(r -> r.contains("startPendingUpload") || r.startsWith("PUT /blob")),
                again::toString);
        assertEquals(100, server.online(endpointPath).at("/properties/traffic/blue").asInt());

    }

    private static final String WS_PATH = "/subscriptions/" + SUBSCRIPTION + "/resourceGroups/test-rg/providers/"
            + "Microsoft.MachineLearningServices/workspaces/my-aml-workspace";

    /** An endpoint with one deployment, blue, in the test workspace. */
    private String deployed(String endpoint) throws Exception {
        write("ep-" + endpoint + ".yml", "name: " + endpoint + "\nauth_mode: key\n");
        write("dep-" + endpoint + ".yml", """
                name: blue
                model:
                  path: ./model
                code_configuration:
                  code: ./onlinescoring
                  scoring_script: score.py
                environment:
                  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
                  conda_file: ./conda.yml
                instance_type: Standard_DS3_v2
                """);
        write("onlinescoring/score.py", "def init(): pass\ndef run(raw): return raw\n");
        write("model/weights.json", "{\"scale\": 2}");
        aml("deploy ep-" + endpoint + ".yml dep-" + endpoint + ".yml");
        return WS_PATH + "/onlineEndpoints/" + endpoint;
    }

    /**
     * Every key and SAS the client receives — the datastore's account key from listSecrets, the SAS of each job
     * log URL from the run history, both keys of listKeys — is in the session's masker as it arrives, and none
     * reaches the notebook or a file under runs/.
     */
    @Test
    void keysAndSasTheClientReceivesNeverReachTheNotebookOrRunFiles() throws Exception {
        // A server of its own: the assets made here must not become another test's "latest".
        withOwnServer(this::receivedSecretsAreMasked);
    }

    private interface ServerTest {
        void run(AmlRestTestServer server) throws Exception;
    }

    /** Runs {@code test} with this test's magics talking to a fresh server, for tests that read "the newest" asset. */
    private void withOwnServer(ServerTest test) throws Exception {
        AmlRestTestServer own = new AmlRestTestServer(Files.createDirectories(folder.resolve("server")));
        try {
            magics = new Magics(session, List.of(AmlMagic.class), List.of(new Docker(), new RegistryCredentials(),
                    HostUser.current(), new ImageBuilder(), new AmlRestClient(session, Optional.of(own.endpoint()),
                            AmlRestTestServer::credential, own::httpClient, Duration.ofMillis(5))));
            test.run(own);
            own.assertNoViolations();
        } finally {
            own.close();
        }
    }

    private void receivedSecretsAreMasked(AmlRestTestServer server) throws Exception {
        connect();
        StringBuilder shown = new StringBuilder();
        for (String args : List.of("submit job.yaml --name sas_1 --stream", "status sas_1")) {
            RecordingNotebook notebook = new RecordingNotebook(session.masker());
            magics.run(new MagicCall("aml", args, null), notebook);
            shown.append(shown(notebook)).append(notebook.err());
        }
        deployed("secret-endpoint");
        write("request.json", "{\"data\": [1]}");
        RecordingNotebook invoked = new RecordingNotebook(session.masker());
        magics.run(new MagicCall("aml", "invoke secret-endpoint --request-file request.json", null), invoked);
        shown.append(shown(invoked)).append(invoked.err());

        String signature = AmlRestTestServer.logSignature("sas_1");
        String key = server.key("secret-endpoint");
        List<String> secrets = List.of(signature, java.net.URLDecoder.decode(signature, StandardCharsets.UTF_8),
                java.util.Base64.getEncoder().encodeToString("drydock-test-storage-key".getBytes(StandardCharsets.UTF_8)),
                key, new StringBuilder(key).reverse().toString(), AmlRestTestServer.TOKEN);
        StringBuilder recorded = new StringBuilder();
        try (var files = Files.walk(RunFolder.runs(session))) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                recorded.append(file).append(":\n").append(Files.readString(file)).append('\n');
            }
        }
        assertTrue(recorded.toString().contains("sas_1"), "the remote job left its records: " + recorded);
        for (String secret : secrets) {
            assertFalse(session.masker().mask("x " + secret + " x").contains(secret), secret + " is in the masker");
            assertFalse(shown.toString().contains(secret), secret + " was shown: " + shown);
            assertFalse(recorded.toString().contains(secret), secret + " was recorded: " + recorded);
        }
    }

    @Test
    void createAndUpdateFollowTheAzureAsyncOperationHeader() throws Exception {
        connect();
        String endpoint = deployed("async-endpoint");
        // The resource reads Creating until its operation status resource has been read to Succeeded: a client
        // that polled the resource instead would never see it end.
        assertTrue(server.operationReads(endpoint) >= 2, server.requests()::toString);
        assertTrue(server.operationReads(endpoint + "/deployments/blue") >= 2, server.requests()::toString);
        assertEquals("Succeeded", server.online(endpoint + "/deployments/blue").at("/properties/provisioningState")
                .asText());
    }

    @Test
    void endpointDeleteSendsDeleteAndFollowsItsOperation() throws Exception {
        connect();
        String endpoint = deployed("doomed-endpoint");
        int before = server.requests().size();
        RecordingNotebook notebook = aml("endpoint delete doomed-endpoint --deployment blue");
        assertEquals(null, server.online(endpoint + "/deployments/blue"));
        assertTrue(server.online(endpoint) != null, "deleting a deployment keeps its endpoint");
        notebook = aml("endpoint delete doomed-endpoint");
        List<String> sent = server.requests().subList(before, server.requests().size());
        assertTrue(sent.contains("DELETE " + endpoint + "/deployments/blue"), sent::toString);
        assertTrue(sent.contains("DELETE " + endpoint), sent::toString);
        // Each DELETE's Azure-AsyncOperation was read until Succeeded; the Location beside it never (the server
        // records a violation for that).
        assertTrue(sent.stream().filter(r -> r.startsWith("GET /operations/async/")).count() >= 4, sent::toString);
        assertEquals(null, server.online(endpoint));
        assertTrue(shown(notebook).contains("Deleted endpoint doomed-endpoint in my-aml-workspace."), shown(notebook));
    }

    @Test
    void aScoringErrorIsPostedOnceAndShownWhole() throws Exception {
        connect();
        deployed("failing-endpoint");
        write("request.json", "{\"data\": []}");
        int before = server.requests().size();
        MagicException e = assertThrows(MagicException.class,
                () -> aml("invoke failing-endpoint --request-file request.json"));
        List<String> sent = server.requests().subList(before, server.requests().size());
        assertEquals(1, sent.stream().filter(r -> r.equals("POST /score/failing-endpoint")).count(), sent::toString);
        assertTrue(e.getMessage().contains("HTTP 500") && e.getMessage().contains("ScoringError")
                && e.getMessage().contains("run() raised ValueError: the input has no data")
                && e.getMessage().contains("File score.py, line 7, in run"), e.getMessage());
    }

    @Test
    void aClusterTargetWithoutAWorkspaceIsAnErrorNotALocalRun() throws Exception {
        MagicException e = assertThrows(MagicException.class, () -> aml("submit job.yaml --name cluster_1"));
        assertEquals(MagicException.Kind.UsageError, e.kind());
        assertTrue(e.getMessage().contains("azureml:cpu-cluster") && e.getMessage().contains("--local"),
                e.getMessage());
        assertFalse(Files.exists(RunFolder.of(session, "cluster_1").root()), "nothing ran or was snapshotted");

        write("endpoint.yml", "name: aks-endpoint\ncompute: azureml:aks-prod\n");
        write("blue.yml", """
                name: blue
                type: kubernetes
                code_configuration:
                  code: ./onlinescoring
                  scoring_script: score.py
                environment: drydock/python:bookworm
                """);
        write("onlinescoring/score.py", "def init(): pass\ndef run(raw): return raw\n");
        MagicException deploy = assertThrows(MagicException.class, () -> aml("deploy endpoint.yml blue.yml"));
        assertTrue(deploy.getMessage().contains("azureml:aks-prod"), deploy.getMessage());
        assertTrue(server.requests().isEmpty() || server.requests().stream().noneMatch(r -> r.contains("aks-endpoint")));
    }

    @Test
    void theWorkspaceCommandNamesTheTargetItWillUse() throws Exception {
        assertTrue(aml("workspace").out().contains("Target: the local Docker engine"));
        String out = aml("workspace --subscription " + SUBSCRIPTION + " --resource-group test-rg --name my-aml-workspace")
                .out();
        assertTrue(out.contains("Target: jobs and deployments go to workspace my-aml-workspace through "
                + server.endpoint()), out);
    }

    @Test
    void withAWorkspaceAJobNamingNoComputeGoesThereOnServerlessCompute() throws Exception {
        connect();
        aml("submit job.yaml --name serverless_1 --set compute=null");
        JsonNode job = server.job("serverless_1");
        assertTrue(job != null && !job.path("properties").has("computeId"), String.valueOf(job));
    }

    @Test
    void aJobBodyCarriesEveryAcceptedKeyAsAzMlSendsIt() throws Exception {
        connect();
        write("full.yaml", JOB.replace("compute: azureml:cpu-cluster\n", """
                compute: azureml:cpu-cluster
                description: every key
                limits:
                  timeout: 3600
                identity:
                  type: managed
                  client_id: 00000000-0000-0000-0000-00000000abcd
                queue_settings:
                  job_tier: spot
                services:
                  notebook:
                    type: jupyter_lab
                    nodes: all
                  remote:
                    type: ssh
                    ssh_public_keys: ssh-ed25519 AAAA test
                properties:
                  origin: drydock
                """).replace("  instance_count: 2\n", """
                  instance_count: 2
                  instance_type: Standard_NC6s_v3
                  shm_size: 16g
                  docker_args: --ipc=host
                  properties:
                    AISuperComputer:
                      interactive: false
                """));
        aml("submit full.yaml --name every_key");
        JsonNode job = server.job("every_key").path("properties");
        assertEquals("Command", job.at("/limits/jobLimitsType").asText());
        assertEquals("PT1H", job.at("/limits/timeout").asText());
        assertEquals("Managed", job.at("/identity/identityType").asText());
        assertEquals("00000000-0000-0000-0000-00000000abcd", job.at("/identity/clientId").asText());
        assertEquals("Spot", job.at("/queueSettings/jobTier").asText());
        assertEquals("JupyterLab", job.at("/services/notebook/jobServiceType").asText());
        assertEquals("All", job.at("/services/notebook/nodes/nodesValueType").asText());
        assertEquals("SSH", job.at("/services/remote/jobServiceType").asText());
        assertEquals("ssh-ed25519 AAAA test", job.at("/services/remote/properties/sshPublicKeys").asText());
        assertEquals("drydock", job.at("/properties/origin").asText());
        assertEquals(2, job.at("/resources/instanceCount").asInt());
        assertEquals("Standard_NC6s_v3", job.at("/resources/instanceType").asText());
        assertEquals("16g", job.at("/resources/shmSize").asText());
        assertEquals("--ipc=host", job.at("/resources/dockerArgs").asText());
        assertFalse(job.at("/resources/properties/AISuperComputer/interactive").asBoolean(true));
        assertEquals("ml", job.at("/tags/team").asText());
        assertEquals("every key", job.path("description").asText());
        assertEquals("Train remotely", job.path("displayName").asText());
        assertEquals("remote-tests", job.path("experimentName").asText());
        assertEquals("3", job.at("/environmentVariables/EPOCHS").asText());
        assertEquals("PyTorch", job.at("/distribution/distributionType").asText());
    }

    @Test
    void aKeyTheApiHasNoPlaceForIsRefusedByName() throws Exception {
        connect();
        write("located.yaml", JOB.replace("  instance_count: 2\n", "  instance_count: 2\n  locations: [westeurope]\n"));
        MagicException e = assertThrows(MagicException.class, () -> aml("submit located.yaml --name located_1"));
        assertTrue(e.getMessage().contains("resources.locations"), e.getMessage());
        assertEquals(null, server.job("located_1"));
    }

    @Test
    void aRedeployWithAChangedModelRegistersANewVersionAndUsesIt() throws Exception {
        connect();
        String endpoint = deployed("redeploy-endpoint");
        String first = server.online(endpoint + "/deployments/blue").at("/properties/model").asText();
        JsonNode firstModel = server.asset(first);
        assertTrue(firstModel.at("/properties/isAnonymous").asBoolean(), firstModel::toString);
        assertTrue(firstModel.at("/properties/modelUri").asText().startsWith(
                "azureml://datastores/workspaceblobstore/paths/LocalUpload/"), firstModel::toString);

        write("model/weights.json", "{\"scale\": 3}");
        aml("deploy ep-redeploy-endpoint.yml dep-redeploy-endpoint.yml");
        String second = server.online(endpoint + "/deployments/blue").at("/properties/model").asText();
        assertFalse(second.equals(first), "the changed model is a new model version: " + second);
        assertEquals(Map.of("weights.json", "{\"scale\": 3}"),
                server.filesUnder(server.asset(second).at("/properties/modelUri").asText()));
        assertEquals(Map.of("weights.json", "{\"scale\": 2}"),
                server.filesUnder(server.asset(first).at("/properties/modelUri").asText()), "the old version stays");

        // The same content again: nothing uploaded, the same version.
        int before = server.blobRequests().size();
        aml("deploy ep-redeploy-endpoint.yml dep-redeploy-endpoint.yml");
        assertEquals(second, server.online(endpoint + "/deployments/blue").at("/properties/model").asText());
        assertTrue(server.blobRequests().subList(before, server.blobRequests().size()).stream()
                .allMatch(r -> r.startsWith("HEAD ")), server.blobRequests()::toString);
    }

    @Test
    void aLargeInputGoesUpInBlocksWithBoundedMemory() throws Exception {
        connect();
        Path big = folder.resolve("data/big.bin");
        long size = 100L * 1024 * 1024;
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        try (var out = Files.newOutputStream(big)) {
            byte[] chunk = new byte[1024 * 1024];
            java.util.Random random = new java.util.Random(7);
            for (long written = 0; written < size; written += chunk.length) {
                random.nextBytes(chunk);
                out.write(chunk);
                sha.update(chunk);
            }
        }
        write("big.yaml", JOB.replace("path: ./data/train.csv", "path: ./data/big.bin"));
        aml("submit big.yaml --name big_input");
        String uri = server.job("big_input").at("/properties/inputs/data/uri").asText();
        assertTrue(uri.matches("azureml://datastores/workspaceblobstore/paths/LocalUpload/[0-9a-f]{32}/big\\.bin"), uri);
        String blob = server.blobPath(uri);
        assertEquals(java.util.HexFormat.of().formatHex(sha.digest()), server.blobSha256(blob), "the blob is the file");
        long blocks = server.blobRequests().stream().filter(r -> r.equals("PUT " + blob + " comp=block")).count();
        assertEquals((size + AmlUploads.BLOCK_SIZE - 1) / AmlUploads.BLOCK_SIZE, blocks, server.blobRequests()::toString);
        assertTrue(server.blobRequests().contains("PUT " + blob + " comp=blocklist"));
        // No request carried more than one block: the client never held the file whole.
        assertTrue(server.largestBlobRequest() <= AmlUploads.BLOCK_SIZE, "largest " + server.largestBlobRequest());
    }

    /**
     * An environment's build folder goes up as a Docker build context: under its .dockerignore, never with a
     * planted .env, as the blobs the server received show.
     */
    @Test
    void aBuildContextGoesUpUnderTheDockerRules() throws Exception {
        connect();
        write("ctx/Dockerfile", "FROM mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest\nCOPY . /ctx\n");
        write("ctx/.dockerignore", "notes.txt\n");
        write("ctx/app.txt", "app");
        write("ctx/notes.txt", "docker-ignored");
        write("ctx/.env", "TOKEN=planted");
        aml("submit job.yaml --name ctx_1 --set \"environment={build: {path: ./ctx}}\"");
        JsonNode environment = server.asset(server.job("ctx_1").at("/properties/environmentId").asText());
        String context = environment.at("/properties/build/contextUri").asText();
        assertEquals(java.util.Set.of(".dockerignore", "Dockerfile", "app.txt"), server.filesUnder(context).keySet(),
                environment::toString);
    }

    /**
     * A Resource Manager that reads a request and never answers: each try gives up after the request timeout, the
     * retries are bounded, the cell shows which request it waits for while it waits, and the cell ends with an error
     * naming the request and the timeout.
     */
    @Test
    void anUnansweredRequestEndsWithAnErrorNamingItAndShowsThatItWaits() throws Exception {
        withOwnServer(server -> {
            connect();
            server.stall("GET", WS_PATH);
            session.setVariable(AmlHttp.TIMEOUT_VARIABLE, "1");
            RecordingNotebook notebook = new RecordingNotebook();
            MagicException e = assertThrows(MagicException.class,
                    () -> magics.run(new MagicCall("aml", "workspace --check", null), notebook));
            assertTrue(e.getMessage().startsWith("127.0.0.1 did not answer GET " + WS_PATH + " within 1 s (3 tries)."),
                    e.getMessage());
            assertTrue(e.getMessage().contains(AmlHttp.TIMEOUT_VARIABLE), e.getMessage());
            assertEquals(3, server.requests().stream().filter(r -> r.equals("GET " + WS_PATH)).count(),
                    server.requests()::toString);
            assertTrue(shown(notebook).contains("Waiting for 127.0.0.1 to answer GET " + WS_PATH), shown(notebook));
        });
    }

    /** The same, interrupted: the wait ends at once, long before the request's own timeout. */
    @Test
    void anInterruptEndsTheWaitForAnUnansweredRequest() throws Exception {
        withOwnServer(server -> {
            connect();
            server.stall("GET", WS_PATH);
            session.setVariable(AmlHttp.TIMEOUT_VARIABLE, "600");
            InterruptedMagic cell = InterruptedMagic.start(magics, new MagicCall("aml", "workspace --check", null),
                    new RecordingNotebook(), () -> server.requests().contains("GET " + WS_PATH), Duration.ofSeconds(60));
            MagicException e = cell.interrupt();
            assertEquals(MagicException.Kind.KeyboardInterrupt, e.kind(), e.getMessage());
        });
    }

    @Test
    void submitHelpShowsThePlaceholdersLiterally() throws Exception {
        String help = aml("submit --help").out();
        assertTrue(help.contains("${{inputs.x}} and ${{outputs.y}}"), help);
        assertFalse(help.contains("null and null"), help);
    }

    @Test
    void aRemoteJobTakesAnEnvironmentAtLatest() throws Exception {
        // Its own server: on the shared one, another test's deployment may have made a newer anonymous environment.
        withOwnServer(server -> {
            connect();
            aml("submit job.yaml --name env_first");
            String anonymous = server.job("env_first").at("/properties/environmentId").asText();
            aml("submit job.yaml --name env_latest --set environment=azureml:CliV2AnonymousEnvironment@latest");
            assertEquals(anonymous, server.job("env_latest").at("/properties/environmentId").asText());
        });
    }

    @Test
    void endpointAndDeploymentKeysReachTheWorkspaceAndKindIsKeptOnUpdate() throws Exception {
        connect();
        write("ep-keyed.yml", """
                name: keyed-endpoint
                auth_mode: key
                description: all keys
                kind: Managed
                tags:
                  owner: ml
                public_network_access: disabled
                """);
        write("dep-keyed.yml", """
                name: blue
                model:
                  path: ./model
                code_configuration:
                  code: ./onlinescoring
                  scoring_script: score.py
                environment:
                  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
                  conda_file: ./conda.yml
                instance_type: Standard_DS3_v2
                description: blue one
                tags:
                  stage: test
                app_insights_enabled: true
                request_settings:
                  request_timeout_ms: 3000
                  max_concurrent_requests_per_instance: 2
                liveness_probe:
                  initial_delay: 30
                  period: 10
                  failure_threshold: 3
                """);
        write("onlinescoring/score.py", "def init(): pass\ndef run(raw): return raw\n");
        write("model/weights.json", "{\"scale\": 2}");
        aml("deploy ep-keyed.yml dep-keyed.yml");
        String path = WS_PATH + "/onlineEndpoints/keyed-endpoint";
        JsonNode endpoint = server.online(path);
        assertEquals("SystemAssigned", endpoint.at("/identity/type").asText(), "identity defaults as az ml's does");
        assertEquals("Managed", endpoint.path("kind").asText());
        assertEquals("ml", endpoint.at("/tags/owner").asText());
        assertEquals("all keys", endpoint.at("/properties/description").asText());
        assertEquals("Disabled", endpoint.at("/properties/publicNetworkAccess").asText());
        JsonNode deployment = server.online(path + "/deployments/blue");
        assertEquals("test", deployment.at("/tags/stage").asText());
        assertEquals("blue one", deployment.at("/properties/description").asText());
        assertTrue(deployment.at("/properties/appInsightsEnabled").asBoolean());
        assertEquals("PT3S", deployment.at("/properties/requestSettings/requestTimeout").asText());
        assertEquals(2, deployment.at("/properties/requestSettings/maxConcurrentRequestsPerInstance").asInt());
        assertEquals("PT30S", deployment.at("/properties/livenessProbe/initialDelay").asText());
        assertEquals(3, deployment.at("/properties/livenessProbe/failureThreshold").asInt());

        // An update from YAML without kind keeps the endpoint's (the server refuses a changed kind).
        write("ep-keyed.yml", "name: keyed-endpoint\nauth_mode: key\n");
        aml("deploy ep-keyed.yml dep-keyed.yml");
        assertEquals("Managed", server.online(path).path("kind").asText());

        write("dep-bad.yml", Files.readString(folder.resolve("dep-keyed.yml")) + "data_collector:\n  collections: {}\n");
        MagicException e = assertThrows(MagicException.class, () -> aml("deploy ep-keyed.yml dep-bad.yml"));
        assertTrue(e.getMessage().contains("data_collector"), e.getMessage());
    }
}

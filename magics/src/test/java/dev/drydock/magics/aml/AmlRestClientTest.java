package dev.drydock.magics.aml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.CredentialUnavailableException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * The remote path of {@code %aml} against {@link AmlRestTestServer}, which checks every request and answer
 * against the official Azure ML REST spec: a test passes only if the server saw no violation.
 */
class AmlRestClientTest {

    private static final String SUBSCRIPTION = "00000000-1111-2222-3333-444444444444";

    @RegisterExtension
    static final AmlRestTestServer server = AmlRestTestServer.perTestClass();

    @TempDir
    Path notebookFolder;

    private AmlRestClient client(TokenCredential credential) {
        Session session = new Session(notebookFolder, Map.of());
        AmlRestClient client = new AmlRestClient(session, Optional.of(server.endpoint()), () -> credential,
                server::httpClient, Duration.ofMillis(5));
        client.use(SUBSCRIPTION, "test-rg", "my-aml-workspace");
        return client;
    }

    private AmlRestClient client() {
        return client(AmlRestTestServer.credential());
    }

    private AmlRemoteRequest request(String name, Map<String, String> tags, Map<String, AmlRemoteRequest.Input> inputs)
            throws Exception {
        Path code = Files.createDirectories(notebookFolder.resolve("runs/" + name + "/code"));
        Files.writeString(code.resolve("train.py"), "print('training " + name + "')\n");
        Files.createDirectories(code.resolve("lib"));
        Files.writeString(code.resolve("lib/util.py"), "X = 1\n");
        return new AmlRemoteRequest(name, "python train.py --lr ${{inputs.lr}} --data ${{inputs.data}}"
                + " --out ${{outputs.model}}", Optional.of(code),
                new AmlRemoteRequest.Environment.Image("mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest",
                        Optional.of("name: train\ndependencies:\n  - python=3.11\n")),
                inputs, Map.of("model", new AmlRemoteRequest.Output("uri_folder", Optional.empty(), Optional.of("rw_mount"))),
                Optional.of("azureml:cpu-cluster"),
                Optional.of(new AmlRemoteRequest.Resources(Optional.of(2), Optional.of("Standard_DS3_v2"), Optional.of("8g"))),
                Optional.of(new AmlRemoteRequest.Distribution("pytorch", Optional.of(2), Optional.empty(), Optional.empty())),
                Map.of("EPOCHS", "3"), Optional.of("drydock-tests"), Optional.of("Train " + name), Optional.empty(), tags);
    }

    private static Map<String, AmlRemoteRequest.Input> inputs(Path localData) {
        return Map.of("lr", AmlRemoteRequest.Input.literal("0.01"),
                "data", new AmlRemoteRequest.Input("uri_file", localData.toString(), Optional.of("download")),
                "base", new AmlRemoteRequest.Input("uri_folder", "azureml://datastores/workspaceblobstore/paths/base/",
                        Optional.of("ro_mount")));
    }

    @Test
    void submitsCodeEnvironmentAndJobThenFollowsItToCompleted() throws Exception {
        AmlRestClient client = client();
        Path data = Files.writeString(notebookFolder.resolve("data.csv"), "x,y\n1,2\n");
        RecordingNotebook notebook = new RecordingNotebook();

        AmlRemoteJob submitted = client.submit(request("train-ok", Map.of("team", "ml"), inputs(data)), notebook);

        assertEquals("NotStarted", submitted.status());
        assertEquals("Train train-ok", submitted.displayName());
        assertEquals(Optional.of("https://ml.azure.com/runs/train-ok"), submitted.studioUrl());
        JsonNode sent = server.job("train-ok").path("properties");
        assertEquals("python train.py --lr ${{inputs.lr}} --data ${{inputs.data}} --out ${{outputs.model}}",
                sent.path("command").asText());
        assertEquals("PyTorch", sent.at("/distribution/distributionType").asText());
        assertEquals(2, sent.at("/resources/instanceCount").asInt());
        assertEquals("literal", sent.at("/inputs/lr/jobInputType").asText());
        assertEquals("Download", sent.at("/inputs/data/mode").asText());
        assertEquals("ReadOnlyMount", sent.at("/inputs/base/mode").asText());
        assertEquals("ReadWriteMount", sent.at("/outputs/model/mode").asText());
        assertTrue(sent.path("computeId").asText().endsWith("/workspaces/my-aml-workspace/computes/cpu-cluster"));
        assertTrue(sent.path("environmentId").asText().contains("/environments/CliV2AnonymousEnvironment/versions/"));
        // The code really went up: the blobs under the code asset's URI are the snapshot's files.
        String codeUri = server.asset(sent.path("codeId").asText()).at("/properties/codeUri").asText();
        assertEquals(Map.of("train.py", "print('training train-ok')\n", "lib/util.py", "X = 1\n"),
                server.filesUnder(codeUri));
        String dataUri = sent.at("/inputs/data/uri").asText();
        // As az ml refers to a local input: its content-addressed place on the default datastore.
        assertTrue(dataUri.matches("azureml://datastores/workspaceblobstore/paths/LocalUpload/[0-9a-f]{32}/.+"),
                dataUri);
        assertEquals(Map.of("data.csv", "x,y\n1,2\n"), server.filesUnder(dataUri.substring(0, dataUri.lastIndexOf('/'))));
        assertTrue(sent.at("/inputs/data/uri").asText().endsWith("/data.csv"), sent.at("/inputs/data/uri").asText());

        assertEquals("Queued", client.status("train-ok").status());
        assertEquals("Running", client.status("train-ok").status());
        AmlRemoteJob done = client.status("train-ok");
        assertEquals("Completed", done.status());
        assertTrue(done.terminal());
        assertTrue(client.list().stream().anyMatch(j -> j.name().equals("train-ok")));
    }

    @Test
    void aSecondSubmissionOfTheSameSnapshotReusesTheCodeAndTheEnvironment() throws Exception {
        AmlRestClient client = client();
        AmlRemoteRequest request = request("reuse-a", Map.of(), Map.of("lr", AmlRemoteRequest.Input.literal("1")));
        client.submit(request, new RecordingNotebook());
        int before = server.requests().size();
        AmlRemoteRequest again = new AmlRemoteRequest("reuse-b", request.command(), request.code(), request.environment(),
                request.inputs(), request.outputs(), request.compute(), request.resources(), request.distribution(),
                request.environmentVariables(), request.experimentName(), request.displayName(), request.description(),
                request.tags());
        client.submit(again, new RecordingNotebook());
        List<String> second = server.requests().subList(before, server.requests().size());
        assertTrue(second.stream().noneMatch(r -> r.contains("startPendingUpload") || r.startsWith("PUT /blob")
                || r.contains("/environments/") && r.startsWith("PUT")), second::toString);
        assertTrue(second.stream().anyMatch(r -> r.startsWith("PUT") && r.endsWith("/jobs/reuse-b")), second::toString);
    }

    @Test
    void streamShowsTheLogsAndAFailedJobEndsFailedWithItsError() throws Exception {
        AmlRestClient client = client();
        client.submit(request("train-bad", Map.of("drydock-test-outcome", "fail"),
                Map.of("lr", AmlRemoteRequest.Input.literal("0.5"))), new RecordingNotebook());
        RecordingNotebook notebook = new RecordingNotebook();

        AmlRemoteJob job = client.stream("train-bad", notebook);

        assertEquals("Failed", job.status());
        assertTrue(job.error().orElse("").contains("exited with status code 1"), job::toString);
        String out = notebook.out();
        assertTrue(out.contains("Streaming user_logs/std_log.txt"), out);
        assertTrue(out.contains("epoch 1 loss 1.0") && out.contains("epoch 2 loss 0.5"), out);
        assertTrue(out.contains("ValueError: the data is empty"), out);
        assertEquals(1, out.split("epoch 1 loss", -1).length - 1, "each log line once: " + out);
        assertTrue(notebook.err().contains("exited with status code 1"), notebook.err());
    }

    @Test
    void cancelEndsCanceled() throws Exception {
        AmlRestClient client = client();
        client.submit(request("train-cancel", Map.of(), Map.of("lr", AmlRemoteRequest.Input.literal("0.5"))),
                new RecordingNotebook());
        assertEquals("Queued", client.status("train-cancel").status());
        AmlRemoteJob canceled = client.cancel("train-cancel", new RecordingNotebook());
        assertEquals("Canceled", canceled.status());
        assertTrue(server.requests().contains("POST " + "/subscriptions/" + SUBSCRIPTION
                + "/resourceGroups/test-rg/providers/Microsoft.MachineLearningServices/workspaces/my-aml-workspace"
                + "/jobs/train-cancel/cancel"));
    }

    @Test
    void workspaceCheckReadsTheRegion() throws Exception {
        Workspace workspace = client().check();
        assertEquals("my-aml-workspace", workspace.name());
        assertTrue(workspace.region().isPresent());
    }

    @Test
    void anUnknownJobIsAClearError() {
        MagicException e = assertThrows(MagicException.class, () -> client().status("no-such-job"));
        assertTrue(e.getMessage().contains("No job no-such-job"), e.getMessage());
    }

    /** The negative control: the validation is live, so a body the spec forbids is refused, not waved through. */
    @Test
    void aRequestOutsideTheSpecIsRefusedByTheServer() throws Exception {
        AmlRestClient client = client();
        // LiteralJobInput.value must contain a letter, digit or _; "---" goes out as sent.
        MagicException e = assertThrows(MagicException.class, () -> client.submit(request("train-invalid", Map.of(),
                Map.of("lr", AmlRemoteRequest.Input.literal("---"))), new RecordingNotebook()));
        assertTrue(e.getMessage().contains("InvalidRequest"), e.getMessage());
        List<String> violations = List.copyOf(server.violations());
        server.violations().clear();
        assertEquals(1, violations.size(), violations::toString);
        assertTrue(violations.get(0).startsWith("PUT ") && violations.get(0).contains("/jobs/train-invalid")
                && violations.get(0).contains("/properties/inputs/lr"), violations.get(0));
        assertEquals(null, server.job("train-invalid"));
    }

    @Test
    void aCredentialThatCannotGiveATokenNamesAzLoginAndTheVariables() {
        TokenCredential unavailable = request -> Mono.error(new CredentialUnavailableException(
                "DefaultAzureCredential failed to retrieve a token from the included credentials."));
        MagicException e = assertThrows(MagicException.class, () -> client(unavailable).status("anything"));
        assertTrue(e.getMessage().contains("az login"), e.getMessage());
        assertTrue(e.getMessage().contains("AZURE_CLIENT_ID") && e.getMessage().contains("AZURE_TENANT_ID")
                && e.getMessage().contains("AZURE_CLIENT_SECRET"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(server.requests().stream().noneMatch(r -> r.endsWith("/jobs/anything")),
                "no request goes out without a token");
    }
}

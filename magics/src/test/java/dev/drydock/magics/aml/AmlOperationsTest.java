package dev.drydock.magics.aml;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.HttpMethod;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Long-running operations against {@link AmlRestTestServer}: what counts as done, and what never does. */
class AmlOperationsTest {

    private static final String ENDPOINTS = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/"
            + "test-rg/providers/Microsoft.MachineLearningServices/workspaces/my-aml-workspace/onlineEndpoints/";

    @TempDir
    static Path scratch;
    @RegisterExtension
    static final AmlRestTestServer server = AmlRestTestServer.perTestClass();

    private AmlHttp http() {
        return new AmlHttp(new Session(scratch, Map.of()), Optional.of(server.endpoint()),
                AmlRestTestServer::credential, server::httpClient, Duration.ofMillis(5));
    }

    private static ObjectNode endpoint() {
        ObjectNode body = AmlHttp.JSON.createObjectNode().put("location", "westeurope");
        body.putObject("identity").put("type", "SystemAssigned");
        body.putObject("properties").put("authMode", "Key");
        return body;
    }

    @Test
    void theAzureAsyncOperationIsReadToItsEndWithProgressShown() throws Exception {
        AmlHttp http = http();
        RecordingNotebook notebook = new RecordingNotebook();
        AmlOperations.Outcome outcome = new AmlOperations(http).run(HttpMethod.PUT,
                http.armUrl(ENDPOINTS + "op-endpoint", Map.of()), endpoint(), "endpoint op-endpoint",
                new dev.drydock.magics.render.LiveDisplay(notebook, "test"), notebook.cancellation(), Duration.ofMinutes(1));
        assertTrue(outcome.succeeded(), outcome::toString);
        assertTrue(server.operationReads(ENDPOINTS + "op-endpoint") >= 2);
        assertTrue(notebook.displays().stream().anyMatch(d -> String.valueOf(d.bundle().get("text/plain"))
                .contains("The endpoint op-endpoint is")), notebook.displays()::toString);
    }

    @Test
    void aMissingProvisioningStateIsNotSucceededAndTheWaitIsBounded() {
        server.stateless(true);
        AmlHttp http = http();
        RecordingNotebook notebook = new RecordingNotebook();
        MagicException e = assertThrows(MagicException.class, () -> new AmlOperations(http).run(HttpMethod.PUT,
                http.armUrl(ENDPOINTS + "mute-endpoint", Map.of()), endpoint(), "endpoint mute-endpoint",
                new dev.drydock.magics.render.LiveDisplay(notebook, "test"), notebook.cancellation(), Duration.ofMillis(300)));
        assertTrue(e.getMessage().contains("The endpoint mute-endpoint is still") && e.getMessage().contains("goes on"
                + " in Azure"), e.getMessage());
        assertFalse(e.getMessage().contains(".."), e.getMessage());
    }
}

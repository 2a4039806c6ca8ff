package dev.drydock.magics.aml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
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
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * Clouds and trust, against {@link AmlRestTestServer} reached as a sovereign cloud would be: through
 * AZURE_RESOURCE_MANAGER_ENDPOINT, with the session's own HTTP client (no test trust store), so its
 * certificate is trusted only through REQUESTS_CA_BUNDLE.
 */
class AmlCloudTest {

    @RegisterExtension
    static final AmlRestTestServer server = AmlRestTestServer.perTestClass();

    @TempDir
    Path folder;
    private final List<String> scopes = new CopyOnWriteArrayList<>();

    /** The kernel's client over the session's variables, with a credential that records the scopes asked for. */
    private AmlRestClient client(Session session) {
        TokenCredential recording = request -> {
            scopes.addAll(request.getScopes());
            return Mono.just(new AccessToken(AmlRestTestServer.TOKEN, OffsetDateTime.now().plusHours(1)));
        };
        AmlRestClient client = new AmlRestClient(session, Optional.empty(), () -> recording,
                () -> AmlCloud.httpClient(session), Duration.ofMillis(5));
        client.use("00000000-1111-2222-3333-444444444444", "test-rg", "my-aml-workspace");
        return client;
    }

    @Test
    void anUntrustedCertificateIsNamedAsSuchAndACaBundleTrustsIt() throws Exception {
        Session untrusted = new Session(folder, Map.of(AmlHttp.ENDPOINT_VARIABLE, server.endpoint()));
        MagicException e = assertThrows(MagicException.class, () -> client(untrusted).check());
        assertTrue(e.getMessage().contains("TLS certificate of 127.0.0.1 is not trusted")
                && e.getMessage().contains("REQUESTS_CA_BUNDLE"), e.getMessage());
        assertFalse(e.getMessage().contains("az login") || e.getMessage().contains(".."), e.getMessage());

        Path bundle = folder.resolve("corporate-ca.pem");
        Files.writeString(bundle, server.certificatePem());
        Session trusting = new Session(folder, Map.of(AmlHttp.ENDPOINT_VARIABLE, server.endpoint(),
                AmlCloud.CA_BUNDLE, bundle.toString()));
        assertEquals("my-aml-workspace", client(trusting).check().name());
        // The token's scope follows the endpoint, as az derives it.
        assertEquals(List.of(server.endpoint() + "/.default"), scopes.stream().distinct().toList());
    }

    @Test
    void theCloudOptionChoosesResourceManagerAndAnUnknownCloudIsAUsageError() throws Exception {
        Session session = new Session(folder, Map.of());
        Magics magics = new Magics(session, List.of(AmlMagic.class), List.of(new Docker(), new RegistryCredentials(),
                HostUser.current(), new ImageBuilder(), new AmlRestClient(session)));
        RecordingNotebook notebook = new RecordingNotebook();
        magics.run(new MagicCall("aml", "workspace --cloud AzureUSGovernment --subscription s --resource-group g"
                + " --name w", null), notebook);
        assertTrue(notebook.out().contains("https://management.usgovcloudapi.net"), notebook.out());
        assertEquals("https://management.usgovcloudapi.net/.default", AmlCloud.scope(AmlCloud.AzureUSGovernment
                .resourceManager));
        MagicException e = assertThrows(MagicException.class, () -> magics.run(new MagicCall("aml",
                "workspace --cloud AzureGermanCloud", null), new RecordingNotebook()));
        assertEquals(MagicException.Kind.UsageError, e.kind());
        assertTrue(e.getMessage().contains("AZURE_RESOURCE_MANAGER_ENDPOINT"), e.getMessage());
    }
}

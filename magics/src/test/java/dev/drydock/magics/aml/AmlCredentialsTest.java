package dev.drydock.magics.aml;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Session;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AmlCredentialsTest {

    @TempDir
    Path home;

    /**
     * The real DefaultAzureCredential with nothing to find: no service principal, no Azure CLI on PATH, no
     * managed identity. The request goes to a port nothing listens on, so only the credential can fail first.
     */
    @Test
    void defaultAzureCredentialWithNothingConfiguredGivesTheMessage() {
        Map<String, String> bare = Map.of("PATH", home.toString(), "HOME", home.toString(),
                "AZURE_CONFIG_DIR", home.resolve(".azure").toString(), "IDENTITY_ENDPOINT", "", "MSI_ENDPOINT", "");
        Session session = new Session(home, bare);
        AmlRestClient client = new AmlRestClient(session, Optional.of("https://127.0.0.1:9"),
                () -> AmlCredentials.forSession(session), com.azure.core.http.HttpClient::createDefault, Duration.ZERO);
        client.use("s", "g", "w");
        MagicException e = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> assertThrows(MagicException.class, client::check));
        assertTrue(e.getMessage().contains("az login"), e.getMessage());
        assertTrue(e.getMessage().contains("AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET"), e.getMessage());
    }
}

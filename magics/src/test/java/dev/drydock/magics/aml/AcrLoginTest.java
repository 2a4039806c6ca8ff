package dev.drydock.magics.aml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.credential.AccessToken;
import com.github.dockerjava.api.model.AuthConfig;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Session;
import dev.drydock.magics.registry.RegistryCredentials;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * The credential a push to {@code *.azurecr.io} hands the engine when no login exists: the Azure AD token
 * exchanged at the registry's {@code /oauth2/exchange}, which {@link AmlRestTestServer} checks against the
 * official Azure Container Registry spec.
 */
class AcrLoginTest {

    private static final String IMAGE = "myregistry.azurecr.io/team/train:v1";
    private static final RegistryCredentials.Configured NOTHING_CONFIGURED = image -> Optional.empty();

    @RegisterExtension
    static final AmlRestTestServer server = AmlRestTestServer.perTestClass();

    @TempDir
    Path folder;

    private AcrLogin acr(Session session, com.azure.core.credential.TokenCredential credential) {
        return new AcrLogin(session, () -> credential, server::httpClient, registry -> server.endpoint());
    }

    @Test
    void aPushToAnAzureRegistryWithoutALoginUsesTheExchangedToken() throws Exception {
        Session session = new Session(folder, Map.of("AZURE_TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47"));
        RegistryCredentials credentials = new RegistryCredentials(acr(session, AmlRestTestServer.credential()));
        int before = server.acrExchanges().size();

        AuthConfig auth = credentials.resolve(IMAGE, NOTHING_CONFIGURED).orElseThrow();
        assertEquals("myregistry.azurecr.io", auth.getRegistryAddress());
        assertEquals(AcrLogin.USER, auth.getUsername());
        assertTrue(auth.getPassword().startsWith("acr-refresh-myregistry.azurecr.io-"), auth.getPassword());
        assertEquals(List.of("myregistry.azurecr.io"), server.acrExchanges().subList(before, server.acrExchanges().size()));
        // Neither token can reach the notebook.
        assertFalse(session.masker().mask(auth.getPassword()).contains(auth.getPassword()));
        assertFalse(session.masker().mask(AmlRestTestServer.TOKEN).contains(AmlRestTestServer.TOKEN));
    }

    /**
     * The Azure AD token exchanged is for the session's cloud, as the REST client's: the Resource Manager of
     * {@code %aml workspace --cloud}, else of AZURE_RESOURCE_MANAGER_ENDPOINT; never the public cloud's when
     * another is chosen (a sovereign cloud's registry refuses a public-cloud token).
     */
    @Test
    void theTokenIsForTheSessionsCloud() throws Exception {
        List<String> scopes = new java.util.concurrent.CopyOnWriteArrayList<>();
        com.azure.core.credential.TokenCredential recording = request -> {
            scopes.addAll(request.getScopes());
            return Mono.just(new AccessToken(AmlRestTestServer.TOKEN, OffsetDateTime.now().plusHours(1)));
        };
        Session session = new Session(folder, Map.of(AmlHttp.ENDPOINT_VARIABLE, "https://management.azure.microsoft.scloud/"));
        acr(session, recording).login("myregistry.azurecr.io").orElseThrow();
        assertEquals(List.of("https://management.azure.microsoft.scloud/.default"), scopes);

        scopes.clear();
        new AmlRestClient(session).cloud("AzureUSGovernment");
        acr(session, recording).login("myregistry.azurecr.us").orElseThrow();
        assertEquals(List.of("https://management.usgovcloudapi.net/.default"), scopes);
    }

    @Test
    void aLoginOrTheDockerConfigWinsAndOtherRegistriesGetNoToken() throws Exception {
        Session session = new Session(folder, Map.of());
        RegistryCredentials credentials = new RegistryCredentials(acr(session, AmlRestTestServer.credential()));
        int before = server.acrExchanges().size();

        AuthConfig configured = new AuthConfig().withRegistryAddress("myregistry.azurecr.io").withUsername("cli")
                .withPassword("from-config");
        assertEquals(Optional.of(configured), credentials.resolve(IMAGE, image -> Optional.of(configured)));
        AuthConfig login = new AuthConfig().withRegistryAddress("myregistry.azurecr.io").withUsername("me")
                .withPassword("pw");
        credentials.remember(login);
        assertEquals(Optional.of(login), credentials.resolve(IMAGE, NOTHING_CONFIGURED));
        assertEquals(Optional.empty(), credentials.resolve("127.0.0.1:5000/team/train:v1", NOTHING_CONFIGURED));
        assertEquals(Optional.empty(), credentials.resolve("myregistry.azurecr.io.example.com/x:1", NOTHING_CONFIGURED));
        assertEquals(before, server.acrExchanges().size(), "no exchange was needed");
    }

    @Test
    void aRefusedOrMissingAzureTokenSaysWhatToDo() {
        Session session = new Session(folder, Map.of());
        MagicException refused = assertThrows(MagicException.class, () -> acr(session,
                request -> Mono.just(new AccessToken("not-the-servers-token", OffsetDateTime.now().plusHours(1))))
                .login("myregistry.azurecr.io"));
        assertTrue(refused.getMessage().contains("refused the Azure AD token (UNAUTHORIZED: invalid token)")
                && refused.getMessage().contains("AcrPush"), refused.getMessage());

        MagicException missing = assertThrows(MagicException.class, () -> acr(session,
                request -> Mono.error(new com.azure.identity.CredentialUnavailableException("no az login")))
                .login("myregistry.azurecr.io"));
        assertTrue(missing.getMessage().contains("az login") && missing.getMessage().contains("AZURE_CLIENT_SECRET")
                && missing.getMessage().contains("%docker login"), missing.getMessage());
    }

    @Test
    void theSpecServerRefusesAnExchangeWithoutItsRequiredFields() {
        List<String> messages = AmlRestSpec.get().validateRequest("POST", "/oauth2/exchange", Map.of(),
                Map.of("Content-Type", List.of("application/x-www-form-urlencoded")), "grant_type=access_token");
        assertFalse(messages.isEmpty(), "service is required by the spec");
        List<String> wrongGrant = AmlRestSpec.get().validateRequest("POST", "/oauth2/exchange", Map.of(),
                Map.of("Content-Type", List.of("application/x-www-form-urlencoded")),
                "grant_type=password&service=myregistry.azurecr.io");
        assertFalse(wrongGrant.isEmpty(), "grant_type is an enum in the spec");
    }
}

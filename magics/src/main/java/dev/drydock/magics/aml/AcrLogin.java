package dev.drydock.magics.aml;

import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpPipeline;
import com.azure.core.http.HttpPipelineBuilder;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpLogDetailLevel;
import com.azure.core.http.policy.HttpLogOptions;
import com.azure.core.http.policy.HttpLoggingPolicy;
import com.azure.core.http.policy.UserAgentPolicy;
import com.azure.core.util.Context;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.AuthConfig;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Session;
import dev.drydock.magics.registry.RegistryCredentials;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Pushes and pulls to an Azure Container Registry ({@code *.azurecr.io}, and the sovereign clouds' suffixes)
 * with the kernel's Azure identity when no login for it exists, as {@code az acr login} does: the Azure
 * Resource Manager access token of {@code DefaultAzureCredential} is exchanged for an ACR refresh token
 * ({@code POST https://REGISTRY/oauth2/exchange}, grant_type access_token), which the engine takes as the
 * password of the fixed user {@value #USER}. Both tokens go into the session's masker. The token is for the
 * session's cloud (as {@code az acr login} uses the cloud {@code az cloud set} chose): its scope and sign-in
 * authority follow {@link AmlCloud#resourceManager}, like the REST client's.
 */
public final class AcrLogin implements RegistryCredentials.TokenLogin {

    /** The user name ACR expects with a refresh token as password. */
    public static final String USER = "00000000-0000-0000-0000-000000000000";
    private static final Pattern ACR = Pattern.compile("(?i)[a-z0-9-]+\\.azurecr\\.(io|cn|us)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Session session;
    private final Supplier<TokenCredential> credentials;
    private final Supplier<HttpClient> transport;
    private final Function<String, String> baseUrl;
    private HttpPipeline pipeline;

    public AcrLogin(Session session) {
        this(session, () -> AmlCredentials.forSession(session,
                AmlCloud.at(AmlCloud.resourceManager(session)).map(c -> c.authority), AmlCloud.httpClient(session)),
                () -> AmlCloud.httpClient(session), registry -> "https://" + registry);
    }

    /** With the credential, the transport and the registry's address given, as the tests make it. */
    AcrLogin(Session session, Supplier<TokenCredential> credentials, Supplier<HttpClient> transport,
            Function<String, String> baseUrl) {
        this.session = session;
        this.credentials = credentials;
        this.transport = transport;
        this.baseUrl = baseUrl;
    }

    static boolean isAcr(String registry) {
        return ACR.matcher(registry).matches();
    }

    @Override
    public Optional<AuthConfig> login(String registry) throws MagicException {
        if (!isAcr(registry)) {
            return Optional.empty();
        }
        String accessToken;
        try {
            accessToken = credentials.get().getTokenSync(new TokenRequestContext()
                    .addScopes(AmlCloud.scope(AmlCloud.resourceManager(session))))
                    .getToken();
        } catch (RuntimeException e) {
            throw new MagicException(MagicException.Kind.MagicError, "No login for " + registry + " (%docker login"
                    + " gives one), and the Azure AD login failed: " + AmlCredentials.message(e), e);
        }
        session.masker().add(accessToken);
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "access_token");
        form.put("service", registry);
        session.variable("AZURE_TENANT_ID").filter(t -> !t.isBlank()).ifPresent(tenant -> form.put("tenant", tenant));
        form.put("access_token", accessToken);
        String url = baseUrl.apply(registry) + "/oauth2/exchange";
        HttpRequest request = new HttpRequest(HttpMethod.POST, url);
        request.setHeader(HttpHeaderName.CONTENT_TYPE, "application/x-www-form-urlencoded");
        request.setHeader(HttpHeaderName.ACCEPT, "application/json");
        request.setBody(form.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&")));
        String text;
        int status;
        try (HttpResponse response = pipeline().sendSync(request,
                new Context("azure-response-timeout", AmlHttp.DEFAULT_TIMEOUT))) {
            status = response.getStatusCode();
            text = response.getBodyAsBinaryData() == null ? "" : response.getBodyAsBinaryData().toString();
        } catch (RuntimeException e) {
            throw MagicException.failed("Could not reach " + registry + " to exchange the Azure AD token for a registry"
                    + " token: " + e.getMessage());
        }
        JsonNode body;
        try {
            body = JSON.readTree(text.isBlank() ? "{}" : text);
        } catch (IOException e) {
            body = JSON.createObjectNode();
        }
        String refreshToken = body.path("refresh_token").asText("");
        if (status != 200 || refreshToken.isEmpty()) {
            JsonNode error = body.path("errors").path(0);
            String reason = error.isMissingNode() ? "HTTP " + status
                    : error.path("code").asText("") + ": " + error.path("message").asText("");
            throw MagicException.failed(registry + " refused the Azure AD token (" + reason + "). The identity needs"
                    + " the AcrPush role on the registry (AcrPull to pull), or log in with %docker login " + registry
                    + ".");
        }
        session.masker().add(refreshToken);
        return Optional.of(new AuthConfig().withRegistryAddress(registry).withUsername(USER).withPassword(refreshToken));
    }

    /** No bearer policy: the exchange carries the token in its form, as the ACR spec defines it. */
    private synchronized HttpPipeline pipeline() {
        if (pipeline == null) {
            pipeline = new HttpPipelineBuilder().httpClient(transport.get())
                    .policies(new UserAgentPolicy("drydock-acr"), AmlHttp.retries(),
                            new HttpLoggingPolicy(new HttpLogOptions().setLogLevel(HttpLogDetailLevel.BASIC)))
                    .build();
        }
        return pipeline;
    }
}

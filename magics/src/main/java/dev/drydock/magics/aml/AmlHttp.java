package dev.drydock.magics.aml;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.rest.Response;
import com.azure.core.http.rest.SimpleResponse;
import com.azure.core.util.BinaryData;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpPipeline;
import com.azure.core.http.HttpPipelineBuilder;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.BearerTokenAuthenticationPolicy;
import com.azure.core.http.policy.HttpLogDetailLevel;
import com.azure.core.http.policy.HttpLogOptions;
import com.azure.core.http.policy.HttpLoggingPolicy;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.core.http.policy.RetryPolicy;
import com.azure.core.http.policy.UserAgentPolicy;
import com.azure.core.util.Context;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Session;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The HTTP plumbing of the Azure ML client: azure-core's {@link HttpPipeline} with retries that honour
 * {@code Retry-After}, a bearer token for Azure Resource Manager from {@link AmlCredentials}, logging with
 * headers and query values redacted, and Azure's error bodies turned into messages.
 */
final class AmlHttp {

    /** The api-version of every Azure Resource Manager call; the tests check it names the spec's stable folder. */
    static final String API_VERSION = "2024-04-01";
    /** Where Azure Resource Manager is, when not the public cloud's (a sovereign cloud, or a test server). */
    static final String ENDPOINT_VARIABLE = "AZURE_RESOURCE_MANAGER_ENDPOINT";
    static final String PUBLIC_ENDPOINT = "https://management.azure.com";
    static final ObjectMapper JSON = new ObjectMapper();

    private final Session session;
    private final Optional<String> endpoint;
    private final Supplier<TokenCredential> credentials;
    private final Supplier<HttpClient> transport;
    private final Duration pollInterval;
    private HttpPipeline arm;
    private volatile AmlCloud cloud;
    private HttpClient client;
    private HttpPipeline plain;
    private HttpPipeline scoring;

    AmlHttp(Session session, Optional<String> endpoint, Supplier<TokenCredential> credentials,
            Supplier<HttpClient> transport, Duration pollInterval) {
        this.session = session;
        this.endpoint = endpoint;
        this.credentials = credentials;
        this.transport = transport;
        this.pollInterval = pollInterval;
    }

    /** The HTTP client every pipeline sends through, storage's included. */
    synchronized HttpClient transport() {
        if (client == null) {
            client = transport.get();
        }
        return client;
    }

    /** The signed-in identity, for a datastore reached without secrets. */
    TokenCredential credential() throws MagicException {
        try {
            return credentials.get();
        } catch (RuntimeException e) {
            throw AmlCredentials.explain(e).orElseGet(() -> new MagicException(MagicException.Kind.MagicError,
                    AmlCredentials.message(e), e));
        }
    }

    Session session() {
        return session;
    }

    /** How long polls wait between reads where the service names no Retry-After. */
    Duration pollInterval() {
        return pollInterval;
    }

    /** An answer below 400: its status, headers (lower-case names), body, and the request that got it. */
    record Reply(int status, Map<String, String> headers, JsonNode body, HttpRequest request, HttpHeaders raw,
            String text) {

        /** As azure-core's polling strategies take an initial response. */
        Response<BinaryData> response() {
            return new SimpleResponse<>(request, status, raw, BinaryData.fromString(text));
        }
    }

    /**
     * Azure Resource Manager's base URL: the one given (tests), else the cloud {@code %aml workspace --cloud}
     * chose, else {@value #ENDPOINT_VARIABLE}, else the public cloud's.
     */
    String baseUrl() {
        AmlCloud chosen = cloud;
        return trimSlash(endpoint.or(() -> Optional.ofNullable(chosen).map(c -> c.resourceManager))
                .or(() -> session.variable(ENDPOINT_VARIABLE).filter(v -> !v.isBlank()))
                .orElse(PUBLIC_ENDPOINT));
    }

    /** Talks to {@code cloud} from now on: a new token, for that cloud's Resource Manager. */
    synchronized void use(AmlCloud chosen) {
        cloud = chosen;
        arm = null;
    }

    /** The sign-in authority of the cloud in use; empty where the endpoint is not a known cloud's. */
    Optional<String> authority() {
        return AmlCloud.at(baseUrl()).map(c -> c.authority);
    }

    String armUrl(String path, Map<String, String> query) {
        StringBuilder url = new StringBuilder(baseUrl()).append(path).append("?api-version=").append(API_VERSION);
        query.forEach((k, v) -> url.append('&').append(k).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8).replace("+", "%20")));
        return url.toString();
    }

    Reply call(HttpMethod method, String url, JsonNode body) throws MagicException {
        return send(arm(), method, url, body);
    }

    /** GET that answers empty for 404, so create-or-reuse can tell "not there" from a failure. */
    Optional<Reply> find(String url) throws MagicException {
        HttpRequest request = new HttpRequest(HttpMethod.GET, url);
        request.setHeader(HttpHeaderName.ACCEPT, "application/json");
        try (HttpResponse response = arm().sendSync(request, Context.NONE)) {
            if (response.getStatusCode() == 404) {
                return Optional.empty();
            }
            return Optional.of(reply(request, response));
        } catch (RuntimeException e) {
            throw unreachable(url, e);
        }
    }

    Reply send(HttpPipeline pipeline, HttpMethod method, String url, JsonNode body) throws MagicException {
        HttpRequest request = new HttpRequest(method, url);
        request.setHeader(HttpHeaderName.ACCEPT, "application/json");
        if (body != null) {
            request.setHeader(HttpHeaderName.CONTENT_TYPE, "application/json");
            try {
                request.setBody(JSON.writeValueAsBytes(body));
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
        }
        try (HttpResponse response = pipeline.sendSync(request, Context.NONE)) {
            return reply(request, response);
        } catch (RuntimeException e) {
            throw unreachable(url, e);
        }
    }

    Reply reply(HttpRequest request, HttpResponse response) throws MagicException {
        String text = response.getBodyAsBinaryData() == null ? "" : response.getBodyAsBinaryData().toString();
        JsonNode body;
        try {
            body = text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
        } catch (JsonProcessingException e) {
            body = JSON.createObjectNode().put("text", text);
        }
        int status = response.getStatusCode();
        if (status >= 400) {
            String what = request.getHttpMethod() + " " + request.getUrl().getPath();
            String hint = status == 401 || status == 403
                    ? " The signed-in identity may lack access to the workspace (it needs a role such as AzureML"
                            + " Data Scientist), or the token is for another tenant."
                    : status == 404 ? " Check the workspace (%aml workspace) and the name." : "";
            throw MagicException.failed("Azure ML refused " + what + " (HTTP " + status + "): "
                    + error(body, text, status) + hint);
        }
        Map<String, String> headers = new HashMap<>();
        response.getHeaders().forEach(h -> headers.put(h.getName().toLowerCase(java.util.Locale.ROOT), h.getValue()));
        return new Reply(status, headers, body, request, response.getHeaders(), text);
    }

    /**
     * Azure's error body whole: {@code error.code: error.message}, then each of {@code error.details} (and
     * theirs) on its own line with its target; a body that is not Azure's error shape is shown as it came.
     */
    static String error(JsonNode body, String text, int status) {
        JsonNode error = body.path("error");
        if (!error.isObject()) {
            String whole = text == null ? "" : text.strip();
            return whole.isEmpty() ? "HTTP " + status + " with no body" : whole;
        }
        StringBuilder out = new StringBuilder();
        describe(error, out, "");
        return out.toString();
    }

    private static void describe(JsonNode error, StringBuilder out, String indent) {
        String code = error.path("code").asText("");
        String message = error.path("message").asText("");
        String target = error.path("target").asText("");
        out.append(indent.isEmpty() ? "" : "\n" + indent + "- ").append(code.isEmpty() ? "" : code + ": ")
                .append(message.isEmpty() ? error.toString() : message)
                .append(target.isEmpty() ? "" : " (target: " + target + ")");
        for (JsonNode detail : error.path("details")) {
            describe(detail, out, indent + "  ");
        }
    }

    MagicException unreachable(String url, RuntimeException e) {
        String host = URI.create(url).getHost();
        // Before the credential: a token request that fails TLS is a trust problem, not a sign-in one.
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLHandshakeException || t instanceof java.security.cert.CertPathValidatorException
                    || t instanceof java.security.cert.CertificateException
                    || String.valueOf(t.getMessage()).contains("PKIX path")) {
                return new MagicException(MagicException.Kind.MagicError, "The TLS certificate of " + host
                        + " is not trusted here (" + sentence(firstLine(String.valueOf(rootCause(e).getMessage())))
                        + ") A proxy that inspects TLS needs its CA trusted: set " + AmlCloud.CA_BUNDLE + " to a PEM"
                        + " bundle with it, as for az.", e);
            }
        }
        Optional<MagicException> credential = AmlCredentials.explain(e);
        if (credential.isPresent()) {
            return credential.get();
        }
        return new MagicException(MagicException.Kind.MagicError, "Could not reach " + host + ": "
                + sentence(firstLine(String.valueOf(rootCause(e).getMessage()))) + " Check the network, or the cloud"
                + " (%aml workspace --cloud, or " + ENDPOINT_VARIABLE + ") if this is not the public Azure cloud.", e);
    }

    /** {@code text} as a sentence: one final period, never two. */
    static String sentence(String text) {
        String trimmed = text.strip();
        return trimmed.isEmpty() || trimmed.matches("(?s).*[.!?…]$") ? trimmed : trimmed + ".";
    }

    synchronized HttpPipeline arm() throws MagicException {
        if (arm == null) {
            TokenCredential credential;
            try {
                credential = credentials.get();
            } catch (RuntimeException e) {
                throw AmlCredentials.explain(e).orElseGet(() -> new MagicException(MagicException.Kind.MagicError,
                        AmlCredentials.message(e), e));
            }
            arm = pipeline(new RetryPolicy(), new BearerTokenAuthenticationPolicy(credential, AmlCloud.scope(baseUrl())));
        }
        return arm;
    }

    /**
     * For scoring requests: no bearer of Azure Resource Manager and no retries, since a scoring request is not
     * idempotent ({@code az ml online-endpoint invoke} posts once too).
     */
    synchronized HttpPipeline scoring() {
        if (scoring == null) {
            scoring = pipeline();
        }
        return scoring;
    }

    /** No bearer token: SAS URLs of blobs and the discovery document, which take none. */
    synchronized HttpPipeline plain() {
        if (plain == null) {
            plain = pipeline(new RetryPolicy());
        }
        return plain;
    }

    /** A pipeline over the one transport: the user agent first, {@code policies} next, basic logging last. */
    private HttpPipeline pipeline(HttpPipelinePolicy... policies) {
        List<HttpPipelinePolicy> all = new ArrayList<>();
        all.add(new UserAgentPolicy("drydock-aml"));
        all.addAll(List.of(policies));
        all.add(new HttpLoggingPolicy(new HttpLogOptions().setLogLevel(HttpLogDetailLevel.BASIC)));
        return new HttpPipelineBuilder().httpClient(transport()).policies(all.toArray(HttpPipelinePolicy[]::new)).build();
    }

    static void sleep(Duration duration) throws MagicException {
        try {
            Thread.sleep(Math.min(duration.toMillis(), 30_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw MagicException.interrupted();
        }
    }

    static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    static String firstLine(String text) {
        String line = text == null ? "" : text.strip().lines().findFirst().orElse("");
        return line.length() > 300 ? line.substring(0, 300) + "…" : line;
    }

    static String trimSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String encodePath(String path) {
        return Stream.of(path.split("/")).map(AmlHttp::segment).collect(Collectors.joining("/"));
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One display per operation, updated in place. */
}

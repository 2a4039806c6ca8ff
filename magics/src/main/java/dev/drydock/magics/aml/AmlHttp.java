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
import com.azure.core.http.policy.ExponentialBackoff;
import com.azure.core.http.policy.ExponentialBackoffOptions;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.core.http.policy.RetryPolicy;
import com.azure.core.http.policy.UserAgentPolicy;
import com.azure.core.util.Context;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.render.LiveDisplay;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
    /** Seconds one request to Azure may wait for its answer before it is tried again (or given up). */
    static final String TIMEOUT_VARIABLE = "DRYDOCK_AZURE_REQUEST_TIMEOUT";
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** Retries of a request that failed, timed out or was throttled; each waits as Retry-After says, else backs off. */
    static final int MAX_RETRIES = 2;
    /** How many seconds a request runs before the cell shows that it waits. */
    private static final long QUIET_SECONDS = 2;
    // azure-core's transports read a per-request response timeout from this context key.
    private static final String RESPONSE_TIMEOUT_KEY = "azure-response-timeout";
    private static final ExecutorService REQUESTS = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "drydock-azure-request");
        thread.setDaemon(true);
        return thread;
    });
    static final ObjectMapper JSON = new ObjectMapper();

    private final Session session;
    private final Optional<String> endpoint;
    private final Supplier<TokenCredential> credentials;
    private final Supplier<HttpClient> transport;
    private final Duration pollInterval;
    private HttpPipeline arm;
    private HttpClient client;
    private HttpPipeline plain;
    private HttpPipeline scoring;
    private volatile Notebook cell;

    AmlHttp(Session session, Optional<String> endpoint, Supplier<TokenCredential> credentials,
            Supplier<HttpClient> transport, Duration pollInterval) {
        this.session = session;
        this.endpoint = endpoint;
        this.credentials = credentials;
        this.transport = transport;
        this.pollInterval = pollInterval;
    }

    /** The cell requests serve from now on; null when none. */
    void attach(Notebook notebook) {
        cell = notebook;
    }

    /**
     * How long one try of a request may wait for its answer: {@value #TIMEOUT_VARIABLE} seconds, else 30 s. With
     * {@value #MAX_RETRIES} retries a request that is never answered ends the cell's wait in about
     * {@code (1 + MAX_RETRIES) × timeout}.
     */
    Duration timeout() throws MagicException {
        Optional<String> value = session.variable(TIMEOUT_VARIABLE).map(String::strip).filter(v -> !v.isEmpty());
        if (value.isEmpty()) {
            return DEFAULT_TIMEOUT;
        }
        try {
            double seconds = Double.parseDouble(value.get());
            if (seconds > 0 && seconds <= 3600) {
                return Duration.ofMillis((long) (seconds * 1000));
            }
        } catch (NumberFormatException e) {
            // Said below.
        }
        throw MagicException.usage(TIMEOUT_VARIABLE + " is " + value.get() + ", not a number of seconds between 0 and"
                + " 3600.");
    }

    /** The context of a request to Azure: its response timeout. */
    Context requestContext() throws MagicException {
        return new Context(RESPONSE_TIMEOUT_KEY, timeout());
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
            return masking(credentials.get());
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
        return trimSlash(endpoint.orElseGet(() -> AmlCloud.resourceManager(session)));
    }

    /** Talks to {@code cloud} from now on: a new token, for that cloud's Resource Manager. */
    synchronized void use(AmlCloud chosen) {
        AmlCloud.Chosen.of(session).cloud = chosen;
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
        HttpPipeline pipeline = arm();
        Context context = requestContext();
        return waitFor(request, () -> {
            try (HttpResponse response = pipeline.sendSync(request, context)) {
                if (response.getStatusCode() == 404) {
                    return Optional.empty();
                }
                return Optional.of(reply(request, response));
            }
        });
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
        // A scoring request runs as long as the model takes (the endpoint's own request_timeout_ms bounds it).
        Context context = pipeline == scoring ? Context.NONE : requestContext();
        return waitFor(request, () -> {
            try (HttpResponse response = pipeline.sendSync(request, context)) {
                return reply(request, response);
            }
        });
    }

    /** One request's work: send, read the answer. */
    private interface Exchange<T> {
        T run() throws MagicException;
    }

    /**
     * Runs a request on a worker while the cell's thread waits: after {@value #QUIET_SECONDS} s the cell shows
     * which request waits and for how long, and the cell's interrupt ends the wait at once (the worker's request is
     * cancelled). The request itself is bounded by {@link #timeout()} per try and {@value #MAX_RETRIES} retries.
     */
    private <T> T waitFor(HttpRequest request, Exchange<T> exchange) throws MagicException {
        Notebook notebook = cell;
        String what = request.getHttpMethod() + " " + request.getUrl().getPath();
        Future<T> future = REQUESTS.submit(exchange::run);
        long start = System.nanoTime();
        LiveDisplay display = null;
        try {
            while (true) {
                try {
                    return future.get(200, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    if (notebook != null && notebook.cancellation().isCancelled()) {
                        future.cancel(true);
                        throw MagicException.interrupted();
                    }
                    long waited = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
                    if (notebook != null && waited >= QUIET_SECONDS) {
                        if (display == null) {
                            display = new LiveDisplay(notebook, "azure-request");
                        }
                        display.show("Waiting for " + request.getUrl().getHost() + " to answer " + what + " (" + waited
                                + " s; each try gives up after " + seconds(timeout()) + ", " + MAX_RETRIES
                                + " retries)…");
                    }
                } catch (InterruptedException e) {
                    future.cancel(true);
                    Thread.currentThread().interrupt();
                    throw MagicException.interrupted();
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof MagicException m) {
                        throw m;
                    }
                    if (cause instanceof RuntimeException r) {
                        if (timedOut(r)) {
                            throw new MagicException(MagicException.Kind.MagicError, request.getUrl().getHost()
                                    + " did not answer " + what + " within " + seconds(timeout()) + " ("
                                    + (1 + MAX_RETRIES) + " tries). Azure may be unreachable from here (a proxy or"
                                    + " firewall) or overloaded; " + TIMEOUT_VARIABLE + " sets the seconds one try"
                                    + " waits.", r);
                        }
                        throw unreachable(request.getUrl().toString(), r);
                    }
                    throw new IllegalStateException(cause);
                }
            }
        } finally {
            if (display != null) {
                display.show(what + " ended after " + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)
                        + " s.");
                display.close();
            }
        }
    }

    private static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.http.HttpTimeoutException || t instanceof TimeoutException
                    || t instanceof java.net.SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static String seconds(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() / 1000.0 + " s";
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
        // The cell's interrupt, surfacing through the transport: not a network problem.
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedException || t instanceof java.io.InterruptedIOException
                    && !(t instanceof java.net.SocketTimeoutException)) {
                Thread.currentThread().interrupt();
                return MagicException.interrupted();
            }
        }
        if (Thread.currentThread().isInterrupted()) {
            return MagicException.interrupted();
        }
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

    /**
     * A SAS the client received (a blob URL with its query, or a datastore's token) goes into the session's
     * masker before any message or record could carry it: the whole query, and the signature on its own, as sent
     * and decoded, since a URL shown elsewhere may have its parameters in another order or decoded.
     */
    void maskSas(String urlOrToken) {
        if (urlOrToken == null) {
            return;
        }
        int question = urlOrToken.indexOf('?');
        String query = question >= 0 ? urlOrToken.substring(question + 1) : urlOrToken;
        if (query.isBlank()) {
            return;
        }
        session.masker().add(query);
        for (String parameter : query.split("&")) {
            if (parameter.startsWith("sig=")) {
                String signature = parameter.substring("sig=".length());
                session.masker().add(signature);
                session.masker().add(java.net.URLDecoder.decode(signature, StandardCharsets.UTF_8));
            }
        }
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
                credential = masking(credentials.get());
            } catch (RuntimeException e) {
                throw AmlCredentials.explain(e).orElseGet(() -> new MagicException(MagicException.Kind.MagicError,
                        AmlCredentials.message(e), e));
            }
            arm = pipeline(retries(), new BearerTokenAuthenticationPolicy(credential, AmlCloud.scope(baseUrl())));
        }
        return arm;
    }

    /** {@code credential} with every token it hands out added to the session's masker as it is received. */
    private TokenCredential masking(TokenCredential credential) {
        return new TokenCredential() {
            @Override
            public reactor.core.publisher.Mono<com.azure.core.credential.AccessToken> getToken(
                    com.azure.core.credential.TokenRequestContext request) {
                return credential.getToken(request).doOnNext(token -> session.masker().add(token.getToken()));
            }

            @Override
            public com.azure.core.credential.AccessToken getTokenSync(
                    com.azure.core.credential.TokenRequestContext request) {
                com.azure.core.credential.AccessToken token = credential.getTokenSync(request);
                session.masker().add(token.getToken());
                return token;
            }
        };
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

    /** {@value #MAX_RETRIES} retries, honouring Retry-After, else backing off exponentially from 0.8 s to 8 s. */
    static RetryPolicy retries() {
        return new RetryPolicy(new ExponentialBackoff(new ExponentialBackoffOptions().setMaxRetries(MAX_RETRIES)
                .setBaseDelay(Duration.ofMillis(800)).setMaxDelay(Duration.ofSeconds(8))));
    }

    /** No bearer token: SAS URLs of blobs and the discovery document, which take none. */
    synchronized HttpPipeline plain() {
        if (plain == null) {
            plain = pipeline(retries());
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

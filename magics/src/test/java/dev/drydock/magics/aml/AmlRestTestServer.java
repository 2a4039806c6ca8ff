package dev.drydock.magics.aml;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import reactor.core.publisher.Mono;

/**
 * A stand-in for Azure Resource Manager, Azure ML's run history and blob storage, on 127.0.0.1 over HTTPS
 * (azure-core's bearer policy refuses plain http) with a certificate made for the test.
 *
 * <p>Every Azure Resource Manager and run history request is checked against the official spec by
 * {@link AmlRestSpec} before anything else; one that fails is answered 400 with the messages and recorded
 * in {@link #violations()}, which the tests assert empty. Every answer is checked too. Blob uploads, the
 * discovery document and the operations' status URLs are outside the spec: uploads to the default datastore
 * (its storage account's host routed here by {@link #httpClient()}) are checked by the Blob REST rules (see
 * {@code datastoreBlob}); endpoint and deployment PUTs and DELETEs answer with an {@code Azure-AsyncOperation}
 * status resource the client must read to its end (polling the {@code Location} beside it is a violation).
 *
 * <p>Jobs walk NotStarted → Queued → Running → Completed, one step per read; a job tagged
 * {@code drydock-test-outcome: fail} ends Failed with an error in its run details, and a cancelled one
 * goes CancelRequested → Canceled.
 */
final class AmlRestTestServer implements AutoCloseable, AfterEachCallback, AfterAllCallback {

    static final String TOKEN = "drydock-test-token";
    /** The workspace's default datastore and its storage account, where local files are uploaded. */
    static final String DATASTORE = "workspaceblobstore";
    static final String ACCOUNT = "teststore";
    static final String CONTAINER = "azureml-blobstore-test";
    static final String STORAGE_HOST = ACCOUNT + ".blob.core.windows.net";
    /** The Blob REST limits a block upload must keep (Put Block, Put Block List). */
    private static final long MAX_BLOCK = 4000L * 1024 * 1024;
    private static final int MAX_BLOCKS = 50_000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String WS = "/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/"
            + "Microsoft\\.MachineLearningServices/workspaces/([^/]+)";
    private static final Pattern WORKSPACE = Pattern.compile(WS);
    private static final Pattern ASSET = Pattern.compile(WS + "/(codes|environments|models)/([^/]+)/versions/([^/]+)");
    private static final Pattern ENDPOINT = Pattern.compile(WS + "/onlineEndpoints/([^/]+)");
    private static final Pattern DEPLOYMENT = Pattern.compile(WS + "/onlineEndpoints/([^/]+)/deployments/([^/]+)");
    private static final Pattern KEYS = Pattern.compile(WS + "/onlineEndpoints/([^/]+)/listKeys");
    private static final Pattern PENDING = Pattern.compile(WS + "/codes/([^/]+)/versions/([^/]+)/startPendingUpload");
    private static final Pattern JOBS = Pattern.compile(WS + "/jobs");
    private static final Pattern DATASTORES = Pattern.compile(WS + "/datastores");
    private static final Pattern ENVIRONMENT_VERSIONS = Pattern.compile(WS + "/environments/([^/]+)/versions");
    private static final Pattern SECRETS = Pattern.compile(WS + "/datastores/([^/]+)/listSecrets");
    private static final Pattern JOB = Pattern.compile(WS + "/jobs/([^/]+)");
    private static final Pattern CANCEL = Pattern.compile(WS + "/jobs/([^/]+)/cancel");
    private static final Pattern DETAILS = Pattern.compile("/history/v1\\.0" + WS
            + "/experiments/([^/]+)/runs/([^/]+)/details");
    private static final Pattern METRICS = Pattern.compile("/history/v1\\.0" + WS
            + "/experiments/([^/]+)/metrics:query");
    private static final Pattern RUN_FILTER = Pattern.compile("RunId eq '([^']+)'");
    private static final List<String> WALK = List.of("NotStarted", "Queued", "Running", "Completed");

    private final HttpsServer server;
    private final SSLContext ssl;
    private final Path store;
    private final AmlRestSpec spec = AmlRestSpec.get();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final Map<String, ObjectNode> assets = new ConcurrentHashMap<>();
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> blobMetadata = new ConcurrentHashMap<>();
    /** Staged blocks by blob path, then block id (Put Block), until a Put Block List commits them. */
    private final Map<String, Map<String, byte[]>> staged = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong largestBlobRequest = new java.util.concurrent.atomic.AtomicLong();
    private final List<String> blobRequests = new CopyOnWriteArrayList<>();
    /** Online endpoints and deployments by ARM path; each is Creating or Updating until its next read. */
    private final Map<String, ObjectNode> endpoints = new ConcurrentHashMap<>();
    /** Each key-auth endpoint's primary key, by endpoint name; what its scoring URI takes as bearer. */
    private final Map<String, String> keys = new ConcurrentHashMap<>();
    /** The registries whose Azure AD token exchange succeeded, in order. */
    private final List<String> acrExchanges = new CopyOnWriteArrayList<>();

    /** A long-running operation's status resource, read through {@code Azure-AsyncOperation}. */
    private record Operation(String resource, Runnable onDone, java.util.concurrent.atomic.AtomicInteger reads,
            java.util.concurrent.atomic.AtomicBoolean done) {}

    private final Map<String, Operation> operations = new ConcurrentHashMap<>();
    private volatile boolean stateless;

    /** From now on, endpoint PUTs answer 201 with no operation header and no provisioningState. */
    void stateless(boolean on) {
        stateless = on;
    }

    /** Starts an operation on a resource; its status URL, which ends it (running {@code onDone}) when read twice. */
    private String operation(String resource, Runnable onDone) {
        String id = UUID.randomUUID().toString();
        operations.put(id, new Operation(resource, onDone, new java.util.concurrent.atomic.AtomicInteger(),
                new java.util.concurrent.atomic.AtomicBoolean()));
        return endpoint() + "/operations/async/" + id;
    }

    /** How many times the status resource of an operation on this ARM path was read. */
    int operationReads(String resource) {
        return operations.values().stream().filter(o -> o.resource().equals(resource))
                .mapToInt(o -> o.reads().get()).sum();
    }

    private static final class Job {
        final ObjectNode resource;
        volatile int step;
        volatile String forced;

        Job(ObjectNode resource) {
            this.resource = resource;
        }

        boolean fails() {
            return "fail".equals(resource.path("properties").path("tags").path("drydock-test-outcome").asText());
        }

        String status() {
            if (forced != null) {
                return forced;
            }
            String status = WALK.get(Math.min(step, WALK.size() - 1));
            return status.equals("Completed") && fails() ? "Failed" : status;
        }
    }

    private final List<String> stalled = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);

    /** The folder {@link #perTestClass} made for the certificate, removed with the server; null otherwise. */
    private Path ownScratch;

    /**
     * A server for a whole test class, registered as a JUnit extension ({@code @RegisterExtension static final}):
     * after each test it resets {@link #stateless} and asserts no request or answer was outside the spec; after the
     * class it stops and removes the folder it made for its certificate.
     */
    static AmlRestTestServer perTestClass() {
        try {
            Path scratch = Files.createTempDirectory("drydock-aml-server-");
            AmlRestTestServer server = new AmlRestTestServer(scratch);
            server.ownScratch = scratch;
            return server;
        } catch (Exception ex) {
            throw new IllegalStateException("The Azure ML test server did not start", ex);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        stateless(false);
        assertNoViolations();
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        close();
        if (ownScratch != null) {
            try (Stream<Path> files = Files.walk(ownScratch)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
    }

    AmlRestTestServer(Path scratch) throws Exception {
        store = scratch.resolve("test-server.p12");
        ssl = selfSigned(scratch);
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ssl));
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/", this::handle);
        server.start();
    }

    String endpoint() {
        return "https://127.0.0.1:" + server.getAddress().getPort();
    }

    /** An azure-core HttpClient on the JDK's, trusting this server's certificate. */
    HttpClient httpClient() {
        HttpClient inner = new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(ssl)).build();
        // As DNS would: the datastore's storage account host leads to this server, its blobs under /blob/.
        java.util.function.UnaryOperator<com.azure.core.http.HttpRequest> route = request -> {
            java.net.URL url = request.getUrl();
            if (url.getHost().equals(STORAGE_HOST)) {
                request.setUrl(endpoint() + "/blob" + url.getFile());
            }
            return request;
        };
        return new HttpClient() {
            @Override
            public Mono<com.azure.core.http.HttpResponse> send(com.azure.core.http.HttpRequest request) {
                return inner.send(route.apply(request));
            }

            @Override
            public Mono<com.azure.core.http.HttpResponse> send(com.azure.core.http.HttpRequest request,
                    com.azure.core.util.Context context) {
                return inner.send(route.apply(request), context);
            }

            @Override
            public com.azure.core.http.HttpResponse sendSync(com.azure.core.http.HttpRequest request,
                    com.azure.core.util.Context context) {
                return inner.sendSync(route.apply(request), context);
            }
        };
    }

    /** The blob path this server keeps a datastore or blob URI's content under ({@code /blob/<container>/...}). */
    String blobPath(String uri) {
        String datastore = "azureml://datastores/" + DATASTORE + "/paths/";
        if (uri.startsWith(datastore)) {
            return "/blob/" + CONTAINER + "/" + uri.substring(datastore.length());
        }
        String storage = "https://" + STORAGE_HOST;
        if (uri.startsWith(storage)) {
            return "/blob" + URLDecoder.decode(uri.substring(storage.length()), StandardCharsets.UTF_8);
        }
        return uri.startsWith(endpoint()) ? uri.substring(endpoint().length()) : "";
    }

    /** This server's certificate as PEM, what a REQUESTS_CA_BUNDLE file holds. */
    String certificatePem() throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keys.load(in, "drydock-test".toCharArray());
        }
        return "-----BEGIN CERTIFICATE-----\n" + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(keys.getCertificate("server").getEncoded()) + "\n-----END CERTIFICATE-----\n";
    }

    /** The largest body of any one request to blob storage, in bytes. */
    long largestBlobRequest() {
        return largestBlobRequest.get();
    }

    /** The blob requests, as method, path and comp (block, blocklist or none). */
    List<String> blobRequests() {
        return blobRequests;
    }

    /** The committed blob's SHA-256 as hex, null when there is none. */
    String blobSha256(String path) {
        byte[] bytes = blobs.get(path);
        if (bytes == null) {
            return null;
        }
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A credential that hands out the one token the server accepts. */
    static TokenCredential credential() {
        return request -> Mono.just(new AccessToken(TOKEN, OffsetDateTime.now().plusHours(1)));
    }

    List<String> violations() {
        return violations;
    }

    /** Fails when any request or answer since the last call was outside the spec, then starts afresh. */
    void assertNoViolations() {
        List<String> found = List.copyOf(violations);
        violations.clear();
        org.junit.jupiter.api.Assertions.assertEquals(List.of(), found,
                () -> "The test server found requests or answers outside the spec:\n" + String.join("\n", found));
    }

    List<String> requests() {
        return requests;
    }

    Map<String, byte[]> blobs() {
        return blobs;
    }

    /** The code or environment version with this ARM id, as the client created it; null when there is none. */
    JsonNode asset(String id) {
        Matcher m = ASSET.matcher(id);
        return m.matches() ? assets.get(m.group(3) + "/" + m.group(4) + "/" + m.group(5) + "/" + m.group(6)) : null;
    }

    /** The uploaded blobs below a folder URI, by path relative to it. */
    Map<String, String> filesUnder(String uri) {
        String prefix = blobPath(uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri) + "/";
        Map<String, String> files = new java.util.TreeMap<>();
        blobs.forEach((path, bytes) -> {
            if (path.startsWith(prefix)) {
                files.put(path.substring(prefix.length()), new String(bytes, StandardCharsets.UTF_8));
            }
        });
        return files;
    }

    /** The job's current resource, as the last read showed it. */
    JsonNode job(String name) {
        Job job = jobs.get(name);
        return job == null ? null : job.resource;
    }

    /** The online endpoint or deployment at this ARM path, as the last read showed it; null when there is none. */
    JsonNode online(String path) {
        return endpoints.get(path);
    }

    List<String> acrExchanges() {
        return acrExchanges;
    }

    /** The primary key of a key-auth endpoint; null when there is none. */
    String key(String endpoint) {
        return keys.get(endpoint);
    }

    /**
     * From now on, requests {@code method path} (the path as sent, decoded) are read and never answered, as by a
     * Resource Manager that hangs, until {@link #close}.
     */
    void stall(String method, String path) {
        stalled.add(method + " " + path);
    }

    @Override
    public void close() {
        released.countDown();
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    // --- one exchange ---------------------------------------------------------------------------------

    private record Answer(int status, Map<String, String> headers, String body) {
        static Answer json(int status, JsonNode body) {
            return new Answer(status, Map.of(), body == null ? "" : body.toString());
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getRawPath();
            String decoded = URLDecoder.decode(path, StandardCharsets.UTF_8);
            Map<String, List<String>> query = query(exchange.getRequestURI().getRawQuery());
            byte[] raw;
            try (InputStream in = exchange.getRequestBody()) {
                raw = in.readAllBytes();
            }
            String body = new String(raw, StandardCharsets.UTF_8);
            requests.add(method + " " + decoded);
            if (stalled.contains(method + " " + decoded)) {
                try {
                    released.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            Answer answer;
            boolean specified = decoded.startsWith("/subscriptions/") || decoded.startsWith("/history/")
                    || decoded.startsWith("/oauth2/");
            if (specified) {
                Map<String, List<String>> headers = new LinkedHashMap<>();
                String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
                if (contentType != null) {
                    headers.put("Content-Type", List.of(contentType));
                }
                List<String> messages = new ArrayList<>(spec.validateRequest(method, decoded, query, headers, body));
                // The spec's api-version parameter is a free string; the version is the spec folder's name.
                if (decoded.startsWith("/subscriptions/")
                        && !List.of(AmlRestSpec.API_VERSION).equals(query.get("api-version"))) {
                    messages.add("api-version is " + query.get("api-version") + ", not " + AmlRestSpec.API_VERSION);
                }
                if (!messages.isEmpty()) {
                    violations.add(method + " " + decoded + " does not follow the spec:" + AmlRestSpec.describe(messages)
                            + "\n  body: " + body);
                    answer = Answer.json(400, error("InvalidRequest", String.join("; ", messages)));
                } else if (!decoded.startsWith("/oauth2/")
                        && !("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                    answer = Answer.json(401, error("AuthenticationFailed", "No valid bearer token."));
                } else {
                    answer = route(method, decoded, body);
                    List<String> responseMessages = spec.validateResponse(method, decoded, answer.status(), answer.body());
                    if (!responseMessages.isEmpty()) {
                        violations.add("The test server's answer to " + method + " " + decoded + " (" + answer.status()
                                + ") does not follow the spec:" + AmlRestSpec.describe(responseMessages));
                    }
                }
            } else {
                answer = unspecified(exchange, method, decoded, query, raw);
            }
            byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
            answer.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            if (!answer.body().isEmpty()) {
                exchange.getResponseHeaders().add("Content-Type", "application/json");
            }
            exchange.sendResponseHeaders(answer.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                exchange.getResponseBody().write(bytes);
            }
        } catch (RuntimeException e) {
            violations.add("The test server failed: " + e);
            throw e;
        }
    }

    private Answer route(String method, String path, String body) {
        Matcher m;
        if ((m = PENDING.matcher(path)).matches() && method.equals("POST")) {
            String id = UUID.randomUUID().toString();
            ObjectNode answer = JSON.createObjectNode();
            ObjectNode reference = answer.putObject("blobReferenceForConsumption");
            reference.put("blobUri", endpoint() + "/blob/azureml-blobstore-test/LocalUpload/" + id);
            reference.put("storageAccountArmId", "/subscriptions/" + m.group(1) + "/resourceGroups/" + m.group(2)
                    + "/providers/Microsoft.Storage/storageAccounts/teststore");
            reference.putObject("credential").put("credentialType", "SAS")
                    .put("sasUri", endpoint() + "/blob/azureml-blobstore-test?sv=2021-08-06&sr=c&sp=racwl&sig=test-signature");
            answer.put("pendingUploadId", id);
            answer.put("pendingUploadType", "TemporaryBlobReference");
            return Answer.json(200, answer);
        }
        if ((m = ASSET.matcher(path)).matches()) {
            String kind = m.group(4);
            String key = m.group(3) + "/" + kind + "/" + m.group(5) + "/" + m.group(6);
            if (method.equals("GET")) {
                ObjectNode found = assets.get(key);
                return found == null ? Answer.json(404, error("UserError", "Not found: " + key)) : Answer.json(200, found);
            }
            if (method.equals("PUT")) {
                ObjectNode properties = (ObjectNode) read(body).path("properties").deepCopy();
                if (kind.equals("models")) {
                    String uri = properties.path("modelUri").asText("");
                    String blob = blobPath(uri);
                    if (blobs.keySet().stream().noneMatch(k -> k.equals(blob) || k.startsWith(blob + "/"))) {
                        return Answer.json(400, error("UserError", "modelUri " + uri + " holds no uploaded files."));
                    }
                }
                if (kind.equals("codes")) {
                    String uri = properties.path("codeUri").asText("");
                    String prefix = blobPath(uri).isEmpty() ? "" : blobPath(uri) + "/";
                    if (prefix.isEmpty() || blobs.keySet().stream().noneMatch(k -> k.startsWith(prefix))) {
                        return Answer.json(400, error("UserError", "codeUri " + uri + " holds no uploaded files."));
                    }
                }
                properties.put("provisioningState", "Succeeded");
                boolean created = !assets.containsKey(key);
                ObjectNode resource = resource(path, m.group(6), "Microsoft.MachineLearningServices/workspaces/"
                        + kind + "/versions", properties);
                assets.put(key, resource);
                return Answer.json(created ? 201 : 200, resource);
            }
        }
        if ((m = DEPLOYMENT.matcher(path)).matches() || (m = ENDPOINT.matcher(path)).matches()) {
            boolean deployment = m.pattern() == DEPLOYMENT;
            if (method.equals("PUT")) {
                ObjectNode resource = (ObjectNode) read(body).deepCopy();
                ObjectNode properties = (ObjectNode) resource.path("properties");
                if (deployment) {
                    if (!endpoints.containsKey(path.substring(0, path.indexOf("/deployments/")))) {
                        return Answer.json(404, error("UserError", "No endpoint for " + path));
                    }
                    for (String reference : List.of("model", "environmentId")) {
                        String id = properties.path(reference).asText(null);
                        if (id != null && asset(id) == null) {
                            return Answer.json(400, error("UserError", reference + " " + id + " does not exist."));
                        }
                    }
                    String codeId = properties.path("codeConfiguration").path("codeId").asText(null);
                    if (codeId != null && asset(codeId) == null) {
                        return Answer.json(400, error("UserError", "codeId " + codeId + " does not exist."));
                    }
                } else {
                    properties.put("scoringUri", endpoint() + "/score/" + m.group(4));
                    if (properties.path("authMode").asText().equals("Key")) {
                        keys.computeIfAbsent(m.group(4), name -> "key-" + UUID.randomUUID());
                    }
                }
                boolean created = !endpoints.containsKey(path);
                if (!created) {
                    // ARM keeps what the PUT does not change the meaning of: the kind an endpoint was made with.
                    JsonNode kind = endpoints.get(path).get("kind");
                    if (kind != null && resource.has("kind") && !kind.equals(resource.get("kind"))) {
                        return Answer.json(400, error("UserError", "kind cannot change on update"));
                    }
                }
                properties.put("provisioningState", created ? "Creating" : "Updating");
                resource.put("id", path);
                resource.put("name", deployment ? m.group(5) : m.group(4));
                resource.put("type", "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
                        + (deployment ? "/deployments" : ""));
                resource.putObject("systemData").put("createdAt", OffsetDateTime.now().toString()).put("createdBy", "test");
                endpoints.put(path, resource);
                if (stateless) {
                    // A resource that reports no state and no operation: the client may not take it as done.
                    ((ObjectNode) resource.get("properties")).remove("provisioningState");
                    return new Answer(201, Map.of(), resource.toString());
                }
                // As the service does: the operation's status resource in Azure-AsyncOperation; the resource stays
                // Creating/Updating until that operation has been read to its end.
                String operation = operation(path, () -> ((ObjectNode) resource.get("properties"))
                        .put("provisioningState", "Succeeded"));
                return new Answer(created ? 201 : 200, Map.of("Azure-AsyncOperation", operation), resource.toString());
            }
            if (method.equals("GET")) {
                ObjectNode found = endpoints.get(path);
                if (found == null) {
                    return Answer.json(404, error("UserError", "Not found: " + path));
                }
                return Answer.json(200, found);
            }
            if (method.equals("DELETE")) {
                if (!endpoints.containsKey(path)) {
                    return new Answer(204, Map.of(), "");
                }
                String operation = operation(path, () -> endpoints.keySet().removeIf(k -> k.equals(path)
                        || k.startsWith(path + "/")));
                // ARM answers a delete with both headers; the status resource is the one to poll.
                return new Answer(202, Map.of("Azure-AsyncOperation", operation, "Location", endpoint()
                        + "/operations/location/" + operation.substring(operation.lastIndexOf('/') + 1),
                        "Retry-After", "0"), "");
            }
        }
        if (path.equals("/oauth2/exchange") && method.equals("POST")) {
            // The token goes in the form, not a header: only the ARM token this server hands out is exchanged.
            Map<String, List<String>> form = query(body);
            if (!List.of("access_token").equals(form.get("grant_type"))
                    || !List.of(TOKEN).equals(form.get("access_token"))) {
                ObjectNode refused = JSON.createObjectNode();
                refused.putArray("errors").addObject().put("code", "UNAUTHORIZED").put("message", "invalid token");
                return Answer.json(401, refused);
            }
            String refresh = "acr-refresh-" + form.get("service").get(0) + "-" + UUID.randomUUID();
            acrExchanges.add(form.get("service").get(0));
            return Answer.json(200, JSON.createObjectNode().put("refresh_token", refresh));
        }
        if ((m = KEYS.matcher(path)).matches() && method.equals("POST")) {
            String key = keys.get(m.group(4));
            if (key == null) {
                return Answer.json(404, error("UserError", "No key-auth endpoint " + m.group(4)));
            }
            return Answer.json(200, JSON.createObjectNode().put("primaryKey", key)
                    .put("secondaryKey", new StringBuilder(key).reverse().toString()));
        }
        if ((m = CANCEL.matcher(path)).matches() && method.equals("POST")) {
            Job job = jobs.get(m.group(4));
            if (job == null) {
                return Answer.json(404, error("UserError", "No job " + m.group(4)));
            }
            job.forced = "CancelRequested";
            return new Answer(202, Map.of("Location", endpoint() + "/operations/cancel/" + m.group(4),
                    "Retry-After", "0"), "");
        }
        if ((m = ENVIRONMENT_VERSIONS.matcher(path)).matches() && method.equals("GET")) {
            // Newest first, as $orderBy=createdtime desc asks; $top is the client's to keep.
            String prefix = m.group(3) + "/environments/" + m.group(4) + "/";
            ObjectNode list = JSON.createObjectNode();
            ArrayNode value = list.putArray("value");
            assets.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                    .map(Map.Entry::getValue)
                    .sorted(java.util.Comparator.comparing((ObjectNode a) -> a.at("/systemData/createdAt").asText())
                            .reversed())
                    .forEach(value::add);
            return Answer.json(200, list);
        }
        if ((m = DATASTORES.matcher(path)).matches() && method.equals("GET")) {
            ObjectNode list = JSON.createObjectNode();
            ObjectNode properties = JSON.createObjectNode();
            properties.put("datastoreType", "AzureBlob").put("accountName", ACCOUNT).put("containerName", CONTAINER)
                    .put("endpoint", "core.windows.net").put("protocol", "https").put("isDefault", true)
                    .putObject("credentials").put("credentialsType", "AccountKey")
                    // The service lists the credential's kind, never the key (that is listSecrets').
                    .putObject("secrets").put("secretsType", "AccountKey");
            list.putArray("value").add(resource(path + "/" + DATASTORE, DATASTORE,
                    "Microsoft.MachineLearningServices/workspaces/datastores", properties));
            return Answer.json(200, list);
        }
        if ((m = SECRETS.matcher(path)).matches() && method.equals("POST")) {
            return Answer.json(200, JSON.createObjectNode().put("secretsType", "AccountKey").put("key",
                    java.util.Base64.getEncoder().encodeToString("drydock-test-storage-key".getBytes(StandardCharsets.UTF_8))));
        }
        if ((m = JOBS.matcher(path)).matches() && method.equals("GET")) {
            ObjectNode list = JSON.createObjectNode();
            ArrayNode value = list.putArray("value");
            jobs.values().forEach(job -> value.add(job.resource));
            return Answer.json(200, list);
        }
        if ((m = JOB.matcher(path)).matches()) {
            String name = m.group(4);
            if (method.equals("PUT")) {
                return createJob(path, name, m.group(3), read(body));
            }
            if (method.equals("GET")) {
                Job job = jobs.get(name);
                if (job == null) {
                    return Answer.json(404, error("UserError", "No job " + name));
                }
                if (job.forced == null) {
                    job.step++;
                } else if (job.forced.equals("CancelRequested")) {
                    job.forced = "Canceled";
                }
                ((ObjectNode) job.resource.get("properties")).put("status", job.status());
                return Answer.json(200, job.resource);
            }
        }
        if ((m = WORKSPACE.matcher(path)).matches() && method.equals("GET")) {
            ObjectNode workspace = (ObjectNode) spec.example("Workspace/get.json").at("/responses/200/body").deepCopy();
            workspace.put("id", path);
            workspace.put("name", m.group(3));
            ((ObjectNode) workspace.get("properties")).put("discoveryUrl", endpoint() + "/discovery");
            return Answer.json(200, workspace);
        }
        if ((m = DETAILS.matcher(path)).matches() && method.equals("GET")) {
            return details(m.group(5));
        }
        if ((m = METRICS.matcher(path)).matches() && method.equals("POST")) {
            Matcher run = RUN_FILTER.matcher(read(body).path("filter").asText(""));
            if (!run.matches()) {
                return Answer.json(400, error("UserError", "The test server answers metrics for one run: filter"
                        + " RunId eq 'NAME'."));
            }
            return metrics(run.group(1));
        }
        return Answer.json(404, error("NotFound", "The test server has no " + method + " " + path));
    }

    private Answer createJob(String path, String name, String workspace, JsonNode body) {
        ObjectNode properties = (ObjectNode) body.path("properties").deepCopy();
        for (String reference : List.of("codeId", "environmentId")) {
            String id = properties.path(reference).asText(null);
            if (id == null) {
                continue;
            }
            Matcher asset = ASSET.matcher(id);
            if (!asset.matches() || !assets.containsKey(workspace + "/" + asset.group(4) + "/" + asset.group(5) + "/"
                    + asset.group(6))) {
                return Answer.json(400, error("UserError", reference + " " + id + " does not exist in the workspace."));
            }
        }
        properties.put("status", "NotStarted");
        // The service adds its Studio entry beside the services the job asked for.
        (properties.path("services").isObject() ? (ObjectNode) properties.get("services")
                : properties.putObject("services")).putObject("Studio").put("jobServiceType", "Studio")
                .put("endpoint", "https://ml.azure.com/runs/" + name);
        if (!properties.has("experimentName")) {
            properties.put("experimentName", "Default");
        }
        boolean created = !jobs.containsKey(name);
        Job job = new Job(resource(path, name, "Microsoft.MachineLearningServices/workspaces/jobs", properties));
        jobs.put(name, job);
        return Answer.json(created ? 201 : 200, job.resource);
    }

    /** The signature of the SAS a job's log URL carries, as the run history hands it out (URL-encoded). */
    static String logSignature(String job) {
        return "log-sig%2B" + job;
    }

    private Answer details(String name) {
        Job job = jobs.get(name);
        if (job == null) {
            return Answer.json(404, JSON.createObjectNode());
        }
        ObjectNode details = JSON.createObjectNode();
        details.put("runId", name);
        details.put("status", job.status());
        details.putObject("logFiles").put("user_logs/std_log.txt",
                endpoint() + "/blob/azureml/ExperimentRun/dcid." + name + "/user_logs/std_log.txt?sv=2021-08-06&sig=" + logSignature(name));
        StringBuilder log = new StringBuilder();
        int lines = Math.max(0, Math.min(job.step, WALK.size()) - 1);
        for (int i = 1; i <= lines; i++) {
            log.append("epoch ").append(i).append(" loss ").append(1.0 / i).append('\n');
        }
        if (job.status().equals("Failed")) {
            log.append("Traceback (most recent call last):\nValueError: the data is empty\n");
            details.putObject("error").putObject("error").put("code", "UserError")
                    .put("message", "Execution failed. User process 'python' exited with status code 1.");
        }
        blobs.put("/blob/azureml/ExperimentRun/dcid." + name + "/user_logs/std_log.txt",
                log.toString().getBytes(StandardCharsets.UTF_8));
        return Answer.json(200, details);
    }

    /**
     * A completed job's metrics as the run history lists them with the default merge: accuracy logged three
     * times (one RunMetric per value) and loss as one RunMetric holding three cells. None before it completes.
     */
    private Answer metrics(String name) {
        Job job = jobs.get(name);
        ObjectNode list = JSON.createObjectNode();
        ArrayNode value = list.putArray("value");
        if (job != null && job.status().equals("Completed")) {
            for (double accuracy : new double[] {0.81, 0.88, 0.93}) {
                value.add(runMetric(name, "accuracy", accuracy));
            }
            ObjectNode loss = runMetric(name, "loss", 0.5);
            ((ArrayNode) loss.get("cells")).add(JSON.createObjectNode().put("loss", 0.3))
                    .add(JSON.createObjectNode().put("loss", 0.2));
            loss.put("numCells", 3);
            value.add(loss);
        }
        return Answer.json(200, list);
    }

    private static double sum(JsonNode numbers) {
        double total = 0;
        for (JsonNode number : numbers) {
            total += number.asDouble();
        }
        return total;
    }

    private static ObjectNode runMetric(String run, String name, double value) {
        ObjectNode metric = JSON.createObjectNode();
        metric.put("runId", run);
        metric.put("metricId", UUID.randomUUID().toString());
        metric.put("dataContainerId", "dcid." + run);
        metric.put("metricType", "azureml.v1.scalar");
        metric.put("createdUtc", OffsetDateTime.now().toString());
        metric.put("name", name);
        metric.put("numCells", 1);
        metric.putArray("cells").addObject().put(name, value);
        ObjectNode schema = metric.putObject("schema");
        schema.put("numProperties", 1);
        schema.putArray("properties").addObject().put("propertyId", name).put("name", name).put("type", "float");
        return metric;
    }

    private Answer unspecified(HttpExchange exchange, String method, String path, Map<String, List<String>> query,
            byte[] body) {
        if (path.equals("/discovery") && method.equals("GET")) {
            return Answer.json(200, JSON.createObjectNode().put("api", endpoint()).put("catalog", endpoint()));
        }
        if (path.startsWith("/score/") && method.equals("POST")) {
            if (path.startsWith("/score/failing-")) {
                // A scoring script that raised: the server's error body, which the client must show whole.
                ObjectNode failed = error("ScoringError", "run() raised ValueError: the input has no data");
                ((ObjectNode) failed.get("error")).putArray("details").addObject().put("code", "Traceback")
                        .put("message", "File score.py, line 7, in run").put("target", "score.py");
                return Answer.json(500, failed);
            }
            // The scoring URI of an online endpoint: the request must carry the endpoint's key as bearer.
            String key = keys.get(path.substring("/score/".length()));
            if (key == null || !("Bearer " + key).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                return Answer.json(401, JSON.createObjectNode().put("error", "No valid key."));
            }
            JsonNode request = read(new String(body, StandardCharsets.UTF_8));
            ObjectNode answer = JSON.createObjectNode();
            answer.put("endpoint", path.substring("/score/".length()));
            answer.set("sum", JSON.getNodeFactory().numberNode(sum(request.path("data"))));
            return Answer.json(200, answer);
        }
        if (path.startsWith("/operations/async/") && method.equals("GET")) {
            Operation operation = operations.get(path.substring("/operations/async/".length()));
            if (operation == null) {
                return Answer.json(404, error("NotFound", "No operation " + path));
            }
            // InProgress on the first read, Succeeded on the next, as ARM's operation status resource reads.
            String status = operation.reads.getAndIncrement() == 0 ? "InProgress" : "Succeeded";
            if (status.equals("Succeeded") && operation.done.compareAndSet(false, true)) {
                operation.onDone.run();
            }
            return Answer.json(200, JSON.createObjectNode().put("id", path).put("name", path.substring(
                    path.lastIndexOf('/') + 1)).put("status", status));
        }
        if (path.startsWith("/operations/location/")) {
            violations.add("The client polled Location " + path + " where Azure-AsyncOperation was given.");
            return new Answer(404, Map.of(), "");
        }
        if (path.startsWith("/operations/cancel/") && method.equals("GET")) {
            return new Answer(200, Map.of(), "");
        }
        if (path.startsWith("/blob/" + CONTAINER + "/LocalUpload/")) {
            return datastoreBlob(exchange, method, path, query, body);
        }
        if (path.startsWith("/blob/")) {
            if (!query.containsKey("sig")) {
                return new Answer(403, Map.of(), "");
            }
            if (method.equals("PUT")) {
                if (!"BlockBlob".equals(exchange.getRequestHeaders().getFirst("x-ms-blob-type"))
                        || exchange.getRequestHeaders().getFirst("x-ms-version") == null) {
                    violations.add("PUT " + path + " lacks x-ms-blob-type: BlockBlob or x-ms-version");
                    return new Answer(400, Map.of(), "");
                }
                blobs.put(path, body);
                return new Answer(201, Map.of(), "");
            }
            if (method.equals("GET")) {
                byte[] found = blobs.get(path);
                return found == null ? new Answer(404, Map.of(), "") : new Answer(200, Map.of(),
                        new String(found, StandardCharsets.UTF_8));
            }
        }
        violations.add("The client called " + method + " " + path + ", which no Azure service here answers.");
        return new Answer(404, Map.of(), "");
    }

    /**
     * The default datastore's container, checked by the Blob REST rules (the blob side is not in the ARM specs):
     * a Shared Key or SAS authorization and {@code x-ms-version} on every request; Put Blob with
     * {@code x-ms-blob-type: BlockBlob}; Put Block with a base64 block id of one length per blob and at most
     * 4000 MiB; Put Block List naming only staged blocks, at most 50,000; metadata from {@code x-ms-meta-*}.
     */
    private Answer datastoreBlob(HttpExchange exchange, String method, String path, Map<String, List<String>> query,
            byte[] body) {
        var headers = exchange.getRequestHeaders();
        String comp = query.containsKey("comp") ? query.get("comp").get(0) : "";
        blobRequests.add(method + " " + path + (comp.isEmpty() ? "" : " comp=" + comp));
        largestBlobRequest.accumulateAndGet(body.length, Math::max);
        String authorization = headers.getFirst("Authorization");
        if (!query.containsKey("sig") && (authorization == null || !authorization.startsWith("SharedKey " + ACCOUNT + ":"))) {
            violations.add(method + " " + path + " carries neither a SAS nor a Shared Key authorization");
            return new Answer(403, Map.of("x-ms-error-code", "AuthenticationFailed"), "");
        }
        if (headers.getFirst("x-ms-version") == null) {
            violations.add(method + " " + path + " lacks x-ms-version");
            return new Answer(400, Map.of("x-ms-error-code", "MissingRequiredHeader"), "");
        }
        Map<String, String> ok = Map.of("ETag", "\"0x" + Long.toHexString(System.nanoTime()) + "\"",
                "Last-Modified", java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
                        java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC)), "x-ms-version", "2021-08-06");
        if (method.equals("HEAD")) {
            byte[] found = blobs.get(path);
            if (found == null) {
                return new Answer(404, Map.of("x-ms-error-code", "BlobNotFound"), "");
            }
            Map<String, String> answer = new LinkedHashMap<>(ok);
            answer.put("x-ms-blob-type", "BlockBlob");
            blobMetadata.getOrDefault(path, Map.of()).forEach((k, v) -> answer.put("x-ms-meta-" + k, v));
            return new Answer(200, answer, "");
        }
        if (!method.equals("PUT")) {
            violations.add("The client called " + method + " " + path + " on the datastore.");
            return new Answer(405, Map.of(), "");
        }
        switch (comp) {
            case "" -> {
                if (!"BlockBlob".equals(headers.getFirst("x-ms-blob-type"))) {
                    violations.add("Put Blob " + path + " lacks x-ms-blob-type: BlockBlob");
                    return new Answer(400, Map.of("x-ms-error-code", "MissingRequiredHeader"), "");
                }
                blobs.put(path, body);
                blobMetadata.put(path, metadata(headers));
                return new Answer(201, ok, "");
            }
            case "block" -> {
                String id = query.containsKey("blockid") ? query.get("blockid").get(0) : "";
                Map<String, byte[]> blocks = staged.computeIfAbsent(path, p -> new ConcurrentHashMap<>());
                boolean base64 = !id.isEmpty() && id.matches("[A-Za-z0-9+/]+={0,2}") && id.length() % 4 == 0;
                if (!base64 || body.length > MAX_BLOCK
                        || blocks.keySet().stream().anyMatch(other -> other.length() != id.length())) {
                    violations.add("Put Block " + path + " with block id " + id + " (" + body.length + " bytes) breaks"
                            + " the Blob REST rules");
                    return new Answer(400, Map.of("x-ms-error-code", "InvalidQueryParameterValue"), "");
                }
                blocks.put(id, body);
                return new Answer(201, ok, "");
            }
            case "blocklist" -> {
                Matcher ids = Pattern.compile("<(?:Latest|Uncommitted)>([^<]+)</").matcher(new String(body,
                        StandardCharsets.UTF_8));
                Map<String, byte[]> blocks = staged.getOrDefault(path, Map.of());
                java.io.ByteArrayOutputStream content = new java.io.ByteArrayOutputStream();
                int count = 0;
                while (ids.find()) {
                    byte[] block = blocks.get(ids.group(1));
                    if (block == null || ++count > MAX_BLOCKS) {
                        violations.add("Put Block List " + path + " names " + ids.group(1) + ", which was not staged");
                        return new Answer(400, Map.of("x-ms-error-code", "InvalidBlockList"), "");
                    }
                    content.writeBytes(block);
                }
                staged.remove(path);
                blobs.put(path, content.toByteArray());
                blobMetadata.put(path, metadata(headers));
                return new Answer(201, ok, "");
            }
            default -> {
                violations.add("The client sent comp=" + comp + " to " + path + ", which an upload does not need.");
                return new Answer(400, Map.of(), "");
            }
        }
    }

    private static Map<String, String> metadata(com.sun.net.httpserver.Headers headers) {
        Map<String, String> metadata = new LinkedHashMap<>();
        headers.forEach((name, values) -> {
            if (name.toLowerCase(java.util.Locale.ROOT).startsWith("x-ms-meta-")) {
                metadata.put(name.substring("x-ms-meta-".length()).toLowerCase(java.util.Locale.ROOT), values.get(0));
            }
        });
        return metadata;
    }

    // --- helpers --------------------------------------------------------------------------------------

    private static ObjectNode resource(String id, String name, String type, ObjectNode properties) {
        ObjectNode resource = JSON.createObjectNode();
        resource.put("id", id);
        resource.put("name", name);
        resource.put("type", type);
        resource.set("properties", properties);
        resource.putObject("systemData").put("createdAt", OffsetDateTime.now().toString()).put("createdBy", "test");
        return resource;
    }

    private static ObjectNode error(String code, String message) {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("code", code).put("message", message);
        return body;
    }

    private static JsonNode read(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    private static Map<String, List<String>> query(String raw) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        for (String pair : raw.split("&")) {
            String[] kv = pair.split("=", 2);
            query.computeIfAbsent(URLDecoder.decode(kv[0], StandardCharsets.UTF_8), k -> new ArrayList<>())
                    .add(kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
        }
        return query;
    }

    /** A key pair and certificate for 127.0.0.1 made with the JDK's keytool, as key and trust store. */
    private static SSLContext selfSigned(Path scratch) throws Exception {
        Path store = scratch.resolve("test-server.p12");
        char[] password = "drydock-test".toCharArray();
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", new String(password), "-keypass", new String(password))
                .redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (keytool.waitFor() != 0) {
            throw new IllegalStateException("keytool failed: " + output);
        }
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keys.load(in, password);
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, password);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(keys);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers.getKeyManagers(), trust.getTrustManagers(), null);
        return context;
    }
}

package dev.drydock.magics.aml;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpMethod;
import com.fasterxml.jackson.databind.JsonNode;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@link AmlRemote} over the Microsoft.MachineLearningServices REST API, api-version {@value AmlHttp#API_VERSION}:
 * the workspace this session uses, and one class per concern behind it — {@link AmlHttp} (the azure-core
 * pipeline, errors; {@link AmlCloud} says which cloud and whom to trust), {@link AmlOperations} (long-running
 * operations), {@link AmlUploads} (files to the default datastore, code assets), {@link AmlAssets}
 * (environments and models), {@link AmlJobs}, {@link AmlRunHistory} (logs and metrics) and
 * {@link AmlEndpoints} (with {@link OnlineRest} for the YAML's other keys).
 */
public final class AmlRestClient implements AmlRemote {

    /** The api-version of every Azure Resource Manager call. */
    static final String API_VERSION = AmlHttp.API_VERSION;

    private final Session session;
    private final AmlHttp http;
    private final AmlJobs jobs;
    private final AmlRunHistory runHistory;
    private final AmlEndpoints endpoints;
    private volatile Workspace chosen;

    /** The kernel's client: DefaultAzureCredential, the JDK's HttpClient, the endpoint from the variables. */
    public AmlRestClient(Session session) {
        this(session, Optional.empty(), null, () -> AmlCloud.httpClient(session), Duration.ofSeconds(3));
    }

    /**
     * A client with its endpoint, credential and transport given, as the tests make it.
     *
     * @param endpoint Azure Resource Manager's base URL; empty for {@value AmlHttp#ENDPOINT_VARIABLE}, else the
     *     public cloud
     * @param credentials the credential; null for DefaultAzureCredential with the cloud's authority and the
     *     session's transport
     * @param pollInterval how long polls wait where the service names no Retry-After
     */
    AmlRestClient(Session session, Optional<String> endpoint, Supplier<TokenCredential> credentials,
            Supplier<HttpClient> transport, Duration pollInterval) {
        this.session = session;
        this.http = new AmlHttp(session, endpoint, credentials != null ? credentials
                : () -> AmlCredentials.forSession(session, http().authority(), http().transport()), transport,
                pollInterval);
        AmlUploads uploads = new AmlUploads(http);
        AmlAssets assets = new AmlAssets(http, uploads);
        AmlOperations operations = new AmlOperations(http);
        this.runHistory = new AmlRunHistory(http);
        this.jobs = new AmlJobs(http, uploads, assets, runHistory, operations);
        this.endpoints = new AmlEndpoints(http, uploads, assets, operations);
    }

    private AmlHttp http() {
        return http;
    }

    @Override
    public void attach(Notebook notebook) {
        http.attach(notebook);
    }

    // --- workspace ------------------------------------------------------------------------------------

    @Override
    public Optional<Workspace> workspace() throws MagicException {
        Workspace explicit = chosen;
        return explicit != null ? Optional.of(explicit) : WorkspaceResolver.resolve(session);
    }

    @Override
    public boolean connected() {
        try {
            return workspace().isPresent();
        } catch (MagicException e) {
            return false;
        }
    }

    @Override
    public Workspace requireWorkspace() throws MagicException {
        return workspace().orElseThrow(() -> MagicException.usage("No Azure ML workspace is configured. "
                + WorkspaceResolver.HOW_TO));
    }

    @Override
    public Workspace use(String subscription, String resourceGroup, String name) {
        chosen = new Workspace(subscription, resourceGroup, name, Optional.empty(), "%aml workspace");
        return chosen;
    }

    @Override
    public Workspace check() throws MagicException {
        Workspace workspace = requireWorkspace();
        JsonNode found = http.call(HttpMethod.GET, http.armUrl(workspace.armId(), Map.of()), null).body();
        return new Workspace(workspace.subscription(), workspace.resourceGroup(), workspace.name(),
                Optional.ofNullable(found.path("location").asText(null)), workspace.source());
    }

    @Override
    public void cloud(String name) throws MagicException {
        http.use(AmlCloud.named(name));
    }

    @Override
    public String resourceManager() {
        return http.baseUrl();
    }

    // --- the concerns ---------------------------------------------------------------------------------

    @Override
    public AmlRemoteJob submit(AmlRemoteRequest request, Notebook notebook) throws MagicException {
        return jobs.submit(requireWorkspace(), request, notebook);
    }

    @Override
    public AmlRemoteJob status(String name) throws MagicException {
        return jobs.status(requireWorkspace(), name);
    }

    @Override
    public List<Metrics.Metric> metrics(AmlRemoteJob job) throws MagicException {
        return runHistory.metrics(requireWorkspace(), job);
    }

    @Override
    public List<AmlRemoteJob> list() throws MagicException {
        return jobs.list(requireWorkspace());
    }

    @Override
    public AmlRemoteJob cancel(String name, Notebook notebook) throws MagicException {
        return jobs.cancel(requireWorkspace(), name, notebook);
    }

    @Override
    public AmlRemoteJob stream(String name, Notebook notebook) throws MagicException {
        Workspace workspace = requireWorkspace();
        return runHistory.stream(workspace, name, notebook, () -> jobs.status(workspace, name));
    }

    @Override
    public AmlRemoteDeployment.Result deploy(AmlRemoteDeployment request, Notebook notebook) throws MagicException {
        return endpoints.deploy(requireWorkspace(), request, notebook);
    }

    @Override
    public void delete(String endpoint, Optional<String> deployment, Notebook notebook) throws MagicException {
        endpoints.delete(requireWorkspace(), endpoint, deployment, notebook);
    }

    @Override
    public Scored invoke(String endpoint, byte[] request) throws MagicException {
        return endpoints.invoke(requireWorkspace(), endpoint, request);
    }
}

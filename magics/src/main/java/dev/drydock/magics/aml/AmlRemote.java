package dev.drydock.magics.aml;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import java.util.List;
import java.util.Optional;

/**
 * The Azure ML workspace side of {@code %aml}: where the workspace is and the jobs in it, over the
 * Microsoft.MachineLearningServices REST API (api-version 2024-04-01) through azure-core's pipeline.
 *
 * <p>The kernel has one instance (a service of {@code Magics}, handed to {@code AmlMagic} by type); it
 * holds the workspace chosen with {@code %aml workspace}. Nothing touches Azure until a method that needs
 * the workspace is called, so a kernel without Azure configuration starts and runs {@code %aml} locally.
 *
 * <p>Every method that talks to Azure throws {@link MagicException} with one paragraph to show: no
 * workspace (how to configure one), no credential (names {@code az login} and the service-principal
 * variables), or the service's own error code and message.
 */
public interface AmlRemote {

    /**
     * The cell the next requests serve (null after it): a request Azure is slow to answer shows a waiting line
     * there, and the cell's interrupt ends the wait.
     */
    default void attach(Notebook notebook) {}


    /**
     * The workspace jobs go to: the one set by {@link #use}, else Azure ML's {@code config.json} found
     * upward from the notebook's folder (also in {@code .azureml/}), else the variables
     * {@code AZURE_SUBSCRIPTION_ID}, {@code AZURE_RESOURCE_GROUP}, {@code AZUREML_WORKSPACE_NAME} of the
     * session ({@code %dotenv}) or process. Empty when none is configured: {@code %aml} then runs locally.
     *
     * @throws MagicException a config.json that exists but cannot be read or lacks a key
     */
    Optional<Workspace> workspace() throws MagicException;

    /** Whether {@link #workspace()} finds one; a broken config.json counts as none. Does not call Azure. */
    boolean connected();

    /**
     * The workspace, or a usage error saying exactly how to configure one ({@code %aml workspace --subscription
     * S --resource-group G --name W}, a config.json, or the three variables).
     */
    Workspace requireWorkspace() throws MagicException;

    /**
     * {@code %aml workspace --subscription S --resource-group G --name W}: makes this the workspace for the
     * rest of the session, before config.json and the variables. Does not call Azure.
     */
    Workspace use(String subscription, String resourceGroup, String name);

    /**
     * Reads the workspace from Azure ({@code GET workspaces/{name}}): proves the credential and the
     * address work, and gives the region. What {@code %aml workspace} shows.
     */
    Workspace check() throws MagicException;

    /**
     * Submits a command job: uploads the code snapshot as a code asset version, creates or reuses the
     * environment version, and creates the job ({@code PUT jobs/{name}}). Progress goes to {@code notebook}.
     *
     * @return the job as the service answered the create
     */
    AmlRemoteJob submit(AmlRemoteRequest request, Notebook notebook) throws MagicException;

    /** The job's current state ({@code GET jobs/{name}}). */
    AmlRemoteJob status(String name) throws MagicException;

    /**
     * The job's metrics from the workspace's run history ({@code RunMetrics_GetByQuery}, filtered to the job's
     * run): one row per metric name, its last value and how many were logged. Empty when none were logged.
     */
    List<Metrics.Metric> metrics(AmlRemoteJob job) throws MagicException;

    /** The workspace's jobs, newest first, as many as the service lists in its first pages. */
    List<AmlRemoteJob> list() throws MagicException;

    /**
     * Asks the service to cancel the job ({@code POST jobs/{name}/cancel}, a long-running operation) and
     * waits until it is accepted.
     *
     * @return the job's state after the cancel
     */
    AmlRemoteJob cancel(String name, Notebook notebook) throws MagicException;

    /**
     * Follows the job until it reaches a terminal state, showing its status live in one display and its
     * log lines as they grow, as {@code az ml job stream} does. An interrupt stops following, not the job.
     *
     * @return the job's last state
     */
    AmlRemoteJob stream(String name, Notebook notebook) throws MagicException;

    /**
     * Creates or updates an online endpoint ({@code PUT onlineEndpoints/{name}}) and a deployment in it
     * ({@code PUT onlineEndpoints/{name}/deployments/{deployment}}): uploads the code as a code asset, registers a
     * local model, creates or reuses the environment, waits until both are provisioned, and sends all traffic to
     * the deployment when the endpoint had none, as {@code az ml online-deployment create --all-traffic} does.
     */
    AmlRemoteDeployment.Result deploy(AmlRemoteDeployment request, Notebook notebook) throws MagicException;

    /**
     * Deletes an online endpoint of the workspace with its deployments, or one {@code deployment} of it
     * ({@code DELETE onlineEndpoints/{name}[/deployments/{deployment}]}), following the long-running operation
     * to its end with its progress in one display.
     */
    void delete(String endpoint, Optional<String> deployment, Notebook notebook) throws MagicException;

    /** Talks to the named cloud ({@code AzureCloud}, {@code AzureUSGovernment}, {@code AzureChinaCloud}) from now on. */
    void cloud(String name) throws MagicException;

    /** Azure Resource Manager's base URL this session talks to (the cloud's, or the endpoint variable's). */
    String resourceManager();

    /** What an endpoint's scoring URI answered: the HTTP status and the body as text. */
    record Scored(int status, String body) {}

    /**
     * Sends a scoring request to an online endpoint of the workspace, as {@code az ml online-endpoint invoke}
     * does: the scoring URI from {@code GET onlineEndpoints/{name}}, the credential from {@code listKeys} (key
     * auth) or {@code token} (AML token auth), added to the session's masker before it is used, then a POST of
     * {@code request} with {@code Authorization: Bearer} it.
     */
    Scored invoke(String endpoint, byte[] request) throws MagicException;
}

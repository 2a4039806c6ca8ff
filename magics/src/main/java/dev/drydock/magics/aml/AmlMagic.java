package dev.drydock.magics.aml;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.MagicCommand;
import dev.drydock.magics.container.HostUser;
import dev.drydock.magics.render.Table;
import dev.drydock.magics.engine.Docker;
import dev.drydock.magics.env.ImageBuilder;
import dev.drydock.magics.files.OutboundFiles;
import dev.drydock.magics.registry.RegistryCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code %aml}: Azure ML command jobs from the notebook. Without a workspace (or with {@code compute: local})
 * a job runs in the local Docker engine, from a snapshot in {@code runs/<job>/}, with no Azure at all; with
 * one, the same snapshot goes to the workspace. A name with {@code runs/<name>/job.json} is a local job, any
 * other a workspace's.
 */
@Command(name = "aml",
        description = {
            "Azure ML command jobs from CLI v2 YAML; local runs in Docker when no workspace is connected.",
            "",
            "Examples:",
            "  %%aml submit src/azure-ml-job.yaml --stream",
            "  %%aml submit job.yaml --set inputs.lr=0.01 --set compute=local --name try_1",
            "  %%aml status try_1",
            "  %%aml ls",
            "  %%aml stream try_1",
            "  %%aml cancel try_1",
            "  %%aml workspace --subscription 0000-... --resource-group rg --name ws",
            "  %%aml workspace --check",
            "  %%aml deploy endpoint.yml blue-deployment.yml --local",
            "  %%aml invoke my-endpoint --request-file sample-request.json",
            "  %%aml endpoint delete my-endpoint"
        },
        subcommands = {AmlMagic.Submit.class, AmlMagic.Status.class, AmlMagic.Ls.class, AmlMagic.Stream.class,
            AmlMagic.Cancel.class, AmlMagic.WorkspaceCommand.class, AmlMagic.Deploy.class, AmlMagic.Invoke.class,
            AmlMagic.EndpointCommand.class})
public final class AmlMagic extends MagicCommand {

    private final Session session;
    private final Notebook notebook;
    private final Docker docker;
    private final ImageBuilder builder;
    private final RegistryCredentials credentials;
    private final HostUser user;
    private final AmlRemote remote;

    /** The family's collaborators, handed to it once per magic line; its verbs reach them as its children. */
    public AmlMagic(Session session, Notebook notebook, Docker docker, ImageBuilder builder,
            RegistryCredentials credentials, HostUser user, AmlRemote remote) {
        this.session = session;
        this.notebook = notebook;
        this.docker = docker;
        this.builder = builder;
        this.credentials = credentials;
        this.user = user;
        this.remote = remote;
    }

    @Override
    protected void run() throws MagicException {
        throw MagicException.usage("Specify a subcommand: submit, status, ls, stream, cancel, workspace, deploy, invoke"
                + " or endpoint. %aml --help says more.");
    }

    /**
     * Where a job or deployment runs: locally only when asked ({@code compute: local}, {@code --local}) or when
     * it names no compute and no workspace is connected; a compute target without a workspace is an error,
     * never a silent local run.
     *
     * @param compute the compute the YAML names, null for none
     */
    static boolean runsLocally(String compute, boolean connected, String what) throws MagicException {
        if (compute == null) {
            return !connected;
        }
        if (compute.equals("local")) {
            return true;
        }
        if (!connected) {
            throw MagicException.usage("No Azure ML workspace is connected, so " + what + " cannot run on " + compute
                    + ". Connect one with %aml workspace --subscription ID --resource-group GROUP --name WORKSPACE (or"
                    + " config.json), or run it in the local Docker engine with --local (compute: local).");
        }
        return false;
    }

    LocalServices local() {
        return new LocalServices(session, notebook, docker, builder, credentials, user);
    }

    LocalEndpoints localEndpoints() {
        return new LocalEndpoints(local());
    }

    /**
     * What the verbs share, taken from the family command picocli hands them ({@code @ParentCommand}): the
     * local job service over the kernel's engine, and the workspace client.
     */
    abstract static class AmlCommand extends MagicCommand {
        @ParentCommand
        Object parent;
        Session session;
        Notebook notebook;
        LocalJobs jobs;
        AmlRemote remote;
        RemoteJobs remoteJobs;
        AmlMagic family;

        @Override
        protected final void run() throws MagicException {
            family = parent instanceof EndpointCommand endpoint ? endpoint.family : (AmlMagic) parent;
            session = family.session;
            notebook = family.notebook;
            remote = family.remote;
            jobs = new LocalJobs(family.local());
            remoteJobs = new RemoteJobs(session, notebook, remote);
            remote.attach(notebook);
            try {
                execute();
            } finally {
                remote.attach(null);
            }
        }

        abstract void execute() throws MagicException;

        /** A job is local when its run folder has a job.json; a remote submission's run folder has none. */
        boolean local(String name) {
            return Files.isRegularFile(RunFolder.of(session, name).root().resolve(JobRecord.FILE))
                    || !remote.connected();
        }
    }

    @Command(name = "submit", description = {
        "Submit an Azure ML CLI v2 command job (type: command). Every submission first packages",
        "runs/NAME/: snapshot/code (the code folder, honouring .amlignore, else .gitignore; never .env),",
        "snapshot/job.yaml (the job as submitted) and snapshot/environment (what defines the environment).",
        "",
        "With a workspace connected (%%aml workspace) and compute other than local, the snapshot's code is",
        "uploaded as a code asset, the environment created or reused, and the job created there.",
        "",
        "With compute: local, or when no workspace is connected, the job runs in the local Docker engine:",
        "the working folder /drydock/code is a writable copy of the snapshot (runs/NAME/wd; the snapshot",
        "stays as submitted) whose ./outputs is runs/NAME/outputs, uri_file/uri_folder inputs read-only under",
        "/drydock/inputs/NAME, outputs in runs/NAME/outputs/OUTPUT (/drydock/outputs/OUTPUT inside),",
        "$${{inputs.x}} and $${{outputs.y}} replaced by those paths (literal inputs by their values), and as on",
        "Azure ML AZUREML_RUN_ID, AZURE_ML_INPUT_x, AZURE_ML_OUTPUT_y and MLFLOW_TRACKING_URI (a file store in",
        "runs/NAME/mlruns). The command runs by /bin/sh -c as your user, its log in runs/NAME/logs/std_log.txt,",
        "its state in runs/NAME/job.json (NotStarted, Running, Completed, Failed, Canceled); a kernel shutdown",
        "stops it (Canceled). The job's name goes into the variable AML_JOB_NAME: $${AML_JOB_NAME}.",
        "",
        "environment: an image (docker.io/library/python:3.11, drydock/python:bookworm), a %%env",
        "environment's name (a bare name; built content-addressed, so an unchanged one is not rebuilt),",
        "{image: IMAGE, conda_file: FILE}, {build: {path: DIR, dockerfile_path: FILE}}, or",
        "azureml:NAME:VERSION / azureml:NAME@latest (a workspace's; not for local runs).",
        "",
        "Local files (code, inputs) go to the workspace's default datastore under LocalUpload/HASH/, once",
        "per content, as az ml puts them; large files in 8 MiB blocks.",
        "",
        "Without --stream the cell returns once the job runs, as az ml job create does."
    })
    public static final class Submit extends AmlCommand {

        @Parameters(index = "0", paramLabel = "JOB.yaml", description = "The command job YAML.")
        String file;

        @Option(names = "--set", paramLabel = "PATH=VALUE", description = "Override a key, such as --set inputs.lr=0.1"
                + " or --set environment_variables.SEED=1 (VALUE is read as YAML). Repeatable.")
        List<String> sets = new ArrayList<>();

        @Option(names = "--name", paramLabel = "NAME", description = "The job's name (default: the YAML's, else a"
                + " generated adjective_noun_suffix).")
        String name;

        @Option(names = "--stream", description = "Follow the job's log in the cell until it ends; an interrupt"
                + " cancels a local job, and stops following a workspace's.")
        boolean stream;

        @Option(names = "--local", description = "Run the job in the local Docker engine (as --set compute=local).")
        boolean local;

        @Override
        void execute() throws MagicException {
            if (local) {
                sets.add("compute=local");
            }
            JobSpec spec = JobYaml.read(session.resolve(file), sets, name);
            if (runsLocally(spec.compute(), remote.connected(), "the job")) {
                jobs.submit(spec, stream);
            } else {
                remoteJobs.submit(spec, stream);
            }
        }
    }

    @Command(name = "status", description = {
        "Show a job: state, times, exit code, outputs, and metrics as a table. Metrics come from",
        "metrics.json in runs/NAME/outputs/ or an output folder (name: number, or name: [numbers]),",
        "MLflow's file store in runs/NAME/mlruns (mlflow.log_metric), and log lines",
        "\"metric: NAME=VALUE\". A job without runs/NAME/job.json is looked up",
        "in the connected workspace."})
    public static final class Status extends AmlCommand {

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        void execute() throws MagicException {
            if (local(name)) {
                jobs.status(name);
            } else {
                remoteJobs.status(name);
            }
        }
    }

    @Command(name = "ls", description = "List the local jobs (runs/*/job.json) and, with a workspace connected, its"
            + " jobs; the column where says which.")
    public static final class Ls extends AmlCommand {

        @Override
        void execute() throws MagicException {
            List<List<String>> rows = new ArrayList<>();
            for (List<String> row : jobs.rows()) {
                List<String> withWhere = new ArrayList<>(row);
                withWhere.add(1, "local");
                rows.add(withWhere);
            }
            MagicException remoteFailure = null;
            if (remote.connected()) {
                try {
                    String workspace = remote.requireWorkspace().name();
                    for (AmlRemoteJob job : remote.list()) {
                        rows.add(List.of(job.name(), workspace, job.displayName(), job.experimentName(), job.status(),
                                "", "", ""));
                    }
                } catch (MagicException e) {
                    remoteFailure = e;
                }
            }
            if (rows.isEmpty() && remoteFailure == null) {
                notebook.out("No jobs in " + RunFolder.runs(session) + (remote.connected() ? " or the workspace" : "")
                        + " yet: %aml submit JOB.yaml runs one.\n");
                return;
            }
            if (!rows.isEmpty()) {
                List<String> columns = new ArrayList<>(LocalJobs.COLUMNS);
                columns.add(1, "where");
                notebook.display(new Table(columns, rows).bundle(), null);
            }
            if (remoteFailure != null) {
                throw new MagicException(remoteFailure.kind(), "The workspace's jobs could not be listed: "
                        + remoteFailure.getMessage(), remoteFailure);
            }
        }
    }

    @Command(name = "stream", description = "Print a job's log and follow it while the job runs; an interrupt stops"
            + " following, not the job.")
    public static final class Stream extends AmlCommand {

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        void execute() throws MagicException {
            if (local(name)) {
                jobs.stream(name);
            } else {
                remoteJobs.stream(name);
            }
        }
    }

    @Command(name = "cancel", description = "Cancel a running job: a local job's container is stopped; a workspace's"
            + " job is asked to cancel. Either becomes Canceled.")
    public static final class Cancel extends AmlCommand {

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        void execute() throws MagicException {
            if (local(name)) {
                jobs.cancel(name);
            } else {
                remoteJobs.cancel(name);
            }
        }
    }

    @Command(name = "workspace", description = {
        "Show the Azure ML workspace %%aml submits to, or set it for this session with all three of",
        "--subscription, --resource-group and --name. Without them the workspace comes from Azure ML's",
        "config.json (in the notebook's folder, a folder above it, or .azureml/ there), else from the",
        "variables AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP and AZUREML_WORKSPACE_NAME (%%dotenv).",
        "--check reads the workspace from Azure: it proves the credential (az login, or AZURE_CLIENT_ID,",
        "AZURE_TENANT_ID, AZURE_CLIENT_SECRET) and shows the region."})
    public static final class WorkspaceCommand extends AmlCommand {

        @Option(names = "--subscription", paramLabel = "ID")
        String subscription;

        @Option(names = "--resource-group", paramLabel = "GROUP")
        String resourceGroup;

        @Option(names = "--name", paramLabel = "WORKSPACE")
        String name;

        @Option(names = "--check", description = "Read the workspace from Azure.")
        boolean check;

        @Option(names = "--cloud", paramLabel = "CLOUD", description = "The Azure cloud: AzureCloud (the default),"
                + " AzureUSGovernment or AzureChinaCloud, as az cloud set names them. Another cloud's Resource Manager"
                + " comes from AZURE_RESOURCE_MANAGER_ENDPOINT; the token's scope follows either.")
        String cloud;

        @Override
        void execute() throws MagicException {
            int given = (subscription == null ? 0 : 1) + (resourceGroup == null ? 0 : 1) + (name == null ? 0 : 1);
            if (given > 0 && given < 3) {
                throw MagicException.usage("Give all three of --subscription, --resource-group and --name to set the"
                        + " workspace, or none to show it.");
            }
            if (cloud != null) {
                remote.cloud(cloud);
                notebook.out("Azure Resource Manager for this session: " + remote.resourceManager() + ".\n");
            }
            if (given == 3) {
                Workspace workspace = remote.use(subscription.strip(), resourceGroup.strip(), name.strip());
                notebook.out("Workspace " + workspace + " for this session.\n" + target(Optional.of(workspace)));
            }
            if (check) {
                Workspace workspace = remote.check();
                notebook.out("Workspace " + workspace + " answers" + workspace.region().map(r -> ", in " + r).orElse("")
                        + "; from " + workspace.source() + ".\n");
                return;
            }
            if (given == 0) {
                java.util.Optional<Workspace> workspace = remote.workspace();
                if (workspace.isEmpty()) {
                    notebook.out(missing() + "\n");
                } else {
                    notebook.out("Workspace " + workspace.get() + ", from " + workspace.get().source() + ".\n");
                }
                notebook.out(target(workspace));
            }
        }

        /** Where %aml submit and %aml deploy will run, by the compute rule of {@link #runsLocally}. */
        private String target(Optional<Workspace> workspace) {
            return workspace.map(w -> "Target: jobs and deployments go to workspace " + w.name() + " through "
                    + remote.resourceManager() + " (a job on the compute it names, else serverless compute);"
                    + " compute: local or --local runs them in the local Docker engine.\n")
                    .orElse("Target: the local Docker engine, since no workspace is connected; a job or deployment"
                            + " that names a compute is refused until one is.\n");
        }

        private String missing() {
            try {
                remote.requireWorkspace();
                return "";
            } catch (MagicException e) {
                return e.getMessage();
            }
        }
    }

    @Command(name = "deploy", description = {
        "Run an online deployment: CLI v2 online endpoint YAML and managed or kubernetes deployment YAML",
        "(model, code_configuration {code, scoring_script}, environment, environment_variables).",
        "",
        "With --local (the default without a workspace), as az ml online-deployment create --local: the",
        "scoring script's init() and run() served by Drydock's scoring server (POST /score, GET /health) in",
        "the deployment's environment image, code and model mounted read-only (AZUREML_MODEL_DIR as on Azure),",
        "on 127.0.0.1 at a port Docker picks, recorded in runs/endpoints/ENDPOINT.json. Deploying again",
        "replaces it. The environment needs python3; instance_type and instance_count apply on Azure only.",
        "",
        "With a workspace connected and no --local: the endpoint and the deployment are created or updated",
        "there (code uploaded as a code asset, a local model registered, the environment created or reused),",
        "and all traffic goes to the deployment when the endpoint had none."})
    public static final class Deploy extends AmlCommand {

        @Parameters(index = "0..1", arity = "0..2", paramLabel = "YAML", description = "ENDPOINT.yaml DEPLOYMENT.yaml")
        List<String> files = new ArrayList<>();

        @Option(names = "--local", description = "Run the deployment in the local Docker engine.")
        boolean local;

        @Option(names = "--delete", paramLabel = "ENDPOINT", description = "Stop and remove a local endpoint instead.")
        String delete;

        @Override
        void execute() throws MagicException {
            if (delete != null) {
                if (!files.isEmpty()) {
                    throw MagicException.usage("--delete ENDPOINT takes no YAML files.");
                }
                family.localEndpoints().delete(delete);
                return;
            }
            if (files.size() != 2) {
                throw MagicException.usage("Give the endpoint YAML and the deployment YAML: %aml deploy endpoint.yml"
                        + " deployment.yml [--local].");
            }
            DeploymentYaml.Endpoint endpoint = DeploymentYaml.endpoint(session.resolve(files.get(0)));
            DeploymentYaml.Deployment deployment = DeploymentYaml.deployment(session.resolve(files.get(1)), endpoint);
            // A kubernetes deployment or an endpoint on a compute names its target; a managed one runs where the
            // workspace is, else locally.
            String compute = local ? "local" : endpoint.compute() != null ? endpoint.compute()
                    : deployment.type().equals("kubernetes") ? "a Kubernetes compute (type: kubernetes)" : null;
            if (!runsLocally(compute, remote.connected(), "deployment " + deployment.name())) {
                // The REST client uploads the folders it is handed: hand it copies made under the outbound policy.
                try (OutboundFiles.Staging staging = OutboundFiles.Staging.create("drydock-deploy-")) {
                    remote.deploy(outbound(remoteDeployment(endpoint, deployment), staging), notebook);
                }
                return;
            }
            family.localEndpoints().deploy(endpoint, deployment);
        }
    }

    /**
     * The deployment with its code folder and local model replaced by filtered copies in {@code staging}: no
     * secret files, no {@code .git}, nothing the folder's {@code .amlignore} (else {@code .gitignore}) excludes.
     */
    static AmlRemoteDeployment outbound(AmlRemoteDeployment d, OutboundFiles.Staging staging) throws MagicException {
        Optional<String> model = d.model();
        if (model.isPresent() && Files.exists(Path.of(model.get()))) {
            model = Optional.of(staging.copy(Path.of(model.get()), OutboundFiles.Rules.AML).toString());
        }
        return new AmlRemoteDeployment(d.endpoint(), d.authMode(), d.endpointCompute(), d.deployment(), d.kubernetes(),
                model, d.modelName(), d.modelVersion(), staging.copy(d.code(), OutboundFiles.Rules.AML),
                d.scoringScript(), d.environment(), d.instanceType(), d.instanceCount(), d.environmentVariables(),
                d.endpointMore(), d.deploymentMore(), d.traffic());
    }

    /** The YAML as the workspace client takes it; what cannot go to a workspace is said before anything is sent. */
    static AmlRemoteDeployment remoteDeployment(DeploymentYaml.Endpoint endpoint, DeploymentYaml.Deployment deployment)
            throws MagicException {
        if (!Files.isDirectory(deployment.code())) {
            throw MagicException.failed("The deployment's code folder " + deployment.code() + " does not exist.");
        }
        DeploymentYaml.Model model = deployment.model();
        if (model != null && model.path() != null && !Files.exists(model.path())) {
            throw MagicException.failed("The model " + model.path() + " does not exist.");
        }
        JobSpec.Environment environment = deployment.environment();
        if (environment instanceof JobSpec.Inline inline && inline.buildPath() == null
                && !Files.isRegularFile(inline.condaFile())) {
            throw MagicException.failed("The environment's conda file " + inline.condaFile() + " does not exist.");
        }
        return new AmlRemoteDeployment(endpoint.name(), endpoint.authMode(), Optional.ofNullable(endpoint.compute()),
                deployment.name(), deployment.type().equals("kubernetes"),
                Optional.ofNullable(model == null ? null : model.path() != null ? model.path().toString()
                        : model.reference()),
                model == null || !model.named() ? Optional.empty() : Optional.of(model.name()),
                model == null ? "1" : model.version(), deployment.code(),
                deployment.scoringScript(), RemoteJobs.environment(environment,
                        environment instanceof JobSpec.Inline inline ? inline.buildPath() : null),
                Optional.ofNullable(deployment.instanceType()),
                Optional.ofNullable(deployment.instanceCount()), deployment.environmentVariables(),
                OnlineRest.endpoint(endpoint.tree()), OnlineRest.deployment(deployment.tree()),
                OnlineRest.traffic(endpoint.tree()));
    }

    @Command(name = "invoke", description = "Send a scoring request (a JSON file) to an endpoint and show the answer: a"
            + " local endpoint's (runs/endpoints/ENDPOINT.json) /score, else the connected workspace's endpoint, with"
            + " its key or AML token (masked in all output).")
    public static final class Invoke extends AmlCommand {

        @Parameters(index = "0", paramLabel = "ENDPOINT")
        String endpoint;

        @Option(names = "--request-file", required = true, paramLabel = "FILE", description = "The request body (JSON).")
        String requestFile;

        @Override
        void execute() throws MagicException {
            Path request = session.resolve(requestFile);
            if (Files.isRegularFile(LocalEndpoints.record(session, endpoint)) || !remote.connected()) {
                family.localEndpoints().invoke(endpoint, request);
                return;
            }
            byte[] body;
            try {
                body = Files.readAllBytes(request);
            } catch (java.io.IOException e) {
                throw MagicException.failed("Cannot read the request file " + request + ": " + e.getMessage());
            }
            AmlRemote.Scored answer = remote.invoke(endpoint, body);
            LocalEndpoints.show(notebook, endpoint, answer.status(), answer.body());
        }
    }

    @Command(name = "endpoint", description = "Online endpoints: %%aml endpoint delete ENDPOINT [--deployment NAME].",
            subcommands = {AmlMagic.EndpointDelete.class})
    public static final class EndpointCommand extends MagicCommand {

        @ParentCommand
        AmlMagic family;

        @Override
        protected void run() throws MagicException {
            throw MagicException.usage("Specify a subcommand: delete. %aml endpoint --help says more.");
        }
    }

    @Command(name = "delete", description = {
        "Delete an online endpoint with its deployments, or with --deployment one deployment of it.",
        "A local endpoint (runs/endpoints/ENDPOINT.json) has its scoring container stopped and removed;",
        "otherwise, with a workspace connected, the endpoint is deleted there (as az ml online-endpoint",
        "delete / online-deployment delete do) and the cell follows the deletion to its end."})
    public static final class EndpointDelete extends AmlCommand {

        @Parameters(index = "0", paramLabel = "ENDPOINT")
        String endpoint;

        @Option(names = "--deployment", paramLabel = "NAME", description = "Delete only this deployment of the"
                + " workspace's endpoint.")
        String deployment;

        @Option(names = "--local", description = "The local endpoint, even with a workspace connected.")
        boolean local;

        @Override
        void execute() throws MagicException {
            boolean localRecord = Files.isRegularFile(LocalEndpoints.record(session, endpoint));
            if (local || localRecord || !remote.connected()) {
                if (deployment != null) {
                    throw MagicException.usage("A local endpoint has one deployment; %aml endpoint delete " + endpoint
                            + " removes it.");
                }
                family.localEndpoints().delete(endpoint);
                return;
            }
            remote.delete(endpoint, Optional.ofNullable(deployment), notebook);
        }
    }
}

package dev.drydock.magics.aml;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.commands.MagicCommand;
import dev.drydock.magics.container.HostUser;
import dev.drydock.magics.docker.Docker;
import dev.drydock.magics.env.ImageBuilder;
import dev.drydock.magics.registry.RegistryCredentials;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code %aml}: Azure ML command jobs from the notebook. Without a workspace (or with {@code compute: local})
 * a job runs in the local Docker engine, from a snapshot in {@code runs/<job>/}, with no Azure at all.
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
            "  %%aml cancel try_1"
        },
        subcommands = {AmlMagic.Submit.class, AmlMagic.Status.class, AmlMagic.Ls.class, AmlMagic.Stream.class,
            AmlMagic.Cancel.class})
public final class AmlMagic extends MagicCommand {

    @Override
    protected void run() throws MagicException {
        throw MagicException.usage("Specify a subcommand: submit, status, ls, stream or cancel. %aml --help says more.");
    }

    /** What the local subcommands share: the local job service over the kernel's engine and builder. */
    abstract static class LocalCommand extends MagicCommand {
        final LocalJobs jobs;

        LocalCommand(Session session, Notebook notebook, Docker docker, ImageBuilder builder,
                RegistryCredentials credentials, HostUser user) {
            this.jobs = new LocalJobs(session, notebook, docker, builder, credentials, user);
        }
    }

    @Command(name = "submit", description = {
        "Submit an Azure ML CLI v2 command job (type: command). Every submission first packages",
        "runs/NAME/: snapshot/code (the code folder, honouring .amlignore, else .gitignore; never .env),",
        "snapshot/job.yaml (the job as submitted) and snapshot/environment (what defines the environment).",
        "",
        "With compute: local, or when no workspace is connected, the job runs in the local Docker engine:",
        "code read-only at /drydock/code (the working folder), uri_file/uri_folder inputs read-only under",
        "/drydock/inputs/NAME, outputs in runs/NAME/outputs/OUTPUT (/drydock/outputs/OUTPUT inside),",
        "${{inputs.x}} and ${{outputs.y}} replaced by those paths (literal inputs by their values), the",
        "command run by /bin/sh -c as your user, its log in runs/NAME/logs/std_log.txt, its state in",
        "runs/NAME/job.json (NotStarted, Running, Completed, Failed, Canceled).",
        "",
        "environment: an image (docker.io/library/python:3.11, drydock/python:bookworm), a %%env",
        "environment's name (a bare name; built content-addressed, so an unchanged one is not rebuilt),",
        "{image: IMAGE, conda_file: FILE}, {build: {path: DIR, dockerfile_path: FILE}}, or",
        "azureml:NAME:VERSION / azureml:NAME@latest (a workspace's; not for local runs).",
        "",
        "Without --stream the cell returns once the job runs, as az ml job create does."
    })
    public static final class Submit extends LocalCommand {

        @Parameters(index = "0", paramLabel = "JOB.yaml", description = "The command job YAML.")
        String file;

        @Option(names = "--set", paramLabel = "PATH=VALUE", description = "Override a key, such as --set inputs.lr=0.1"
                + " or --set environment_variables.SEED=1 (VALUE is read as YAML). Repeatable.")
        List<String> sets = new ArrayList<>();

        @Option(names = "--name", paramLabel = "NAME", description = "The job's name (default: the YAML's, else a"
                + " generated adjective_noun_suffix).")
        String name;

        @Option(names = "--stream", description = "Follow the job's log in the cell until it ends; an interrupt"
                + " cancels the job.")
        boolean stream;

        private final Session session;
        private final Notebook notebook;
        private final AmlRemote remote;

        // Declared first, so the kernel's factory, which takes the first constructor it can fill, uses the remote
        // service where the kernel has one; the second serves registries without it.
        public Submit(Session session, Notebook notebook, Docker docker, ImageBuilder builder,
                RegistryCredentials credentials, HostUser user, AmlRemote remote) {
            super(session, notebook, docker, builder, credentials, user);
            this.session = session;
            this.notebook = notebook;
            this.remote = remote;
        }

        public Submit(Session session, Notebook notebook, Docker docker, ImageBuilder builder,
                RegistryCredentials credentials, HostUser user) {
            this(session, notebook, docker, builder, credentials, user, null);
        }

        @Override
        protected void run() throws MagicException {
            JobSpec spec = JobYaml.read(session.resolve(file), sets, name);
            if (!spec.localCompute()) {
                if (remote != null && remote.connected()) {
                    throw MagicException.failed("Job " + file + " asks for compute " + spec.compute() + " in the"
                            + " connected workspace; remote submission from %aml submit is not wired to the"
                            + " workspace client yet. Use --set compute=local to run it here.");
                }
                notebook.out("No Azure ML workspace is connected (%aml workspace connects one), so the job runs locally"
                        + " in Docker instead of on " + spec.compute() + ".\n");
            }
            jobs.submit(spec, stream);
        }
    }

    @Command(name = "status", description = {
        "Show a job: state, times, exit code, outputs, and metrics as a table. Metrics come from",
        "metrics.json in runs/NAME/outputs/ or an output folder (name: number, or name: [numbers])",
        "and from log lines \"metric: NAME=VALUE\"."})
    public static final class Status extends LocalCommand {

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        public Status(Session session, Notebook notebook, Docker docker, ImageBuilder builder,
                RegistryCredentials credentials, HostUser user) {
            super(session, notebook, docker, builder, credentials, user);
        }

        @Override
        protected void run() throws MagicException {
            jobs.status(name);
        }
    }

    @Command(name = "ls", description = "List the local jobs (runs/*/job.json), newest first.")
    public static final class Ls extends LocalCommand {

        public Ls(Session session, Notebook notebook, Docker docker, ImageBuilder builder,
                RegistryCredentials credentials, HostUser user) {
            super(session, notebook, docker, builder, credentials, user);
        }

        @Override
        protected void run() throws MagicException {
            jobs.list();
        }
    }

    @Command(name = "stream", description = "Print a job's log and follow it while the job runs; an interrupt stops"
            + " following, not the job.")
    public static final class Stream extends LocalCommand {

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        public Stream(Session session, Notebook notebook, Docker docker, ImageBuilder builder,
                RegistryCredentials credentials, HostUser user) {
            super(session, notebook, docker, builder, credentials, user);
        }

        @Override
        protected void run() throws MagicException {
            jobs.stream(name);
        }
    }

    @Command(name = "cancel", description = "Cancel a running job: its container is stopped and it becomes Canceled.")
    public static final class Cancel extends LocalCommand {

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        public Cancel(Session session, Notebook notebook, Docker docker, ImageBuilder builder,
                RegistryCredentials credentials, HostUser user) {
            super(session, notebook, docker, builder, credentials, user);
        }

        @Override
        protected void run() throws MagicException {
            jobs.cancel(name);
        }
    }
}

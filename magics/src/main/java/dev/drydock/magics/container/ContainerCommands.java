package dev.drydock.magics.container;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CommitCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.LogContainerCmd;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerPort;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.engine.DockerEngine;
import dev.drydock.magics.engine.EngineErrors;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import dev.drydock.magics.render.Table;

/** The {@code %container} subcommands that manage containers: ls, logs, exec, stop, start, rm, commit. */
public final class ContainerCommands {

    private ContainerCommands() {}

    /** The label filter that finds what this kernel session started. */
    static Map<String, String> sessionLabel(Session session) {
        return Map.of(ContainerRequest.SESSION_LABEL, session.id());
    }

    /**
     * Does {@code change} to each container in turn and prints its name, as docker stop and start do; one that
     * is in that state already (the engine's 304) is fine, the first that fails ends the loop with the reason.
     */
    static void each(List<String> containers, String what, java.util.function.Consumer<String> change,
            Notebook notebook) throws MagicException {
        for (String container : containers) {
            try {
                change.accept(container);
            } catch (NotModifiedException e) {
                // Stopped or running already: the docker CLI says nothing either.
            } catch (DockerException e) {
                throw Containers.failed(what, container, e);
            }
            notebook.out(container + "\n");
        }
    }

    @Command(name = "ls", description = {"List containers: running ones, all with -a, this notebook's with --notebook."})
    public static final class Ls extends ContainerMagic.Verb {

        @Option(names = {"-a", "--all"}, description = "Also stopped containers.")
        boolean all;

        @Option(names = "--notebook", description = "Only the containers this kernel session started (any state).")
        boolean notebookOnly;

        @Override
        protected void run() throws MagicException {
            var list = family.docker.engine().client().listContainersCmd().withShowAll(all || notebookOnly);
            if (notebookOnly) {
                list.withLabelFilter(sessionLabel(family.session));
            }
            family.notebook.display(table(list.exec(), Instant.now()).bundle(), null);
        }

        static Table table(List<Container> containers, Instant now) {
            List<List<String>> rows = new ArrayList<>();
            for (Container container : containers) {
                String name = container.getNames() == null || container.getNames().length == 0 ? ""
                        : container.getNames()[0].replaceFirst("^/", "");
                rows.add(List.of(Containers.shortId(container.getId()), name, Objects.toString(container.getImage(), ""),
                        Objects.toString(container.getStatus(), ""), ports(container.getPorts()),
                        Table.ago(Instant.ofEpochSecond(container.getCreated() == null ? 0 : container.getCreated()), now)));
            }
            return new Table(List.of("CONTAINER ID", "NAME", "IMAGE", "STATUS", "PORTS", "CREATED"), rows);
        }

        /** As the docker CLI lists them: {@code 127.0.0.1:8080->80/tcp}, or {@code 80/tcp} when not published. */
        static String ports(ContainerPort[] ports) {
            if (ports == null) {
                return "";
            }
            TreeSet<String> text = new TreeSet<>();
            for (ContainerPort port : ports) {
                String inside = port.getPrivatePort() + "/" + port.getType();
                text.add(port.getPublicPort() == null ? inside : port.getIp() + ":" + port.getPublicPort() + "->" + inside);
            }
            return String.join(", ", text);
        }

    }

    @Command(name = "logs", description = {"Show a container's output; -f follows it until it stops or you interrupt."})
    public static final class Logs extends ContainerMagic.Verb {

        @Option(names = {"-f", "--follow"}, description = "Keep streaming new output.")
        boolean follow;

        @Option(names = {"-n", "--tail"}, paramLabel = "N", description = "Only the last N lines.")
        Integer tail;

        @Parameters(index = "0", paramLabel = "CONTAINER")
        String container;

        @Override
        protected void run() throws MagicException {
            DockerClient client = family.docker.engine().client();
            LogContainerCmd logs = client.logContainerCmd(container).withStdOut(true).withStdErr(true)
                    .withFollowStream(follow);
            if (tail != null) {
                logs.withTail(tail);
            }
            try {
                DockerEngine.await(logs.exec(new FrameOutput(family.notebook)), family.notebook.cancellation());
            } catch (DockerException e) {
                throw Containers.failed("Reading the logs of", container, e);
            }
        }
    }

    @Command(name = "exec", modelTransformer = StopAtImage.class,
            description = {"Run a command in a running container; its output streams into the cell, and an interrupt stops it.",
                "With -d it starts in the background (a server, say) and the cell ends at once.",
                "Examples: %%container exec web ls -l /srv",
                "          %%container exec -d web python -m http.server 8000"})
    public static final class Exec extends ContainerMagic.Verb {

        @Option(names = {"-d", "--detach"}, description = "Start the command in the background and return at once.")
        boolean detach;

        @Mixin
        Interactive interactive;

        @Option(names = {"-u", "--user"}, paramLabel = "USER[:GROUP]", description = "Run as this user.")
        String user;

        @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "The working directory inside.")
        String workdir;

        @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "Set a variable.")
        List<String> env = new ArrayList<>();

        @Parameters(index = "0", paramLabel = "CONTAINER")
        String container;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments.")
        List<String> command = new ArrayList<>();

        @Override
        protected void run() throws MagicException {
            interactive.refuse("%container exec", Interactive.EXEC_INSTEAD);
            DockerEngine engine = family.docker.engine();
            if (detach) {
                Containers.execDetached(engine.client(), container, command, user, workdir, env);
                family.notebook.out("Started " + String.join(" ", command) + " in " + container + " in the background. "
                        + "Its output is not kept: redirect it to a file in the container to read it later.\n");
                return;
            }
            long status = Containers.exec(engine, container, command, user, workdir, env, family.notebook);
            if (status != 0) {
                throw MagicException.failed("The command " + String.join(" ", command) + " in " + container
                        + " exited with status " + status + ".");
            }
        }
    }

    @Command(name = "stop", description = {"Stop containers: SIGTERM, then SIGKILL after the grace period."})
    public static final class Stop extends ContainerMagic.Verb {

        @Option(names = {"-t", "--time"}, paramLabel = "SECONDS", description = "Grace period (default 10).")
        int seconds = 10;

        @Parameters(arity = "1..*", paramLabel = "CONTAINER")
        List<String> containers;

        @Override
        protected void run() throws MagicException {
            DockerClient client = family.docker.engine().client();
            each(containers, "Stopping", c -> client.stopContainerCmd(c).withTimeout(seconds).exec(), family.notebook);
        }
    }

    @Command(name = "start", description = {"Start stopped containers in the background."})
    public static final class Start extends ContainerMagic.Verb {

        @Mixin
        Interactive interactive;

        @Parameters(arity = "1..*", paramLabel = "CONTAINER")
        List<String> containers;

        @Override
        protected void run() throws MagicException {
            interactive.refuse("%container start", Interactive.START_INSTEAD);
            DockerClient client = family.docker.engine().client();
            each(containers, "Starting", c -> client.startContainerCmd(c).exec(), family.notebook);
        }
    }

    @Command(name = "rm", description = {"Remove containers; -f also running ones; --notebook all this session started."})
    public static final class Rm extends ContainerMagic.Verb {

        @Option(names = {"-f", "--force"}, description = "Kill and remove running containers too.")
        boolean force;

        @Option(names = "--notebook", description = "Remove every container this kernel session started.")
        boolean notebookOnly;

        @Parameters(arity = "0..*", paramLabel = "CONTAINER")
        List<String> containers = new ArrayList<>();

        @Override
        protected void run() throws MagicException {
            if (containers.isEmpty() && !notebookOnly) {
                throw MagicException.usage("Name the containers to remove, or give --notebook for all this session "
                        + "started.");
            }
            DockerClient client = family.docker.engine().client();
            List<String> targets = new ArrayList<>(containers);
            if (notebookOnly) {
                client.listContainersCmd().withShowAll(true).withLabelFilter(sessionLabel(family.session)).exec()
                        .forEach(c -> targets.add(c.getNames() != null && c.getNames().length > 0
                                ? c.getNames()[0].replaceFirst("^/", "") : Containers.shortId(c.getId())));
            }
            List<String> failures = new ArrayList<>();
            for (String container : targets) {
                try {
                    client.removeContainerCmd(container).withForce(force).withRemoveVolumes(true).exec();
                    family.notebook.out(container + "\n");
                } catch (DockerException e) {
                    failures.add(container + ": " + EngineErrors.message(e));
                }
            }
            if (notebookOnly && targets.isEmpty()) {
                family.notebook.out("This session has no containers.\n");
            }
            if (!failures.isEmpty()) {
                throw MagicException.failed("Could not remove " + String.join("; ", failures)
                        + (force ? "" : ". Stop them first (%container stop), or remove them anyway with -f."));
            }
        }
    }

    @Command(name = "commit", description = {"Save a container's file system as an image, such as myrepo/model:v2.",
        "Refused when the container's environment holds a secret loaded with %%dotenv: it would be baked in."})
    public static final class Commit extends ContainerMagic.Verb {

        @Option(names = {"-m", "--message"}, description = "The commit message.")
        String message;

        @Option(names = {"-a", "--author"}, description = "The author, such as \"Ann <ann@example.com>\".")
        String author;

        @Parameters(index = "0", paramLabel = "CONTAINER")
        String container;

        @Parameters(index = "1", paramLabel = "REPO[:TAG]")
        String target;

        @Override
        protected void run() throws MagicException {
            DockerClient client = family.docker.engine().client();
            InspectContainerResponse inspect;
            try {
                inspect = client.inspectContainerCmd(container).exec();
            } catch (DockerException e) {
                throw Containers.failed("Committing", container, e);
            }
            List<String> secret = secretVariables(inspect.getConfig().getEnv());
            if (!secret.isEmpty()) {
                throw MagicException.failed("Not committing " + container + ": its environment holds the value of a "
                        + "secret loaded with %dotenv (" + String.join(", ", secret) + "), which would be stored in the "
                        + "image for anyone who pulls it. Run the container without it (pass secrets at run time), then "
                        + "commit that one.");
            }
            List<String> files = outboundViolations(client);
            if (!files.isEmpty()) {
                throw MagicException.failed("Not committing " + container + ": files it added or changed would be"
                        + " stored in the image, and Drydock keeps secret files and git data out of images: "
                        + String.join(", ", files) + ". Remove them in the container (%container exec " + container
                        + " rm ...), or mount them at run time instead, then commit.");
            }
            int slash = target.lastIndexOf('/');
            int colon = target.lastIndexOf(':');
            boolean tagged = colon > slash;
            CommitCmd commit = client.commitCmd(container)
                    .withRepository(tagged ? target.substring(0, colon) : target)
                    .withTag(tagged ? target.substring(colon + 1) : "latest")
                    .withLabels(Map.of(ContainerRequest.SESSION_LABEL, family.session.id(),
                            "org.opencontainers.image.created", Instant.now().toString(),
                            "dev.drydock.committed-from", inspect.getConfig().getImage()));
            if (message != null) {
                commit.withMessage(message);
            }
            if (author != null) {
                commit.withAuthor(author);
            }
            try {
                String id = commit.exec();
                family.notebook.out("Committed " + container + " as " + (tagged ? target : target + ":latest") + " (" + id + ").\n");
            } catch (DockerException e) {
                throw Containers.failed("Committing", container, e);
            }
        }

        /**
         * What the outbound policy keeps out of images among the container's changes (its layer is what a commit
         * stores): secret files ({@code .env}, {@code .env.*}, {@code *.env}) and anything under a {@code .git}.
         */
        private List<String> outboundViolations(DockerClient client) throws MagicException {
            List<String> found = new ArrayList<>();
            List<com.github.dockerjava.api.model.ChangeLog> changes;
            try {
                changes = client.containerDiffCmd(container).exec();
            } catch (DockerException e) {
                throw Containers.failed("Committing", container, e);
            }
            for (com.github.dockerjava.api.model.ChangeLog change : changes == null ? List.<com.github.dockerjava.api.model.ChangeLog>of() : changes) {
                String path = change.getPath();
                if (Integer.valueOf(2).equals(change.getKind()) || path == null) {
                    continue; // 2 is a deletion: nothing of it is stored
                }
                String name = path.substring(path.lastIndexOf('/') + 1);
                if (dev.drydock.magics.files.OutboundFiles.isSecretFile(name) || name.equals(".git")
                        || path.contains("/.git/")) {
                    if (path.contains("/.git/") && found.stream().anyMatch(f -> path.startsWith(f + "/"))) {
                        continue;
                    }
                    found.add(path);
                }
            }
            return found;
        }

        /** The names of variables whose values the session knows as secrets. */
        private List<String> secretVariables(String[] env) {
            List<String> names = new ArrayList<>();
            if (env == null) {
                return names;
            }
            for (String entry : env) {
                int eq = entry.indexOf('=');
                String value = eq < 0 ? "" : entry.substring(eq + 1);
                if (!value.isEmpty() && !family.session.masker().mask(value).equals(value)) {
                    names.add(entry.substring(0, Math.max(eq, 0)));
                }
            }
            return names;
        }
    }
}

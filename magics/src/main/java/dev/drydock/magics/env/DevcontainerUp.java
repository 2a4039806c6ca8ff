package dev.drydock.magics.env;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.container.ContainerRequest;
import dev.drydock.magics.container.Containers;
import dev.drydock.magics.engine.DockerEngine;
import dev.drydock.magics.engine.EngineErrors;
import dev.drydock.magics.registry.ImageTransfer;
import dev.drydock.magics.registry.RegistryCredentials;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code devcontainer up} does for the keys of {@link DevcontainerConfig}: build or pull the image, create
 * the container with the workspace and {@code mounts}, {@code forwardPorts}/{@code appPort} published on
 * 127.0.0.1, {@code containerEnv}, {@code containerUser} and the CLI's keep-alive command, then run the
 * lifecycle commands as {@code remoteUser} in the workspace folder. Like the CLI, a container made from the
 * same file for the same workspace is found again (by its labels) and reused; its create-time commands do
 * not run twice.
 */
final class DevcontainerUp {

    /** The devcontainers CLI's labels: a tool that opens the folder finds the same container. */
    static final String LABEL_LOCAL_FOLDER = "devcontainer.local_folder";
    static final String LABEL_CONFIG_FILE = "devcontainer.config_file";

    /** The CLI's command when overrideCommand is true: stay up, and stop at once on SIGTERM. */
    static final List<String> KEEP_ALIVE = List.of("-c",
            "echo Container started\ntrap \"exit 0\" 15\nwhile sleep 1 & wait $!; do :; done", "-");

    private static final List<String> CREATE_COMMANDS = List.of("onCreateCommand", "updateContentCommand",
            "postCreateCommand");

    private final Session session;
    private final Notebook notebook;
    private final DockerEngine engine;
    private final RegistryCredentials credentials;
    private final ImageBuilder builder;

    DevcontainerUp(Session session, Notebook notebook, DockerEngine engine, RegistryCredentials credentials,
            ImageBuilder builder) {
        this.session = session;
        this.notebook = notebook;
        this.engine = engine;
        this.credentials = credentials;
        this.builder = builder;
    }

    /** Brings the dev container up; returns its name. */
    String up(DevcontainerConfig config, boolean recreate) throws MagicException {
        notApplied(config);
        engine.config().remoteMachine().ifPresent(machine -> notebook.err("The Docker engine runs on " + machine
                + ": the workspace mount and the bind mounts name its folders, so " + config.workspace()
                + " must be there too (a clone of the repository at the same path).\n"));
        DockerClient client = engine.client();
        String name = containerName(config);
        Map<String, String> labels = Map.of(LABEL_LOCAL_FOLDER, config.workspace().toString(),
                LABEL_CONFIG_FILE, config.file().toString());
        List<Container> existing = client.listContainersCmd().withShowAll(true).withLabelFilter(labels).exec();
        if (!existing.isEmpty() && !recreate) {
            return reuse(config, existing.get(0));
        }
        for (Container old : existing) {
            Containers.removeQuietly(client, old.getId());
        }
        String image = image(config);
        String id = create(config, image, name, labels);
        Containers.start(client, id, image);
        for (String key : CREATE_COMMANDS) {
            lifecycle(config, name, key);
        }
        lifecycle(config, name, "postStartCommand");
        InspectContainerResponse inspect = client.inspectContainerCmd(id).exec();
        notebook.out("Started " + name + " (" + id.substring(0, 12) + ") from " + image + ": " + config.workspace()
                + " at " + config.workspaceFolder() + ports(inspect) + config.remoteUser().map(u -> ", as " + u).orElse("")
                + ".\nRun commands in it with %container exec " + name + " CMD; remove it with %container rm -f "
                + name + ".\n");
        return name;
    }

    private String reuse(DevcontainerConfig config, Container container) throws MagicException {
        DockerClient client = engine.client();
        String name = container.getNames() != null && container.getNames().length > 0
                ? container.getNames()[0].replaceFirst("^/", "") : container.getId().substring(0, 12);
        if (!"running".equals(container.getState())) {
            Containers.start(client, container.getId(), container.getImage());
            lifecycle(config, name, "postStartCommand");
            notebook.out("Started the existing dev container " + name + " again (its create commands ran when it "
                    + "was made; --recreate makes a new one).\n");
        } else {
            notebook.out("The dev container " + name + " of " + config.file() + " is running already "
                    + "(--recreate makes a new one).\n");
        }
        return name;
    }

    /** Names what the devcontainers CLI would do that Drydock does not, so nothing is silently different. */
    private void notApplied(DevcontainerConfig config) {
        List<String> notes = new ArrayList<>();
        if (!config.features().isEmpty()) {
            notes.add("features " + String.join(", ", config.features()) + " (each is downloaded from its registry "
                    + "when the image is built, which needs the network; install what they add in the Dockerfile, "
                    + "or open the folder with the devcontainers CLI)");
        }
        if (!config.runArgs().isEmpty()) {
            notes.add("runArgs " + String.join(" ", config.runArgs()) + " (docker CLI flags: use mounts, "
                    + "containerEnv or forwardPorts, which are applied)");
        }
        if (!config.unknownKeys().isEmpty()) {
            notes.add(String.join(", ", config.unknownKeys()));
        }
        if (!notes.isEmpty()) {
            notebook.err("Not applied from " + config.file().getFileName() + ": " + String.join("; ", notes) + ".\n");
        }
    }

    /** The image: {@code build} built (tagged as the CLI tags it, vsc-FOLDER-HASH), or {@code image}, pulled when missing. */
    private String image(DevcontainerConfig config) throws MagicException {
        var build = config.build();
        if (build.isPresent()) {
            return build(config, build.get());
        }
        String image = config.image().orElseThrow(() -> MagicException.failed(config.file() + " names neither an "
                + "image nor a build.dockerfile; a Docker Compose dev container (dockerComposeFile) is not supported."));
        try {
            engine.client().inspectImageCmd(image).exec();
        } catch (NotFoundException e) {
            ImageTransfer.pull(engine, credentials, image, notebook);
        }
        return image;
    }

    private String build(DevcontainerConfig config, DevcontainerConfig.Build build) throws MagicException {
        if (!build.dockerfile().startsWith(build.context())) {
            throw MagicException.failed(config.file() + " builds " + build.dockerfile() + ", which lies outside its "
                    + "context " + build.context() + "; the engine's build API needs it inside.");
        }
        String tag = "vsc-" + config.workspace().getFileName().toString().toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9._-]", "-") + "-" + hash(config.file().toString()) + ":latest";
        Map<String, String> labels = Map.of(LABEL_LOCAL_FOLDER, config.workspace().toString(),
                LABEL_CONFIG_FILE, config.file().toString());
        try (BuildLog log = new BuildLog("Building " + tag + " from " + config.file().getFileName(), notebook)) {
            builder.build(engine, new ImageBuilder.Request(build.context(), List.of(tag), build.dockerfile(),
                    build.target(), labels, build.args(), Map.of(), false, false), log, notebook.cancellation());
            log.finish("Built");
        }
        return tag;
    }

    private String create(DevcontainerConfig config, String image, String name, Map<String, String> devLabels)
            throws MagicException {
        List<Mount> mounts = new ArrayList<>();
        mounts.add(mount(config.workspaceMount(), "workspaceMount"));
        for (String spec : config.mounts()) {
            mounts.add(mount(spec, "mounts"));
        }
        List<ExposedPort> exposed = new ArrayList<>();
        List<PortBinding> bindings = new ArrayList<>();
        for (int port : config.ports()) {
            ExposedPort tcp = ExposedPort.tcp(port);
            exposed.add(tcp);
            // Published on the loopback only: a forwarded port is for this machine, as the CLI's forwarding is.
            bindings.add(new PortBinding(Ports.Binding.bindIpAndPort("127.0.0.1", port), tcp));
        }
        Map<String, String> labels = new LinkedHashMap<>(devLabels);
        labels.put(ContainerRequest.SESSION_LABEL, session.id());
        CreateContainerCmd create = engine.client().createContainerCmd(image)
                .withName(name)
                .withLabels(labels)
                .withEnv(config.containerEnv().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())
                .withExposedPorts(exposed)
                .withHostConfig(HostConfig.newHostConfig().withMounts(mounts).withPortBindings(bindings));
        config.containerUser().ifPresent(create::withUser);
        if (config.overrideCommand()) {
            create.withEntrypoint("/bin/sh").withCmd(KEEP_ALIVE);
        }
        try {
            return create.exec().getId();
        } catch (DockerException e) {
            throw MagicException.failed("Creating the dev container " + name + " from " + image + " failed: "
                    + EngineErrors.message(e));
        }
    }

    /** A {@code --mount} string as the CLI passes it on: {@code type=bind,source=…,target=…[,readonly]}. */
    static Mount mount(String spec, String key) throws MagicException {
        Mount mount = new Mount().withType(MountType.BIND);
        for (String part : spec.split(",")) {
            int eq = part.indexOf('=');
            String name = (eq < 0 ? part : part.substring(0, eq)).strip().toLowerCase(Locale.ROOT);
            String value = eq < 0 ? "" : part.substring(eq + 1).strip();
            switch (name) {
                case "type" -> mount.withType(switch (value) {
                    case "bind" -> MountType.BIND;
                    case "volume" -> MountType.VOLUME;
                    case "tmpfs" -> MountType.TMPFS;
                    default -> throw MagicException.failed("The " + key + " entry " + spec + " has type " + value
                            + "; bind, volume and tmpfs are supported.");
                });
                case "source", "src" -> mount.withSource(value);
                case "target", "destination", "dst" -> mount.withTarget(value);
                case "readonly", "ro" -> mount.withReadOnly(value.isEmpty() || Boolean.parseBoolean(value) || value.equals("1"));
                case "consistency", "" -> {
                    // macOS-only hints that Linux engines ignore, as the CLI passes them on.
                }
                default -> throw MagicException.failed("The " + key + " entry " + spec + " has an option " + name
                        + " that Drydock does not know; write type=…,source=…,target=…[,readonly].");
            }
        }
        if (mount.getTarget() == null || mount.getTarget().isBlank()) {
            throw MagicException.failed("The " + key + " entry " + spec + " has no target.");
        }
        return mount;
    }

    /** Runs one lifecycle key's commands as remoteUser in the workspace folder; a failure stops {@code up}. */
    private void lifecycle(DevcontainerConfig config, String name, String key) throws MagicException {
        List<String> env = config.remoteEnv().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
        for (List<String> command : config.lifecycle(key)) {
            String shown = command.size() == 3 && command.get(0).equals("/bin/sh") ? command.get(2)
                    : String.join(" ", command);
            notebook.out("Running the " + key + " " + shown + "\n");
            long status = Containers.exec(engine, name, command, config.remoteUser().orElse(null),
                    config.workspaceFolder(), env, notebook);
            if (status != 0) {
                throw MagicException.failed("The " + key + " `" + shown + "` exited with status " + status + " in " + name
                        + ". The container keeps running: look inside with %container exec " + name + " CMD, or "
                        + "remove it with %container rm -f " + name + " and try again.");
            }
        }
    }

    private static String ports(InspectContainerResponse inspect) {
        List<String> published = new ArrayList<>();
        Ports ports = inspect.getNetworkSettings().getPorts();
        if (ports != null) {
            ports.getBindings().forEach((port, bindings) -> {
                if (bindings != null) {
                    for (Ports.Binding binding : bindings) {
                        published.add(binding.getHostIp() + ":" + binding.getHostPortSpec() + "->" + port);
                    }
                }
            });
        }
        return published.isEmpty() ? "" : ", ports " + String.join(", ", published.stream().sorted().toList());
    }

    /** dev-FOLDER-HASH: one container per devcontainer.json, found again by a later run. */
    static String containerName(DevcontainerConfig config) {
        return "dev-" + config.workspace().getFileName().toString().toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9_.-]", "-") + "-" + hash(config.file().toString());
    }

    private static String hash(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8))).substring(0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is in every JDK", e);
        }
    }
}

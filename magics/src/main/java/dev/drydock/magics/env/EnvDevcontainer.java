package dev.drydock.magics.env;

import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.model.ContainerConfig;
import com.github.dockerjava.api.model.ExposedPort;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.files.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code %env devcontainer NAME}: a devcontainer.json that opens an environment's image in VS Code; and
 * {@code %env devcontainer --from FILE}: a repository's own devcontainer.json brought up as {@code devcontainer up}.
 */
@Command(name = "devcontainer", description = {
    "Write a devcontainer.json that opens the newest image of an environment in VS Code (Dev Containers)",
    "or any containers.dev tool: the image by its tag (or --image, a pushed reference), this notebook's",
    "folder mounted at the image's working directory by a path relative to ${localWorkspaceFolder}, and",
    "its user, ports and labels. No postCreateCommand unless you ask for one (--post-create): the image",
    "already holds every pinned package, and a command that reaches PyPI would fail offline.",
    "",
    "With --from, bring up an existing devcontainer.json instead, as the devcontainers CLI's up does for",
    "image, build (dockerfile, context, args, target), workspaceMount/workspaceFolder, mounts,",
    "forwardPorts/appPort (on 127.0.0.1), containerEnv, containerUser, remoteUser, remoteEnv and the",
    "lifecycle commands (onCreate, updateContent, postCreate, postStart); features and runArgs are named",
    "as not applied. A second run finds the same container (--recreate makes a new one).",
    "",
    "Examples:",
    "  %%env devcontainer train",
    "  %%env devcontainer train --image 127.0.0.1:5000/drydock/train:1 --output train/.devcontainer/devcontainer.json",
    "  %%env devcontainer --from .devcontainer/devcontainer.json"})
public final class EnvDevcontainer extends EnvMagic.EnvCommand {

    static final String DEFAULT_OUTPUT = ".devcontainer/devcontainer.json";

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The environment.")
    String name;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "Where to write it, relative to the notebook (default " + DEFAULT_OUTPUT + ").")
    String output = DEFAULT_OUTPUT;

    @Option(names = "--image", paramLabel = "REF",
            description = "The image the file names, such as the reference %%env push pushed (default: the local tag).")
    String image;

    @Option(names = "--post-create", paramLabel = "COMMAND", description = "A postCreateCommand (default: none).")
    String postCreate;

    @Option(names = "--from", paramLabel = "FILE",
            description = "Bring up this devcontainer.json (relative to the notebook) instead of writing one.")
    String from;

    @Option(names = "--recreate", description = "With --from: replace the container a previous run made.")
    boolean recreate;

    @Override
    protected void run() throws MagicException {
        if (from != null) {
            if (name != null || image != null || postCreate != null) {
                throw MagicException.usage("--from brings up an existing devcontainer.json: it takes no NAME, --image "
                        + "or --post-create (those write a new file for an environment).");
            }
            DevcontainerConfig config = DevcontainerConfig.read(session().resolve(from), session()::variable);
            new DevcontainerUp(session(), notebook(), family.docker.engine(), family.credentials,
                    family.builder).up(config, recreate);
            return;
        }
        if (name == null) {
            throw MagicException.usage("Name the environment (%env devcontainer NAME), or bring up an existing file "
                    + "with %env devcontainer --from .devcontainer/devcontainer.json.");
        }
        Environments environments = environments();
        Environments.Build build = environments.latestOrFail(name);
        InspectImageResponse inspected = environments.inspect(build.imageId()).orElseThrow(() -> MagicException.failed(
                "The image " + build.tag() + " of " + name + " went away while reading it; build it again."));
        ContainerConfig config = inspected.getConfig();
        List<String> ports = config == null || config.getExposedPorts() == null ? List.of()
                : Arrays.stream(config.getExposedPorts()).map(ExposedPort::toString).toList();
        Path folder = session().workingDirectory();
        Optional<String> command = Optional.ofNullable(postCreate).filter(c -> !c.isBlank());
        Path file = session().resolve(output);
        Devcontainer devcontainer = new Devcontainer(build, Optional.ofNullable(image).filter(i -> !i.isBlank()),
                config == null ? "" : config.getUser(), config == null ? "" : config.getWorkingDir(), ports, folder,
                file, command);
        try {
            // A file Drydock generates is masked like its output (a secret could reach it through ${NAME}).
            AtomicFiles.write(file, session().masker().mask(devcontainer.text()).getBytes(StandardCharsets.UTF_8), false,
                    null);
        } catch (IOException e) {
            throw MagicException.failed("Cannot write " + file + ": " + e.getMessage());
        }
        String where = devcontainer.target().equals(devcontainer.mountSource()) ? "the same path, with the engine's socket"
                : devcontainer.target();
        notebook().out("Wrote " + file + ": it opens " + devcontainer.imageReference() + " with " + folder + " at "
                + where + command.map(c -> ", then runs " + c).orElse("") + ".\n"
                + "In VS Code: open " + Devcontainer.workspace(file) + ", then \"Dev Containers: Reopen in Container\"."
                + Devcontainer.editableHint(folder, command) + "\n");
    }
}

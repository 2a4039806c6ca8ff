package dev.drydock.magics.env;

import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.model.ContainerConfig;
import com.github.dockerjava.api.model.ExposedPort;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.docker.Docker;
import dev.drydock.magics.files.AtomicFiles;
import dev.drydock.magics.registry.RegistryCredentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code %env devcontainer NAME}: a devcontainer.json that opens an environment's image in VS Code. */
@Command(name = "devcontainer", description = {
    "Write a devcontainer.json that opens the newest image of an environment in VS Code (Dev Containers)",
    "or any containers.dev tool: the image by its tag, this notebook's folder mounted at the image's",
    "working directory, its user, ports and labels, and a postCreateCommand where the environment needs",
    "one (an editable pip install when the folder is a Python project). Rebuild the environment, then run",
    "this again to point the file at the new image.",
    "",
    "Example:",
    "  %%env devcontainer train",
    "  %%env devcontainer score --output ../.devcontainer/score/devcontainer.json"})
public final class EnvDevcontainer extends EnvMagic.EnvCommand {

    static final String DEFAULT_OUTPUT = ".devcontainer/devcontainer.json";

    @Parameters(index = "0", paramLabel = "NAME", description = "The environment.")
    String name;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "Where to write it, relative to the notebook (default " + DEFAULT_OUTPUT + ").")
    String output = DEFAULT_OUTPUT;

    @Option(names = "--post-create", paramLabel = "COMMAND",
            description = "The postCreateCommand, instead of the one Drydock picks (\"\" for none).")
    String postCreate;

    public EnvDevcontainer(Session session, Notebook notebook, Docker docker, ImageBuilder builder,
            RegistryCredentials credentials) {
        super(session, notebook, docker, builder, credentials);
    }

    @Override
    protected void run() throws MagicException {
        Environments environments = environments();
        Environments.Build build = environments.latestOrFail(name);
        InspectImageResponse image = environments.inspect(build.imageId()).orElseThrow(() -> MagicException.failed(
                "The image " + build.tag() + " of " + name + " went away while reading it; build it again."));
        ContainerConfig config = image.getConfig();
        List<String> ports = config == null || config.getExposedPorts() == null ? List.of()
                : Arrays.stream(config.getExposedPorts()).map(ExposedPort::toString).toList();
        Path folder = session.workingDirectory();
        Optional<String> command = postCreate == null ? Devcontainer.neededPostCreate(folder)
                : Optional.of(postCreate).filter(c -> !c.isBlank());
        Path file = session.resolve(output);
        Devcontainer devcontainer = new Devcontainer(build, config == null ? "" : config.getUser(),
                config == null ? "" : config.getWorkingDir(), ports, folder, file, command);
        try {
            // A file Drydock generates is masked like its output (a secret could reach it through ${NAME}).
            AtomicFiles.write(file, session.masker().mask(devcontainer.text()).getBytes(StandardCharsets.UTF_8), false,
                    null);
        } catch (IOException e) {
            throw MagicException.failed("Cannot write " + file + ": " + e.getMessage());
        }
        String where = devcontainer.target().equals(devcontainer.mountSource()) ? "the same path, with the engine's socket"
                : devcontainer.target();
        notebook.out("Wrote " + file + ": it opens " + build.tag() + " with " + folder + " at "
                + where + command.map(c -> ", then runs " + c).orElse("") + ".\n"
                + "In VS Code: open " + Devcontainer.workspace(file) + ", then \"Dev Containers: Reopen in Container\".\n");
    }
}

package dev.drydock.magics.env;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The {@code devcontainer.json} (containers.dev) that opens an environment's image in VS Code or any other
 * dev-container tool: the image by its content-addressed tag, the notebook folder mounted where the image
 * works, the image's user and ports, and the environment's labels, so the file says where it came from.
 *
 * @param image the environment's newest image
 * @param reference the reference the file names instead of the local tag, such as a pushed one
 * @param user the image's USER, empty when it has none
 * @param workdir the image's WORKDIR, empty when it has none
 * @param exposedPorts the image's EXPOSEd ports, such as {@code 8888/tcp}
 * @param notebookFolder the host folder of the notebook, mounted into the container
 * @param output where the file goes, which decides the dev-container tool's workspace folder
 * @param postCreateCommand what runs once the container exists, empty for nothing
 */
public record Devcontainer(Environments.Build image, Optional<String> reference, String user, String workdir, List<String> exposedPorts,
        Path notebookFolder, Path output, Optional<String> postCreateCommand) {

    /** Where the notebook folder is mounted when the image names no WORKDIR. */
    static final String DEFAULT_TARGET = "/workspace";

    private static final String DOCKER_SOCKET = "/var/run/docker.sock";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * A hint for a Python project (pyproject.toml or setup.py), where the first seed ran {@code pip install -e .}:
     * not run by default, since pip's isolated build fetches setuptools from PyPI; the offline form is shown.
     */
    static String editableHint(Path notebookFolder, Optional<String> postCreateCommand) {
        if (postCreateCommand.isEmpty() && (Files.isRegularFile(notebookFolder.resolve("pyproject.toml"))
                || Files.isRegularFile(notebookFolder.resolve("setup.py")))) {
            return "\nThis folder is a Python project; to install it in editable mode when the container is made, "
                    + "add --post-create \"python3 -m pip install --user --no-deps --no-build-isolation "
                    + "--break-system-packages -e .\" (offline: it uses the image's setuptools).";
        }
        return "";
    }

    /** The image the file names: the given reference, else the environment's local tag. */
    String imageReference() {
        return reference.orElse(image.tag());
    }

    /**
     * The folder a dev-container tool opens for this file: the parent of {@code .devcontainer/} (also for
     * {@code .devcontainer/NAME/devcontainer.json}), else the folder of a {@code .devcontainer.json}.
     */
    static Path workspace(Path output) {
        Path absolute = output.toAbsolutePath().normalize();
        for (Path folder = absolute.getParent(); folder != null; folder = folder.getParent()) {
            if (folder.getFileName() != null && folder.getFileName().toString().equals(".devcontainer")) {
                return folder.getParent();
            }
        }
        return absolute.getParent();
    }

    /**
     * The notebook folder as the tool sees it, always relative to ${localWorkspaceFolder} (with ../ where the
     * file lies in a subfolder), so the file opens wherever the repository is checked out.
     */
    String mountSource() {
        Path workspace = workspace(output);
        Path folder = notebookFolder.toAbsolutePath().normalize();
        String relative = workspace.relativize(folder).toString().replace('\\', '/');
        return "${localWorkspaceFolder}" + (relative.isEmpty() ? "" : "/" + relative);
    }

    String target() {
        if (orchestrates()) {
            return mountSource();
        }
        return workdir == null || workdir.isBlank() ? DEFAULT_TARGET : workdir;
    }

    /**
     * An EO image runs the Drydock kernel, which drives the host's engine through its socket and hands it
     * paths: the folder is mounted at the same path, so those paths mean the same on the host.
     */
    private boolean orchestrates() {
        return Stage.EO.label().equals(image.stage());
    }

    public ObjectNode json() {
        ObjectNode root = JSON.createObjectNode();
        root.put("name", "Drydock environment " + image.name() + (image.stage().isEmpty() ? "" : " (" + image.stage() + ")"));
        root.put("image", imageReference());
        root.put("workspaceMount", "source=" + mountSource() + ",target=" + target() + ",type=bind");
        root.put("workspaceFolder", target());
        if (user != null && !user.isBlank()) {
            root.put("containerUser", user);
            // The image's user gets the host user's uid, so files written in the mounted folder stay the person's.
            root.put("updateRemoteUserUID", true);
        }
        ArrayNode ports = root.putArray("forwardPorts");
        exposedPorts.stream().map(p -> p.replaceFirst("/tcp$", "")).filter(p -> p.matches("\\d+"))
                .map(Integer::valueOf).sorted().forEach(ports::add);
        if (ports.isEmpty()) {
            root.remove("forwardPorts");
        }
        if (orchestrates()) {
            root.putArray("mounts").add("source=" + DOCKER_SOCKET + ",target=" + DOCKER_SOCKET + ",type=bind");
        }
        ArrayNode runArgs = root.putArray("runArgs");
        runArgs.add("--label").add(Environments.LABEL_ENV + "=" + image.name());
        if ("true".equals(image.labels().get("dev.drydock.gpu"))) {
            runArgs.add("--gpus").add("all");
        }
        postCreateCommand.ifPresent(command -> root.put("postCreateCommand", command));
        ObjectNode drydock = root.putObject("customizations").putObject("drydock");
        drydock.put("environment", image.name());
        drydock.put("imageId", image.imageId());
        drydock.put("rebuild", "%env build " + image.name() + " then %env devcontainer " + image.name());
        // The Dockerfile label is long and multi-line; %env show prints it.
        Map<String, String> labels = new TreeMap<>(image.labels());
        labels.remove(Environments.LABEL_DOCKERFILE);
        drydock.putPOJO("labels", labels);
        return root;
    }

    public String text() {
        try {
            return JSON.writeValueAsString(json()) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings is always JSON", e);
        }
    }
}

package dev.drydock.magics.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drydock.magics.MagicCall;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code %env devcontainer} writes, from an image's facts; no engine needed. */
class EnvDevcontainerTest {

    @TempDir
    Path dir;

    private static final Environments.Build TRAIN = new Environments.Build("drydock/train:0123456789ab",
            "sha256:feedbeef", "train", "train", 1_000, "2026-11-23T09:00:00Z",
            Map.of("dev.drydock.env", "train", "dev.drydock.stage", "train", "dev.drydock.spec-hash", "0123456789abcdef",
                    "dev.drydock.dockerfile", "FROM x\nRUN y\n", "dev.drydock.gpu", "false",
                    "org.opencontainers.image.created", "2026-11-23T09:00:00Z"));

    private JsonNode render(Environments.Build build, Path output, Optional<String> postCreate, List<String> ports)
            throws Exception {
        Path notebooks = Files.createDirectories(dir.resolve("notebooks"));
        return new ObjectMapper().readTree(new Devcontainer(build, Optional.empty(), "drydock", "/home/drydock/work",
                ports, notebooks, output, postCreate).text());
    }

    @Test
    void opensTheImageWithTheNotebookFolderMountedAtItsWorkdir() throws Exception {
        JsonNode json = render(TRAIN, dir.resolve("notebooks/.devcontainer/devcontainer.json"), Optional.empty(),
                List.of("8888/tcp", "5001/tcp", "53/udp"));
        assertEquals("drydock/train:0123456789ab", json.get("image").asText());
        assertEquals("Drydock environment train (train)", json.get("name").asText());
        assertEquals("source=${localWorkspaceFolder},target=/home/drydock/work,type=bind", json.get("workspaceMount").asText());
        assertEquals("/home/drydock/work", json.get("workspaceFolder").asText());
        assertEquals("drydock", json.get("containerUser").asText());
        assertEquals("[5001,8888]", json.get("forwardPorts").toString());
        assertEquals("[\"--label\",\"dev.drydock.env=train\"]", json.get("runArgs").toString());
        assertFalse(json.has("postCreateCommand"));
        JsonNode labels = json.at("/customizations/drydock/labels");
        assertEquals("0123456789abcdef", labels.get("dev.drydock.spec-hash").asText());
        assertFalse(labels.has("dev.drydock.dockerfile"), "the long Dockerfile label stays out");
        assertEquals("sha256:feedbeef", json.at("/customizations/drydock/imageId").asText());
    }

    @Test
    void aFileAboveTheNotebookFolderMountsItRelativeToTheWorkspaceAndGpusAreAsked() throws Exception {
        Map<String, String> labels = new java.util.HashMap<>(TRAIN.labels());
        labels.put("dev.drydock.gpu", "true");
        Environments.Build gpu = new Environments.Build(TRAIN.tag(), TRAIN.imageId(), "train", "train", 1, "now", labels);
        JsonNode json = render(gpu, dir.resolve(".devcontainer/train/devcontainer.json"),
                Optional.of("make setup"), List.of());
        assertEquals("source=${localWorkspaceFolder}/notebooks,target=/home/drydock/work,type=bind",
                json.get("workspaceMount").asText());
        assertEquals("make setup", json.get("postCreateCommand").asText());
        assertFalse(json.has("forwardPorts"));
        assertEquals("[\"--label\",\"dev.drydock.env=train\",\"--gpus\",\"all\"]", json.get("runArgs").toString());

        // A file in a subfolder (02-train's train/.devcontainer/): still relative, never this machine's path.
        JsonNode below = render(TRAIN, dir.resolve("notebooks/train/.devcontainer/devcontainer.json"), Optional.empty(),
                List.of());
        assertEquals("source=${localWorkspaceFolder}/..,target=/home/drydock/work,type=bind",
                below.get("workspaceMount").asText());
        assertFalse(below.toString().contains(dir.toString()), below.toString());
    }

    @Test
    void aPushedReferenceReplacesTheLocalTag() throws Exception {
        Path notebooks = Files.createDirectories(dir.resolve("notebooks"));
        Devcontainer pushed = new Devcontainer(TRAIN, Optional.of("127.0.0.1:5000/drydock/train:1"), "", "", List.of(),
                notebooks, notebooks.resolve(".devcontainer/devcontainer.json"), Optional.empty());
        JsonNode json = new ObjectMapper().readTree(pushed.text());
        assertEquals("127.0.0.1:5000/drydock/train:1", json.get("image").asText());
        assertEquals("sha256:feedbeef", json.at("/customizations/drydock/imageId").asText());
    }

    @Test
    void aPythonProjectIsToldHowToInstallItselfOfflineButNothingRunsUnasked() throws Exception {
        assertEquals("", Devcontainer.editableHint(dir, Optional.empty()));
        Files.writeString(dir.resolve("pyproject.toml"), "[project]\nname = \"demo\"\n");
        String hint = Devcontainer.editableHint(dir, Optional.empty());
        assertTrue(hint.contains("--post-create") && hint.contains("--no-build-isolation"), hint);
        assertEquals("", Devcontainer.editableHint(dir, Optional.of("make setup")));
    }

    @Test
    void answersHelpThroughTheEnvFamily() throws Exception {
        RecordingNotebook notebook = new RecordingNotebook();
        new Magics(new Session(dir)).run(new MagicCall("env", "devcontainer --help", null), notebook);
        assertTrue(notebook.out().startsWith("Usage: %env devcontainer"), notebook.out());
        assertTrue(notebook.out().contains("--output"), notebook.out());
    }

    @Test
    void anEoImageGetsTheEnginesSocketAndTheFolderAtTheSamePath() throws Exception {
        Environments.Build eo = new Environments.Build("drydock/eo:0123456789ab", "sha256:feedbeef", "eo", "eo", 1_000,
                "2026-11-23T09:00:00Z", TRAIN.labels());
        JsonNode json = render(eo, dir.resolve("notebooks/.devcontainer/devcontainer.json"), Optional.empty(),
                List.of("8888/tcp"));
        assertEquals("source=${localWorkspaceFolder},target=${localWorkspaceFolder},type=bind",
                json.get("workspaceMount").asText());
        assertEquals("${localWorkspaceFolder}", json.get("workspaceFolder").asText());
        assertEquals("[\"source=/var/run/docker.sock,target=/var/run/docker.sock,type=bind\"]", json.get("mounts").toString());
        assertFalse(render(TRAIN, dir.resolve("notebooks/.devcontainer/devcontainer.json"), Optional.empty(), List.of())
                .has("mounts"));
    }
}

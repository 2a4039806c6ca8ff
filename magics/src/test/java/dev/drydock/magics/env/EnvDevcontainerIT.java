package dev.drydock.magics.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Image;
import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.engine.Docker;
import dev.drydock.magics.registry.RegistryCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code %env devcontainer} for an environment built on the real engine from the local Debian base (seconds). */
@Tag("integration")
@Tag("docker")
class EnvDevcontainerIT {

    // The busybox base has no /etc/passwd for the stage template's USER root; the Debian one builds in seconds.
    private static final String BASE = "drydock/python:bookworm";

    @TempDir
    static Path dir;

    private static Session session;
    private static Docker docker;
    private static DockerClient client;
    private static Magics magics;

    @BeforeAll
    static void setUp() {
        session = new Session(dir);
        docker = new Docker();
        try {
            client = docker.engine().client();
            client.inspectImageCmd(BASE).exec();
        } catch (MagicException | RuntimeException e) {
            fail("The Docker integration tests need an engine and " + BASE + ": run bin/setup-docker --python-base. " + e.getMessage(), e);
        }
        magics = new Magics(session, List.of(EnvMagic.class), List.of(docker, new ImageBuilder(), new RegistryCredentials()));
    }

    @AfterAll
    static void cleanUp() throws java.io.IOException {
        if (client != null) {
            for (Image image : client.listImagesCmd().withLabelFilter(Map.of(Environments.LABEL_SESSION, session.id())).exec()) {
                try {
                    client.removeImageCmd(image.getId()).withForce(true).exec();
                } catch (RuntimeException ignored) {
                    // Already gone with an image removed just before.
                }
            }
        }
        docker.close();
    }

    private static RecordingNotebook run(String args) throws MagicException {
        RecordingNotebook notebook = new RecordingNotebook(session.masker());
        magics.run(new MagicCall("env", args, null), notebook);
        return notebook;
    }

    @Test
    void writesADevcontainerForTheNewestImageOfAnEnvironment() throws Exception {
        run("build itdevc --base " + BASE + " --stage score");
        Environments.Build build = new Environments(session, docker.engine(), new ImageBuilder(), null).latestOrFail("itdevc");
        Files.writeString(dir.resolve("setup.py"), "from setuptools import setup\nsetup(name='demo')\n");

        RecordingNotebook written = run("devcontainer itdevc");

        Path file = dir.resolve(".devcontainer/devcontainer.json");
        assertTrue(written.out().startsWith("Wrote " + file + ": it opens " + build.tag()), written.out());
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertEquals(build.tag(), json.get("image").asText());
        assertEquals("drydock", json.get("containerUser").asText());
        assertEquals("source=${localWorkspaceFolder},target=/home/drydock/work,type=bind", json.get("workspaceMount").asText());
        // The score stage's template EXPOSEs the scoring server's port.
        assertEquals("[5001]", json.get("forwardPorts").toString());
        assertTrue(json.get("postCreateCommand").asText().endsWith("pip install --user --no-deps --break-system-packages -e ."));
        assertEquals("score", json.at("/customizations/drydock/labels/dev.drydock.stage").asText());
        assertEquals(session.id(), json.at("/customizations/drydock/labels/dev.drydock.session").asText());

        run("devcontainer itdevc --output elsewhere/.devcontainer.json --post-create \"\"");
        JsonNode other = new ObjectMapper().readTree(dir.resolve("elsewhere/.devcontainer.json").toFile());
        assertEquals("source=" + dir + ",target=/home/drydock/work,type=bind", other.get("workspaceMount").asText());
        assertTrue(!other.has("postCreateCommand"), other.toString());
    }

    @Test
    void anEnvironmentWithoutAnImageIsAClearError() {
        MagicException e = org.junit.jupiter.api.Assertions.assertThrows(MagicException.class,
                () -> run("devcontainer never-built"));
        assertEquals("Environment never-built has no image yet: run %env build never-built first.", e.getMessage());
    }
}

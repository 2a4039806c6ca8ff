package dev.drydock.magics.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        // Nothing that needs PyPI runs unasked; the Python project is told how to install itself offline.
        assertFalse(json.has("postCreateCommand"), json.toString());
        assertTrue(written.out().contains("--no-build-isolation"), written.out());
        assertEquals("score", json.at("/customizations/drydock/labels/dev.drydock.stage").asText());
        assertEquals(session.id(), json.at("/customizations/drydock/labels/dev.drydock.session").asText());

        run("devcontainer itdevc --output sub/.devcontainer/devcontainer.json --image 127.0.0.1:5000/it/devc:1 "
                + "--post-create \"make setup\"");
        JsonNode other = new ObjectMapper().readTree(dir.resolve("sub/.devcontainer/devcontainer.json").toFile());
        assertEquals("source=${localWorkspaceFolder}/..,target=/home/drydock/work,type=bind",
                other.get("workspaceMount").asText());
        assertEquals("127.0.0.1:5000/it/devc:1", other.get("image").asText());
        assertEquals("make setup", other.get("postCreateCommand").asText());
    }

    @Test
    void anEnvironmentWithoutAnImageIsAClearError() {
        MagicException e = org.junit.jupiter.api.Assertions.assertThrows(MagicException.class,
                () -> run("devcontainer never-built"));
        assertEquals("Environment never-built has no image yet: run %env build never-built first.", e.getMessage());
    }

    /**
     * A repository's own devcontainer.json (JSON with comments), brought up as {@code devcontainer up} does:
     * a two-stage Dockerfile built at its target with a build argument, the workspace and a mount, a forwarded
     * port on the loopback, containerEnv, and the postCreateCommand run as remoteUser, leaving a file in the
     * workspace. The feature is named as not applied; a second run reuses the container.
     */
    @Test
    void fromAnExistingDevcontainerJsonBuildsStartsAndRunsItsPostCreateCommand() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("repo-" + Long.toHexString(System.nanoTime())));
        Files.createDirectories(repo.resolve("data"));
        Files.writeString(repo.resolve("data/input.txt"), "data-file\n");
        // The remote user is not the test's: it must be able to write its file into the workspace.
        Files.setPosixFilePermissions(repo, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        Path config = Files.createDirectories(repo.resolve(".devcontainer"));
        Files.writeString(config.resolve("Dockerfile"), """
                FROM %s AS base
                ARG GREETING_ARG=none
                RUN echo "$GREETING_ARG" > /built-with
                FROM base AS dev
                RUN echo dev > /stage
                FROM base AS unused
                RUN false
                """.formatted(BASE));
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Files.writeString(config.resolve("devcontainer.json"), """
                {
                  // As the zeroth seed's: a Dockerfile beside this file, built at one stage.
                  "name": "it",
                  "build": {"dockerfile": "Dockerfile", "context": ".", "args": {"GREETING_ARG": "hello-arg"},
                            "target": "dev"},
                  "mounts": ["source=${localWorkspaceFolder}/data,target=/data,type=bind,readonly"],
                  "forwardPorts": [%d],
                  "containerEnv": {"GREETING": "hi-${localWorkspaceFolderBasename}"},
                  "remoteUser": "nobody",
                  "features": {"ghcr.io/devcontainers/features/python:1": {}},
                  "postCreateCommand": "echo \\"$GREETING $(id -un) $(cat /built-with) $(cat /stage) $(cat /data/input.txt) $(pwd)\\" > created-by-post-create",
                }
                """.formatted(port));

        RecordingNotebook up = run("devcontainer --from repo/../" + repo.getFileName() + "/.devcontainer/devcontainer.json");
        String name = DevcontainerUp.containerName(DevcontainerConfig.read(config.resolve("devcontainer.json"),
                key -> java.util.Optional.empty()));
        try {
            assertTrue(up.err().contains("Not applied from devcontainer.json: features "
                    + "ghcr.io/devcontainers/features/python:1"), up.err());
            Path created = repo.resolve("created-by-post-create");
            String folder = "/workspaces/" + repo.getFileName();
            assertEquals("hi-" + repo.getFileName() + " nobody hello-arg dev data-file " + folder + "\n",
                    Files.readString(created));
            assertTrue(up.out().contains("Started " + name), up.out());

            var inspect = client.inspectContainerCmd(name).exec();
            assertTrue(List.of(inspect.getConfig().getEnv()).contains("GREETING=hi-" + repo.getFileName()));
            var bindings = inspect.getHostConfig().getPortBindings().getBindings()
                    .get(com.github.dockerjava.api.model.ExposedPort.tcp(port));
            assertEquals("127.0.0.1:" + port, bindings[0].getHostIp() + ":" + bindings[0].getHostPortSpec());
            assertTrue(inspect.getMounts().stream().anyMatch(m -> "/data".equals(m.getDestination().getPath())
                    && Boolean.FALSE.equals(m.getRW())), inspect.getMounts().toString());
            assertTrue(inspect.getMounts().stream().anyMatch(m -> folder.equals(m.getDestination().getPath())));

            // As the CLI: the same file and folder find the same container, and its create commands do not run again.
            Files.delete(created);
            RecordingNotebook again = run("devcontainer --from " + repo.getFileName() + "/.devcontainer/devcontainer.json");
            assertTrue(again.out().contains("is running already"), again.out());
            assertFalse(Files.exists(created));
            run("devcontainer --from " + repo.getFileName() + "/.devcontainer/devcontainer.json --recreate");
            assertTrue(Files.exists(created));
        } finally {
            for (var container : client.listContainersCmd().withShowAll(true).withNameFilter(List.of(name)).exec()) {
                client.removeContainerCmd(container.getId()).withForce(true).exec();
            }
            for (Image image : client.listImagesCmd().withLabelFilter(Map.of(DevcontainerUp.LABEL_LOCAL_FOLDER,
                    repo.toString())).exec()) {
                client.removeImageCmd(image.getId()).withForce(true).exec();
            }
        }
    }

    @Test
    void aFailingPostCreateCommandSaysWhichAndKeepsTheContainerToLookInside() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("failing-" + Long.toHexString(System.nanoTime())));
        Files.createDirectories(repo.resolve(".devcontainer"));
        Files.writeString(repo.resolve(".devcontainer/devcontainer.json"), """
                {"image": "%s", "postCreateCommand": ["sh", "-c", "echo about to fail; exit 3"]}
                """.formatted(BASE));
        String name = DevcontainerUp.containerName(DevcontainerConfig.read(repo.resolve(".devcontainer/devcontainer.json"),
                key -> java.util.Optional.empty()));
        try {
            MagicException e = org.junit.jupiter.api.Assertions.assertThrows(MagicException.class,
                    () -> run("devcontainer --from " + repo.getFileName() + "/.devcontainer/devcontainer.json"));
            assertTrue(e.getMessage().startsWith("The postCreateCommand `sh -c echo about to fail; exit 3` exited with "
                    + "status 3 in " + name), e.getMessage());
        } finally {
            for (var container : client.listContainersCmd().withShowAll(true).withNameFilter(List.of(name)).exec()) {
                client.removeContainerCmd(container.getId()).withForce(true).exec();
            }
        }
    }
}

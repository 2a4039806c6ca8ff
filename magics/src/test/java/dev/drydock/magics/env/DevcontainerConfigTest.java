package dev.drydock.magics.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import dev.drydock.magics.MagicException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** devcontainer.json read as the devcontainers CLI reads the keys Drydock applies. */
class DevcontainerConfigTest {

    @TempDir
    Path dir;

    private DevcontainerConfig write(String json) throws Exception {
        Path file = Files.createDirectories(dir.resolve("proj/.devcontainer")).resolve("devcontainer.json");
        Files.writeString(file, json);
        return DevcontainerConfig.read(file, name -> Optional.ofNullable(Map.of("HOME_DIR", "/home/ann").get(name)));
    }

    @Test
    void variablesCommentsAndTheClisDefaults() throws Exception {
        DevcontainerConfig config = write("""
                {
                  /* the seed's */ "image": "mcr.microsoft.com/devcontainers/python:3.11", // trailing comment
                  "mounts": ["source=${localEnv:HOME_DIR}/.ssh,target=/root/.ssh,type=bind,readonly",
                             {"source": "cache", "target": "/cache", "type": "volume"}],
                  "containerEnv": {"WS": "${containerWorkspaceFolder}", "MISSING": "${localEnv:NOPE:fallback}"},
                  "forwardPorts": [8888, "5001", "db:5432"],
                  "appPort": 8888,
                  "postCreateCommand": {"a": "pip list", "b": ["echo", "x y"]},
                  "features": {"ghcr.io/devcontainers/features/git:1": {}},
                  "runArgs": ["--cap-add=SYS_PTRACE"],
                  "hostRequirements": {"gpu": true},
                }
                """);
        Path workspace = dir.resolve("proj");
        assertEquals(workspace, config.workspace());
        assertEquals("/workspaces/proj", config.workspaceFolder());
        assertEquals("type=bind,source=" + workspace + ",target=/workspaces/proj", config.workspaceMount());
        assertEquals(List.of("source=/home/ann/.ssh,target=/root/.ssh,type=bind,readonly",
                "type=volume,source=cache,target=/cache"), config.mounts());
        assertEquals(Map.of("WS", "/workspaces/proj", "MISSING", "fallback"), config.containerEnv());
        assertEquals(List.of(8888, 5001), config.ports());
        assertEquals(List.of(List.of("/bin/sh", "-c", "pip list"), List.of("echo", "x y")),
                config.lifecycle("postCreateCommand"));
        assertEquals(List.of(), config.lifecycle("postStartCommand"));
        assertEquals(List.of("ghcr.io/devcontainers/features/git:1"), config.features());
        assertEquals(List.of("--cap-add=SYS_PTRACE"), config.runArgs());
        assertEquals(List.of("hostRequirements"), config.unknownKeys());
        assertTrue(config.overrideCommand());
        assertEquals(Optional.empty(), config.build());
    }

    @Test
    void buildPathsAreRelativeToTheFileAndTheWorkspaceFolderCanMove() throws Exception {
        Files.createDirectories(dir.resolve("proj/.devcontainer"));
        Files.writeString(dir.resolve("proj/.devcontainer/Dockerfile"), "FROM x\n");
        DevcontainerConfig config = write("""
                {"build": {"dockerfile": "Dockerfile", "context": "..", "args": {"V": "${localWorkspaceFolderBasename}"},
                           "target": "dev"},
                 "workspaceFolder": "/src/${localWorkspaceFolderBasename}",
                 "workspaceMount": "source=${localWorkspaceFolder},target=${containerWorkspaceFolder},type=bind",
                 "containerUser": "app", "overrideCommand": false}
                """);
        DevcontainerConfig.Build build = config.build().orElseThrow();
        assertEquals(dir.resolve("proj/.devcontainer/Dockerfile"), build.dockerfile());
        assertEquals(dir.resolve("proj"), build.context());
        assertEquals(Map.of("V", "proj"), build.args());
        assertEquals("dev", build.target());
        assertEquals("/src/proj", config.workspaceFolder());
        assertEquals("source=" + dir.resolve("proj") + ",target=/src/proj,type=bind", config.workspaceMount());
        assertEquals(Optional.of("app"), config.remoteUser(), "remoteUser defaults to containerUser");
        assertTrue(!config.overrideCommand());
    }

    @Test
    void mountStringsBecomeEngineMounts() throws Exception {
        Mount bind = DevcontainerUp.mount("source=/a,target=/b,type=bind,readonly,consistency=cached", "mounts");
        assertEquals(MountType.BIND, bind.getType());
        assertEquals("/a", bind.getSource());
        assertEquals("/b", bind.getTarget());
        assertEquals(Boolean.TRUE, bind.getReadOnly());
        assertEquals(MountType.VOLUME, DevcontainerUp.mount("type=volume,src=v,dst=/v", "mounts").getType());
        MagicException bad = assertThrows(MagicException.class, () -> DevcontainerUp.mount("source=/a,target=/b,foo=1", "mounts"));
        assertTrue(bad.getMessage().contains("foo"), bad.getMessage());
    }

    @Test
    void unreadableFilesAreClearErrors() throws Exception {
        MagicException broken = assertThrows(MagicException.class, () -> write("{\"image\": "));
        assertTrue(broken.getMessage().startsWith("Cannot read ") && broken.getMessage().contains("devcontainer.json"),
                broken.getMessage());
        Files.createDirectories(dir.resolve("proj/.devcontainer"));
        MagicException missing = assertThrows(MagicException.class,
                () -> write("{\"build\": {\"dockerfile\": \"Nope\"}}").build());
        assertTrue(missing.getMessage().contains("is not a file"), missing.getMessage());
    }
}

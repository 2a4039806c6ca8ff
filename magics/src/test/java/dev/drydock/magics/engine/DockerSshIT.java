package dev.drydock.magics.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Image;
import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.api.MagicFamilies;
import dev.drydock.magics.container.HostUser;
import dev.drydock.magics.container.ImageResolver;
import dev.drydock.magics.env.Environments;
import dev.drydock.magics.env.ImageBuilder;
import dev.drydock.magics.registry.RegistryCredentials;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An {@code ssh://} engine, end to end: Debian's sshd on a spare port of 127.0.0.1 with its own host key and
 * one authorized key (bin/setup-docker installs openssh-server), in front of this machine's engine. Drydock
 * reaches it as the docker CLI would, through {@code ssh … docker system dial-stdio}, from DOCKER_HOST and
 * from a context the docker CLI itself created. The ssh client finds the test's key and known_hosts through
 * an {@code ssh} on PATH that adds {@code -F} (ssh reads ~/.ssh from the passwd entry, not from HOME).
 */
@Tag("integration")
@Tag("docker")
class DockerSshIT {

    private static final String IMAGE = "drydock/busybox:1";
    private static final String PYTHON = "drydock/python:bookworm";

    @TempDir
    static Path dir;

    private static Process sshd;
    private static int port;
    private static String user;
    private static Map<String, String> env;

    @BeforeAll
    static void startSshd() throws Exception {
        Path sshdBinary = Path.of("/usr/sbin/sshd");
        if (!Files.isExecutable(sshdBinary) || !Files.isExecutable(Path.of("/usr/bin/ssh-keygen"))) {
            fail("The ssh engine test needs Debian's openssh-server: run bin/setup-docker.");
        }
        user = System.getProperty("user.name");
        Path keys = Files.createDirectories(dir.resolve("keys"));
        keygen(keys.resolve("host_key"));
        keygen(keys.resolve("user_key"));
        Files.copy(keys.resolve("user_key.pub"), keys.resolve("authorized_keys"));
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path config = keys.resolve("sshd_config");
        Files.writeString(config, String.join("\n",
                "Port " + port,
                "ListenAddress 127.0.0.1",
                "HostKey " + keys.resolve("host_key"),
                "AuthorizedKeysFile " + keys.resolve("authorized_keys"),
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "StrictModes no",
                "UsePAM no",
                "PidFile " + keys.resolve("sshd.pid"),
                ""));
        // The privilege-separation folder Debian's init script makes; sshd refuses to start without it.
        Files.createDirectories(Path.of("/run/sshd"));
        sshd = new ProcessBuilder(sshdBinary.toString(), "-D", "-e", "-f", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("sshd.log").toFile()).start();
        awaitListening();

        Path clientConfig = keys.resolve("ssh_config");
        Files.writeString(keys.resolve("known_hosts"), "[127.0.0.1]:" + port + " "
                + Files.readString(keys.resolve("host_key.pub")));
        Files.writeString(clientConfig, String.join("\n",
                "Host 127.0.0.1",
                "  IdentityFile " + keys.resolve("user_key"),
                "  IdentitiesOnly yes",
                "  UserKnownHostsFile " + keys.resolve("known_hosts"),
                "  StrictHostKeyChecking yes",
                ""));
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path wrapper = bin.resolve("ssh");
        Files.writeString(wrapper, "#!/bin/sh\nexec /usr/bin/ssh -F " + clientConfig + " \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        env = new HashMap<>(System.getenv());
        env.put("PATH", bin + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("DOCKER_CONFIG", Files.createDirectories(dir.resolve("docker-config")).toString());
        env.remove("DOCKER_HOST");
        env.remove("DOCKER_CONTEXT");
    }

    private static void keygen(Path file) throws Exception {
        Process keygen = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", file.toString())
                .redirectErrorStream(true).start();
        String output = new String(keygen.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, keygen.waitFor(), output);
    }

    private static void awaitListening() throws Exception {
        for (int i = 0; i < 100; i++) {
            try {
                new Socket("127.0.0.1", port).close();
                return;
            } catch (IOException notYet) {
                if (!sshd.isAlive()) {
                    fail("sshd did not start: " + Files.readString(dir.resolve("sshd.log")));
                }
                Thread.sleep(100);
            }
        }
        fail("sshd does not listen on " + port + ": " + Files.readString(dir.resolve("sshd.log")));
    }

    @AfterAll
    static void stopSshd() throws Exception {
        if (sshd != null) {
            sshd.destroy();
            sshd.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Magics magics(Session session, Docker docker) {
        return new Magics(session, MagicFamilies.ALL, List.of(docker, new RegistryCredentials(), HostUser.current(),
                ImageResolver.IMAGE_NAMES, new ImageBuilder()));
    }

    private static RecordingNotebook run(Magics magics, String family, String args) throws MagicException {
        RecordingNotebook notebook = new RecordingNotebook();
        magics.run(new MagicCall(family, args, null), notebook);
        return notebook;
    }

    @Test
    void dockerHostSshRunsContainersBuildsEnvironmentsAndRefusesLocalBindMounts() throws Exception {
        Map<String, String> sshEnv = new HashMap<>(env);
        sshEnv.put("DOCKER_HOST", "ssh://" + user + "@127.0.0.1:" + port);
        DockerConfig config = DockerConfig.resolve(sshEnv, dir);
        Session session = new Session(Files.createDirectories(dir.resolve("notebook")), Map.of());
        try (Docker docker = new Docker(() -> new DockerEngine(config))) {
            Magics magics = magics(session, docker);
            RecordingNotebook hello = run(magics, "container", "run --rm " + IMAGE + " echo hello over ssh");
            assertEquals("hello over ssh\n", hello.out());

            MagicException local = assertThrows(MagicException.class,
                    () -> run(magics, "container", "run --rm -v ./x:/x " + IMAGE + " ls /x"));
            assertTrue(local.getMessage().contains("the Docker engine runs on 127.0.0.1, so a bind mount names a folder"
                    + " of 127.0.0.1"), local.getMessage());
            RecordingNotebook remote = run(magics, "container", "run --rm -v /etc:/host-etc:ro " + IMAGE
                    + " ls /host-etc/hostname");
            assertTrue(remote.err().contains("/etc are folders of that machine"), remote.err());

            // Jupyter's port is the engine machine's: the cell says how to forward it instead of waiting for it.
            String fakeJupyter = "drydock-it/fake-jupyter-ssh:" + Long.toHexString(System.nanoTime());
            Process build = new ProcessBuilder("docker", "build", "-q", "-t", fakeJupyter, "-")
                    .redirectErrorStream(true).start();
            build.getOutputStream().write(("FROM " + IMAGE + "\nRUN mkdir -p /usr/local/bin /www && printf "
                    + "'#!/bin/sh\\nexec httpd -f -p 8888 -h /www\\n' > /usr/local/bin/jupyter "
                    + "&& chmod 755 /usr/local/bin/jupyter\n").getBytes(StandardCharsets.UTF_8));
            build.getOutputStream().close();
            String buildOutput = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, build.waitFor(), buildOutput);
            try {
                RecordingNotebook jupyter = run(magics, "container", "jupyter " + fakeJupyter);
                assertTrue(jupyter.out().contains("Reach it from your machine through ssh: ssh -N -L "), jupyter.out());
                assertTrue(jupyter.out().contains(" " + user + "@127.0.0.1 -p " + port + ", then open http://127.0.0.1:"),
                        jupyter.out());
                String jupyterName = jupyter.out().substring("Jupyter is starting in ".length(),
                        jupyter.out().indexOf(" on "));
                run(magics, "container", "rm -f " + jupyterName);
            } finally {
                new ProcessBuilder("docker", "rmi", "-f", fakeJupyter).start().waitFor();
            }

            String name = "sshenv" + Long.toHexString(System.nanoTime());
            RecordingNotebook built = run(magics, "env", "build " + name + " --base " + PYTHON + " --stage score");
            DockerClient client = docker.engine().client();
            List<Image> images = client.listImagesCmd().withLabelFilter(Map.of(Environments.LABEL_SESSION,
                    session.id())).exec();
            try {
                assertEquals(1, images.size(), built.out() + built.err());
                RecordingNotebook again = run(magics, "env", "build " + name + " --base " + PYTHON + " --stage score");
                assertTrue(again.out().contains("unchanged"), again.out());
            } finally {
                for (Image image : images) {
                    client.removeImageCmd(image.getId()).withForce(true).exec();
                }
            }
        }
    }

    /** A context made by the docker CLI itself (docker context create NAME --docker host=ssh://…). */
    @Test
    void aDockerContextWithAnSshHostIsUsedAsTheCliUsesIt() throws Exception {
        Process create = new ProcessBuilder("docker", "--config", env.get("DOCKER_CONFIG"), "context", "create",
                "drydock-ssh-it", "--docker", "host=ssh://" + user + "@127.0.0.1:" + port)
                .redirectErrorStream(true).start();
        String output = new String(create.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, create.waitFor(), output);
        Map<String, String> contextEnv = new HashMap<>(env);
        contextEnv.put("DOCKER_CONTEXT", "drydock-ssh-it");
        DockerConfig config = DockerConfig.resolve(contextEnv, dir);
        assertTrue(config.source().contains("drydock-ssh-it"), config.source());
        try (Docker docker = new Docker(() -> new DockerEngine(config))) {
            Magics magics = magics(new Session(dir, Map.of()), docker);
            assertEquals("via context\n", run(magics, "container", "run --rm " + IMAGE + " echo via context").out());
        }
    }

    /** A key the server does not take: ssh's own reason and the command to try by hand, within the ping's time. */
    @Test
    void aRefusedLoginSaysWhatSshSaid() throws Exception {
        Map<String, String> refused = new HashMap<>(env);
        refused.put("DOCKER_HOST", "ssh://nobody-here@127.0.0.1:" + port);
        try (DockerEngine engine = new DockerEngine(DockerConfig.resolve(refused, dir))) {
            MagicException e = assertThrows(MagicException.class, engine::ping);
            assertTrue(e.getMessage().contains("Permission denied"), e.getMessage());
            assertTrue(e.getMessage().contains("docker system dial-stdio"), e.getMessage());
        }
    }
}

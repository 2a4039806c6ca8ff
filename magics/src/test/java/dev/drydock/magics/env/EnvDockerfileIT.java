package dev.drydock.magics.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.Image;
import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.engine.Docker;
import dev.drydock.magics.registry.RegistryCredentials;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code %env build NAME --dockerfile FILE}: a user's two-stage Dockerfile as an environment, against the real
 * engine, with the builder counted so "unchanged" provably made no build.
 */
@Tag("integration")
@Tag("docker")
class EnvDockerfileIT {

    private static final Path CREDENTIALS = Path.of("/tmp/drydock-registry/credentials.env");

    @TempDir
    Path dir;

    private final Docker docker = new Docker();
    private final EnvBuildIT.CountingBuilder builder = new EnvBuildIT.CountingBuilder();
    private final RegistryCredentials credentials = new RegistryCredentials();
    private Session session;
    private Magics magics;

    private RecordingNotebook run(String args) throws MagicException {
        RecordingNotebook notebook = new RecordingNotebook(session.masker());
        magics.run(new MagicCall("env", args, null), notebook);
        return notebook;
    }

    @AfterEach
    void removeImages() throws Exception {
        for (Image image : docker.engine().client().listImagesCmd()
                .withLabelFilter(Map.of(Environments.LABEL_SESSION, session.id())).exec()) {
            try {
                docker.engine().client().removeImageCmd(image.getId()).withForce(true).exec();
            } catch (RuntimeException ignored) {
                // Layers shared with an image removed just before.
            }
        }
        docker.close();
    }

    @Test
    void aTwoStageDockerfileIsAnEnvironmentRebuiltOnlyWhenItsContextChanges() throws Exception {
        session = new Session(dir);
        magics = new Magics(session, List.of(EnvMagic.class), List.of(docker, builder, credentials));
        String nonce = Long.toHexString(System.nanoTime());
        Path project = Files.createDirectories(dir.resolve("project"));
        Files.createDirectories(project.resolve("app"));
        Files.writeString(project.resolve("Dockerfile"), """
                FROM drydock/python:bookworm AS train
                COPY app/ /app/
                RUN python3 -c "import sys; sys.path.insert(0, '/app'); import model; print(model.NAME)"
                FROM train AS serve
                RUN touch /serving
                """);
        Files.writeString(project.resolve("app/model.py"), "NAME = 'model-" + nonce + "'\n");
        Files.writeString(project.resolve(".dockerignore"), "notes.md\n");
        Files.writeString(project.resolve("notes.md"), "draft\n");
        Files.writeString(project.resolve("pins.txt"), "pip==23.0.1\n");

        String define = "build svc --dockerfile project/Dockerfile --target train --pip project/pins.txt";
        RecordingNotebook first = run(define);
        assertTrue(first.out().startsWith("Building svc for the first time as drydock/svc:"), first.out());
        assertTrue(first.out().contains("from Dockerfile, stage train"), first.out());
        assertEquals(1, builder.calls.get());
        Environments environments = new Environments(session, docker.engine(), builder, credentials);
        Environments.Build built = environments.latestOrFail("svc");
        assertEquals("train", built.labels().get(Environments.LABEL_TARGET));
        assertEquals(project.resolve("Dockerfile").toString(), built.labels().get(Environments.LABEL_DOCKERFILE_PATH));
        assertTrue(built.labels().get(Environments.LABEL_DOCKERFILE).contains("AS serve"));
        assertEquals("no-serving", environments.capture(built.tag(),
                "test -e /serving && echo serving || echo no-serving", new RecordingNotebook()).strip(),
                "--target train stops before the serve stage");

        RecordingNotebook again = run(define);
        assertTrue(again.out().startsWith("svc unchanged: image " + built.tag()), again.out());
        Files.writeString(project.resolve("notes.md"), "a file .dockerignore leaves out changes nothing\n");
        assertTrue(run(define).out().startsWith("svc unchanged"), "an ignored file is not part of the hash");
        assertEquals(1, builder.calls.get(), "unchanged: no call to the builder");

        Files.writeString(project.resolve("app/model.py"), "NAME = 'model-" + nonce + "-v2'\n");
        RecordingNotebook changed = run(define);
        assertTrue(changed.out().contains("Rebuilding svc as drydock/svc:"), changed.out());
        assertTrue(changed.out().contains("context file app/model.py changed since " + built.tag()), changed.out());
        assertEquals(2, builder.calls.get());
        assertTrue(builder.lastLog.contains("model-" + nonce + "-v2"), "the changed file reached the build");

        Files.writeString(project.resolve("Dockerfile"), Files.readString(project.resolve("Dockerfile"))
                .replace("RUN touch /serving", "RUN touch /serving /ready"));
        RecordingNotebook edited = run(define);
        assertTrue(edited.out().contains(": the Dockerfile changed since "), edited.out());
        assertEquals(3, builder.calls.get());

        // The family works on it as on rendered environments.
        RecordingNotebook verify = run("verify svc");
        assertTrue(verify.out().contains("All 1 pinned packages of svc match"), verify.out());
        RecordingNotebook lock = run("lock svc");
        assertTrue(lock.out().startsWith("Locked svc"), lock.out());
        assertTrue(Files.readString(dir.resolve("svc.lock.txt")).startsWith("# Locked by %env lock svc from drydock/svc:"));
        assertTrue(run("show svc").out().contains("FROM train AS serve"));
        RecordingNotebook devcontainer = run("devcontainer svc");
        assertTrue(devcontainer.out().startsWith("Wrote "), devcontainer.out());
        String json = Files.readString(dir.resolve(".devcontainer/devcontainer.json"));
        assertTrue(json.contains("\"image\" : \"drydock/svc:") || json.contains("\"image\": \"drydock/svc:"), json);
        MagicException locked = assertThrows(MagicException.class, () -> run("build svc --locked"));
        assertTrue(locked.getMessage().contains("built from its Dockerfile"), locked.getMessage());

        Properties registry = new Properties();
        try (Reader reader = Files.newBufferedReader(CREDENTIALS)) {
            registry.load(reader);
        }
        String address = registry.getProperty("REGISTRY");
        credentials.remember(new AuthConfig().withRegistryAddress(address)
                .withUsername(registry.getProperty("REGISTRY_USERNAME"))
                .withPassword(registry.getProperty("REGISTRY_PASSWORD")));
        RecordingNotebook push = run("push svc " + address + "/drydock-it/svc:" + nonce);
        assertTrue(push.out().contains("Pushed drydock/svc:"), push.out());
        docker.engine().client().removeImageCmd(address + "/drydock-it/svc:" + nonce).exec();

        // The same in environments.yml: the whole serve stage this time, context given explicitly.
        Files.writeString(dir.resolve("environments.yml"), """
                environments:
                  serve:
                    dockerfile: project/Dockerfile
                    context: project
                """);
        RecordingNotebook yml = run("build serve");
        assertTrue(yml.out().contains("Built drydock/serve:"), yml.out());
        Environments.Build serve = environments.latestOrFail("serve");
        assertEquals("serving", environments.capture(serve.tag(), "test -e /serving && echo serving",
                new RecordingNotebook()).strip());
        assertFalse(serve.labels().containsKey(Environments.LABEL_TARGET));
        RecordingNotebook diff = run("diff svc serve");
        assertTrue(diff.out().startsWith("No package differences between drydock/svc:"), diff.out());
    }

    @Test
    void theO16nStageIsASlimNonRootServingImage() throws Exception {
        session = new Session(dir);
        magics = new Magics(session, List.of(EnvMagic.class), List.of(docker, builder, credentials));
        RecordingNotebook build = run("build slim --base drydock/python:bookworm --stage o16n");
        assertTrue(build.out().contains("Built drydock/slim:"), build.out());
        Environments.Build built = new Environments(session, docker.engine(), builder, credentials).latestOrFail("slim");
        assertEquals("deploy", built.stage());
        var config = docker.engine().client().inspectImageCmd(built.imageId()).exec().getConfig();
        assertEquals("scorer", config.getUser());
        assertEquals(List.of("python3", "/opt/drydock/score_server.py"), List.of(config.getEntrypoint()));
        assertTrue(config.getHealthcheck() != null && config.getHealthcheck().getTest().toString().contains("/health"));
        long ml = docker.engine().client().inspectImageCmd("drydock/ml:bookworm").exec().getSize();
        assertTrue(built.size() < ml / 2, "slim: " + built.size() + " bytes against the ML base's " + ml);
    }
}

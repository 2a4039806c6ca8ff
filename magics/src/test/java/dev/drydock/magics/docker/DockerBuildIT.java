package dev.drydock.magics.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.api.MagicFamilies;
import dev.drydock.magics.container.HostUser;
import dev.drydock.magics.container.ImageResolver;
import dev.drydock.magics.engine.Docker;
import dev.drydock.magics.registry.RegistryCredentials;
import dev.drydock.magics.env.ImageBuilder;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code %docker build} against the real engine: targets, .dockerignore, labels, secrets and a failing step. */
@Tag("integration")
@Tag("docker")
class DockerBuildIT {

    @TempDir
    Path folder;

    private final String nonce = Long.toHexString(System.nanoTime());
    private final Docker docker = new Docker();
    private final List<String> images = new ArrayList<>();
    private Session session;
    private Magics magics;

    private RecordingNotebook run(String args) throws MagicException {
        if (magics == null) {
            session = new Session(folder, Map.of());
            magics = new Magics(session, MagicFamilies.ALL, List.of(docker, new RegistryCredentials(),
                    HostUser.current(), ImageResolver.IMAGE_NAMES, new ImageBuilder()));
        }
        RecordingNotebook notebook = new RecordingNotebook(session.masker());
        magics.run(new MagicCall("docker", args, null), notebook);
        return notebook;
    }

    @AfterEach
    void removeImages() throws Exception {
        for (String image : images) {
            try {
                docker.engine().client().removeImageCmd(image).withForce(true).exec();
            } catch (RuntimeException ignored) {
                // Never built.
            }
        }
        docker.close();
    }

    private byte[] save(String image) throws Exception {
        try (InputStream in = docker.engine().client().saveImageCmd(image).exec()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        }
    }

    private static boolean contains(byte[] haystack, String needle) {
        return new String(haystack, StandardCharsets.ISO_8859_1).contains(needle);
    }

    @Test
    void buildsTheTargetStageOfWhatDockerignoreLetsThrough() throws Exception {
        String image = "drydock-it/dbuild:" + nonce;
        images.add(image);
        Files.writeString(folder.resolve("Dockerfile"), """
                FROM drydock/busybox:1 AS base
                ARG GREETING
                COPY . /ctx
                RUN echo "stage-$((40+2))-base $GREETING" > /stage
                FROM base AS final
                RUN echo "stage-$((40+3))-final" > /stage2
                """);
        Files.writeString(folder.resolve(".dockerignore"), "secret.txt\ndata/\n*.log\n");
        Files.writeString(folder.resolve("app.txt"), "app-" + nonce + "-content\n");
        Files.writeString(folder.resolve("secret.txt"), "hidden-" + nonce + "-content\n");
        Files.createDirectories(folder.resolve("data"));
        Files.writeString(folder.resolve("data/rows.csv"), "rows-" + nonce + "-content\n");
        Files.createDirectories(folder.resolve("sub"));
        Files.writeString(folder.resolve("sub/x.log"), "nested-log-" + nonce + "\n");

        RecordingNotebook build = run("build -t " + image + " --target base --build-arg GREETING=hi-" + nonce
                + " --label team=ml --no-cache .");
        assertTrue(build.out().startsWith("Built ") && build.out().contains(" as " + image), build.out());
        assertFalse(build.displays().isEmpty(), "a live progress display");

        Map<String, String> labels = docker.engine().client().inspectImageCmd(image).exec().getConfig().getLabels();
        assertEquals("ml", labels.get("team"));
        byte[] saved = save(image);
        assertTrue(contains(saved, "app-" + nonce + "-content"), "the context's files are in the image");
        assertTrue(contains(saved, "stage-42-base hi-" + nonce), "the base stage and its build argument ran");
        assertFalse(contains(saved, "stage-43-final"), "--target base stops before the final stage");
        assertFalse(contains(saved, "hidden-" + nonce), ".dockerignore keeps secret.txt out of every layer");
        assertFalse(contains(saved, "rows-" + nonce), ".dockerignore keeps data/ out");
        // As the docker CLI reads .dockerignore: patterns are relative to the root, so *.log skips sub/x.log.
        assertTrue(contains(saved, "nested-log-" + nonce), "*.log matches only at the context's root");
    }

    @Test
    void aSecretReachesItsRunStepAndNoLayer() throws Exception {
        String image = "drydock-it/dbuild-secret:" + nonce;
        images.add(image);
        String token = "tok-" + nonce + "-value";
        Files.createDirectories(folder.resolve("build"));
        // The nonce in the RUN line keeps BuildKit's cache of an earlier run from answering (secrets are no cache key).
        Files.writeString(folder.resolve("build/Secret.Dockerfile"), """
                FROM drydock/busybox:1
                RUN --mount=type=secret,id=token echo %s > /run-id && wc -c /run/secrets/token > /seen
                """.formatted(nonce));
        RecordingNotebook notebook = new RecordingNotebook();
        session = new Session(folder, Map.of());
        magics = new Magics(session, MagicFamilies.ALL, List.of(docker, new RegistryCredentials(),
                HostUser.current(), ImageResolver.IMAGE_NAMES, new ImageBuilder()));
        session.setSecret("API_TOKEN", token);
        RecordingNotebook build = run("build -t " + image + " -f build/Secret.Dockerfile --secret id=token,env=API_TOKEN .");
        assertTrue(build.out().contains(" as " + image), build.out());
        byte[] saved = save(image);
        assertTrue(contains(saved, token.length() + " /run/secrets/token"), "the RUN step read the secret");
        assertFalse(contains(saved, token), "the secret's value is in no layer");
        assertFalse((build.out() + build.err() + build.displays()).contains(token), "nor in the output");
    }

    @Test
    void aFailingStepIsNamedWithItsLastLines() throws Exception {
        images.add("drydock-it/dbuild-fail:" + nonce);
        Files.writeString(folder.resolve("Dockerfile"), """
                FROM drydock/busybox:1
                RUN echo fine
                RUN echo "about-to-fail-$((1+1))" && exit 3
                """);
        MagicException e = assertThrows(MagicException.class, () -> run("build -t drydock-it/dbuild-fail:" + nonce + " ."));
        assertTrue(e.getMessage().contains("at step 3 of 3"), e.getMessage());
        assertTrue(e.getMessage().contains("about-to-fail-2"), e.getMessage());
        MagicException missing = assertThrows(MagicException.class, () -> run("build -f nowhere/Dockerfile ."));
        assertTrue(missing.getMessage().contains("nowhere/Dockerfile does not exist"), missing.getMessage());
    }
}

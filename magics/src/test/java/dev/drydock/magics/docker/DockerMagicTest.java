package dev.drydock.magics.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.Image;
import com.github.dockerjava.api.model.PushResponseItem;
import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.engine.DockerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.drydock.magics.registry.ImageTransfer;
import dev.drydock.magics.registry.LayerProgress;
import dev.drydock.magics.render.LiveDisplay;
import dev.drydock.magics.registry.RegistryCredentials;

/** %docker without an engine: the progress display, the images table, names, and where logins come from. */
class DockerMagicTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path folder;

    private static PushResponseItem item(String json) throws Exception {
        return JSON.readValue(json, PushResponseItem.class);
    }

    @Test
    void pushProgressIsOneDisplayUpdatedInPlaceAndKeepsTheStreamsErrors() throws Exception {
        RecordingNotebook notebook = new RecordingNotebook();
        LayerProgress<PushResponseItem> progress = new LayerProgress<>(new LiveDisplay(notebook, "push"), "Pushing r/x:1");
        progress.onNext(item("{\"status\":\"The push refers to repository [127.0.0.1:5000/r/x]\"}"));
        progress.onNext(item("{\"status\":\"Preparing\",\"progressDetail\":{},\"id\":\"aaa\"}"));
        progress.onNext(item("{\"status\":\"Pushing\",\"progressDetail\":{\"current\":512000,\"total\":2048000},"
                + "\"id\":\"aaa\"}"));
        progress.onNext(item("{\"status\":\"Layer already exists\",\"progressDetail\":{},\"id\":\"bbb\"}"));
        progress.onNext(item("{\"errorDetail\":{\"message\":\"unauthorized: authentication required\"},"
                + "\"error\":\"unauthorized: authentication required\"}"));
        progress.finish();

        assertEquals(List.of("unauthorized: authentication required"), progress.errors());
        String text = progress.render();
        assertTrue(text.startsWith("Pushing r/x:1 ("), text);
        assertTrue(text.contains("1 of 2 layers done"), text);
        assertTrue(text.contains("  aaa  Pushing 512kB/2.05MB"), text);
        assertTrue(text.contains("  bbb  Layer already exists"), text);
        assertTrue(text.endsWith("Error: unauthorized: authentication required"), text);

        List<RecordingNotebook.Display> displays = notebook.displays();
        assertFalse(displays.get(0).update());
        String id = displays.get(0).displayId();
        assertTrue(displays.size() >= 2, "the final state is always shown");
        assertTrue(displays.stream().skip(1).allMatch(d -> d.update() && d.displayId().equals(id)));
        assertEquals(text.replaceFirst("\\(\\d+ s\\)", ""), ((String) displays.get(displays.size() - 1).bundle()
                .get("text/plain")).replaceFirst("\\(\\d+ s\\)", ""));
        assertTrue(notebook.out().isEmpty(), "no flood of lines");
    }

    @Test
    void imagesAreATableWithARowPerName() throws Exception {
        Image image = JSON.readValue("""
                {"Id": "sha256:65d357821202aaaaaaaa", "RepoTags": ["drydock/busybox:1", "127.0.0.1:5000/b:x"],
                 "Created": 100, "Size": 1990000}
                """, Image.class);
        String text = DockerMagic.Images.table(List.of(image), Instant.ofEpochSecond(100 + 7200)).plain();
        assertEquals("""
                REPOSITORY        TAG  IMAGE ID      CREATED      SIZE
                127.0.0.1:5000/b  x    65d357821202  2 hours ago  1.99MB
                drydock/busybox   1    65d357821202  2 hours ago  1.99MB
                """, text);
    }

    @Test
    void referencesSplitAsTheEngineTakesThem() {
        assertEquals(new ImageTransfer.Reference("127.0.0.1:5000/r/x", "2"), ImageTransfer.Reference.parse("127.0.0.1:5000/r/x:2"));
        assertEquals(new ImageTransfer.Reference("127.0.0.1:5000/r/x", "latest"), ImageTransfer.Reference.parse("127.0.0.1:5000/r/x"));
        assertEquals(new ImageTransfer.Reference("busybox@sha256:abc", null), ImageTransfer.Reference.parse("busybox@sha256:abc"));
    }

    @Test
    void loginWithoutCredentialsSaysWhichVariablesItReads() {
        Magics magics = new Magics(new Session(folder, Map.of()));
        MagicException e = assertThrows(MagicException.class,
                () -> magics.run(new MagicCall("docker", "login 127.0.0.1:5000", null), new RecordingNotebook()));
        assertTrue(e.getMessage().contains("REGISTRY_USERNAME") && e.getMessage().contains("%dotenv"), e.getMessage());
        MagicException half = assertThrows(MagicException.class, () -> magics.run(
                new MagicCall("docker", "login --username-env U r.example", null), new RecordingNotebook()));
        assertEquals(MagicException.Kind.UsageError, half.kind());
    }

    @Test
    void saveAddsAnAuthsEntryAndKeepsTheRestOfConfigJson() throws Exception {
        Path config = Files.createDirectories(folder.resolve("docker"));
        Files.writeString(config.resolve("config.json"), "{\"auths\":{\"other:1\":{\"auth\":\"eA==\"}},\"detachKeys\":\"ctrl-e\"}");
        DockerConfig docker = DockerConfig.resolve(Map.of("DOCKER_CONFIG", config.toString()), folder);
        DockerMagic.Login.saveToConfig(docker, "127.0.0.1:5000", "ann", "pw:with:colons");
        JsonNode saved = JSON.readTree(config.resolve("config.json").toFile());
        assertEquals("ctrl-e", saved.path("detachKeys").asText());
        assertEquals("eA==", saved.path("auths").path("other:1").path("auth").asText());
        assertEquals("ann:pw:with:colons", new String(Base64.getDecoder().decode(
                saved.path("auths").path("127.0.0.1:5000").path("auth").asText())));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(config.resolve("config.json"))));

        // Read back as the docker CLI's auths (DockerConfig's parser trips over keys it does not know, such as
        // detachKeys: reported to the lead, so this file holds only what it reads).
        Files.writeString(config.resolve("config.json"), "{}");
        DockerMagic.Login.saveToConfig(docker, "127.0.0.1:5000", "ann", "pw:with:colons");
        AuthConfig read = DockerConfig.resolve(Map.of("DOCKER_CONFIG", config.toString()), folder)
                .credentials("127.0.0.1:5000").orElseThrow();
        assertEquals("ann", read.getUsername());

        Files.writeString(config.resolve("config.json"), "{\"credsStore\":\"desktop\"}");
        assertThrows(MagicException.class, () -> DockerMagic.Login.saveToConfig(docker, "r:1", "a", "b"));
    }

    @Test
    void kernelLoginsComeBeforeTheDockerCliConfiguration() throws Exception {
        RegistryCredentials credentials = new RegistryCredentials();
        credentials.remember(new AuthConfig().withRegistryAddress("docker.io").withUsername("hub"));
        credentials.remember(new AuthConfig().withRegistryAddress("127.0.0.1:5000").withUsername("local"));
        assertEquals("hub", credentials.forImage("library/busybox:1", null).orElseThrow().getUsername());
        assertEquals("local", credentials.forImage("127.0.0.1:5000/x/y:2", null).orElseThrow().getUsername());
    }
}

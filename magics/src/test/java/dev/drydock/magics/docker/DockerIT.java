package dev.drydock.magics.docker;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.drydock.magics.DockerCli;
import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.api.MagicFamilies;
import dev.drydock.magics.container.HostUser;
import dev.drydock.magics.container.ImageResolver;
import dev.drydock.magics.engine.Docker;
import dev.drydock.magics.env.ImageBuilder;
import dev.drydock.magics.engine.DockerConfig;
import dev.drydock.magics.engine.DockerEngine;
import java.io.Reader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.drydock.magics.registry.RegistryCredentials;

/**
 * %docker against the real engine and the authenticated registry on 127.0.0.1:5000 from bin/setup-docker,
 * with credentials loaded the way a notebook loads them: %dotenv.
 */
@Tag("integration")
@Tag("docker")
class DockerIT {

    private static final String LOCAL = "drydock-it/pushme:1";
    private static final Path CREDENTIALS = Path.of("/tmp/drydock-registry/credentials.env");

    @TempDir
    Path folder;

    /** Every output of every cell, unmasked: the password must be in none of it. */
    private final List<RecordingNotebook> cells = new ArrayList<>();

    private RecordingNotebook run(Magics magics, String name, String args) throws MagicException {
        RecordingNotebook notebook = new RecordingNotebook();
        cells.add(notebook);
        magics.run(new MagicCall(name, args, null), notebook);
        return notebook;
    }

    @Test
    void loginFromDotenvThenTagPushWithOneLiveDisplayAndPullBack() throws Exception {
        if (!Files.isReadable(CREDENTIALS)) {
            fail(CREDENTIALS + " is missing: run bin/setup-docker to start the local registry");
        }
        Properties credentials = new Properties();
        try (Reader reader = Files.newBufferedReader(CREDENTIALS)) {
            credentials.load(reader);
        }
        String registry = credentials.getProperty("REGISTRY");
        String password = credentials.getProperty("REGISTRY_PASSWORD");

        // An empty docker CLI configuration: whatever reaches the registry comes from %docker login.
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("DOCKER_CONFIG", Files.createDirectories(folder.resolve("docker-config")).toString());
        DockerConfig config = DockerConfig.resolve(env, folder);
        Docker docker = new Docker(() -> new DockerEngine(config));
        try {
            docker.engine();
        } catch (MagicException e) {
            fail("The Docker integration tests need an engine: run bin/setup-docker first. " + e.getMessage(), e);
        }
        Session session = new Session(folder, Map.of());
        Magics magics = new Magics(session, MagicFamilies.ALL,
                List.of(docker, new RegistryCredentials(), HostUser.current(), ImageResolver.IMAGE_NAMES, new ImageBuilder()));
        String image = registry + "/drydock-it/busybox:it-" + Long.toHexString(System.nanoTime());
        try {
            run(magics, "dotenv", CREDENTIALS.toString());
            // A layer of fresh random bytes, so the push really uploads one instead of mounting known blobs.
            String maker = "pushme-" + Long.toHexString(System.nanoTime());
            run(magics, "container", "run --name " + maker + " drydock/busybox:1 sh -c 'head -c 3000000 /dev/urandom > /blob'");
            run(magics, "container", "commit " + maker + " " + LOCAL);
            run(magics, "container", "rm " + maker);
            run(magics, "docker", "tag " + LOCAL + " " + image);

            MagicException anonymous = assertThrows(MagicException.class, () -> run(magics, "docker", "push " + image));
            assertTrue(anonymous.getMessage().contains("Log in first"), anonymous.getMessage());

            session.setVariable("WRONG_PASSWORD", "wrong-" + password);
            MagicException refused = assertThrows(MagicException.class, () -> run(magics, "docker",
                    "login --username-env REGISTRY_USERNAME --password-env WRONG_PASSWORD " + registry));
            assertFalse(refused.getMessage().contains(password), "the password must never be echoed");

            RecordingNotebook login = run(magics, "docker", "login " + registry);
            assertTrue(login.out().startsWith("Logged in to " + registry + " as "), login.out());
            assertTrue(login.out().contains("kept in this kernel's memory"), login.out());
            assertFalse(Files.exists(folder.resolve("docker-config/config.json")), "nothing is written without --save");

            RecordingNotebook push = run(magics, "docker", "push " + image);
            List<RecordingNotebook.Display> displays = push.displays();
            assertFalse(displays.get(0).update());
            assertTrue(displays.size() >= 2, "one display, then updates in place: " + displays);
            assertTrue(displays.stream().skip(1).allMatch(d -> d.update()
                    && d.displayId().equals(displays.get(0).displayId())));
            String last = (String) displays.get(displays.size() - 1).bundle().get("text/plain");
            assertTrue(last.contains("digest: sha256:"), last);
            assertTrue(last.contains("Pushed"), last);
            assertTrue(push.out().isEmpty() && push.err().isEmpty(), "no lines besides the display");

            String auth = Base64.getEncoder().encodeToString((credentials.getProperty("REGISTRY_USERNAME") + ":"
                    + password).getBytes(StandardCharsets.UTF_8));
            String repository = image.substring(registry.length() + 1, image.lastIndexOf(':'));
            HttpResponse<String> tags = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://" + registry + "/v2/" + repository + "/tags/list"))
                    .header("Authorization", "Basic " + auth).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(tags.body().contains(image.substring(image.lastIndexOf(':') + 1)), tags.body());

            run(magics, "docker", "rmi " + image);
            assertFalse(((String) run(magics, "docker", "images").displays().get(0).bundle().get("text/plain"))
                    .contains(registry + "/" + repository));
            RecordingNotebook pull = run(magics, "docker", "pull " + image);
            String pulled = (String) pull.displays().get(pull.displays().size() - 1).bundle().get("text/plain");
            assertTrue(pulled.contains("Status: "), pulled);
            assertTrue(((String) run(magics, "docker", "images").displays().get(0).bundle().get("text/plain"))
                    .contains(registry + "/" + repository));

            RecordingNotebook saved = run(magics, "docker", "login --save " + registry);
            assertTrue(saved.out().contains("saved to "), saved.out());
            assertTrue(config.credentials(registry).isPresent());
        } finally {
            for (String made : List.of(image, LOCAL)) {
                try {
                    run(magics, "docker", "rmi -f " + made);
                } catch (MagicException ignored) {
                    // Removed already, or never made.
                }
            }
            docker.close();
        }
        for (RecordingNotebook cell : cells) {
            String everything = cell.out() + cell.err() + cell.displays();
            assertFalse(everything.contains(password), "the password reached a cell's output: " + everything);
        }
    }

    @Test
    void pullingAnImageThatIsNotThereIsAClearError() throws Exception {
        Magics magics = new Magics(new Session(folder, Map.of()), MagicFamilies.ALL,
                List.of(new Docker(), new RegistryCredentials(), HostUser.current(), ImageResolver.IMAGE_NAMES, new ImageBuilder()));
        MagicException e = assertThrows(MagicException.class,
                () -> run(magics, "docker", "pull 127.0.0.1:5000/drydock-it/never-pushed:0"));
        assertTrue(e.getMessage().startsWith("Pulling 127.0.0.1:5000/drydock-it/never-pushed:0 failed: "), e.getMessage());
    }

    /**
     * The engine's whole sentence, as the docker CLI prints it after "Error response from daemon: ": here a
     * Docker Hub name that cannot be resolved offline ("no such host") and an anonymous pull from the
     * authenticated registry ("no basic auth credentials"); both used to be cut at their first quote.
     */
    @Test
    void aFailedPullShowsTheEnginesWholeMessage() throws Exception {
        Path emptyConfig = Files.createDirectories(folder.resolve("empty-docker-config"));
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("DOCKER_CONFIG", emptyConfig.toString());
        DockerConfig config = DockerConfig.resolve(env, folder);
        Magics magics = new Magics(new Session(folder, Map.of()), MagicFamilies.ALL, List.of(
                new Docker(() -> new DockerEngine(config)), new RegistryCredentials(), HostUser.current(),
                ImageResolver.IMAGE_NAMES, new ImageBuilder()));
        for (String image : List.of("missing/image:1", "127.0.0.1:5000/drydock-it/never-pushed:0")) {
            String cli = DockerCli.error(emptyConfig, "pull", image);
            MagicException e = assertThrows(MagicException.class, () -> run(magics, "docker", "pull " + image));
            assertTrue(e.getMessage().startsWith("Pulling " + image + " failed: " + cli), e.getMessage() + "\nCLI: " + cli);
        }
    }
}

package dev.drydock.magics.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.WaitContainerResultCallback;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.Image;
import com.github.dockerjava.api.model.PushResponseItem;
import dev.drydock.magics.Cancellation;
import dev.drydock.magics.MagicException;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against the real engine and the authenticated local registry that {@code bin/setup-docker} prepares.
 * A missing engine fails these tests rather than skipping them: CI runs the set-up first.
 */
@Tag("integration")
@Tag("docker")
class DockerEngineIT {

    private static final String BASE_IMAGE = "drydock/busybox:1";
    private static final Path CREDENTIALS = Path.of("/tmp/drydock-registry/credentials.env");
    private static final String LABEL = "dev.drydock.test";

    private static DockerEngine engine;
    private static DockerClient docker;

    @TempDir
    Path temp;

    @BeforeAll
    static void connect() throws MagicException {
        engine = DockerEngine.fromEnvironment();
        try {
            docker = engine.connect();
        } catch (MagicException e) {
            fail("The Docker integration tests need an engine: run bin/setup-docker first. " + e.getMessage(), e);
        }
    }

    @AfterAll
    static void close() throws IOException {
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void pingsTheEngineAndReadsItsVersion() throws Exception {
        engine.ping();
        assertNotNull(docker.versionCmd().exec().getApiVersion());
    }

    @Test
    void listsImagesAndFindsTheLocalBaseImage() {
        List<Image> images = docker.listImagesCmd().exec();
        boolean found = images.stream()
                .anyMatch(image -> image.getRepoTags() != null && List.of(image.getRepoTags()).contains(BASE_IMAGE));
        assertTrue(found, BASE_IMAGE + " is missing: run bin/setup-docker");
    }

    @Test
    void runsAShortContainerAndReadsItsLogs() throws Exception {
        String id = docker.createContainerCmd(BASE_IMAGE)
                .withCmd("sh", "-c", "echo hi; echo oops >&2")
                .withLabels(Map.of(LABEL, "DockerEngineIT"))
                .exec().getId();
        try {
            docker.startContainerCmd(id).exec();
            int status = docker.waitContainerCmd(id).exec(new WaitContainerResultCallback())
                    .awaitStatusCode(30, TimeUnit.SECONDS);
            assertEquals(0, status);

            // Frames arrive on docker-java's reader thread.
            List<Frame> frames = new CopyOnWriteArrayList<>();
            DockerEngine.await(docker.logContainerCmd(id).withStdOut(true).withStdErr(true)
                    .exec(new ResultCallback.Adapter<Frame>() {
                        @Override
                        public void onNext(Frame frame) {
                            frames.add(frame);
                        }
                    }), new Cancellation());
            // stdout and stderr are separate pipes in the container: their relative order is not kept.
            assertEquals(Set.of("STDOUT hi", "STDERR oops"), frames.stream()
                    .map(frame -> frame.getStreamType() + " " + new String(frame.getPayload(), StandardCharsets.UTF_8).trim())
                    .collect(Collectors.toSet()));
            assertEquals(2, frames.size());
        } finally {
            docker.removeContainerCmd(id).withForce(true).exec();
        }
    }

    @Test
    void anInterruptStopsFollowingLogsAtOnce() throws Exception {
        String id = docker.createContainerCmd(BASE_IMAGE)
                .withCmd("sh", "-c", "while true; do echo tick; sleep 0.1; done")
                .withLabels(Map.of(LABEL, "DockerEngineIT"))
                .exec().getId();
        try {
            docker.startContainerCmd(id).exec();
            Cancellation cancellation = new Cancellation();
            // Frames arrive on docker-java's reader thread.
            List<Frame> frames = new CopyOnWriteArrayList<>();
            var follow = docker.logContainerCmd(id).withStdOut(true).withFollowStream(true)
                    .exec(new ResultCallback.Adapter<Frame>() {
                        @Override
                        public void onNext(Frame frame) {
                            frames.add(frame);
                            if (frames.size() == 3) {
                                cancellation.cancel();
                            }
                        }
                    });
            MagicException e = assertThrows(MagicException.class, () -> DockerEngine.await(follow, cancellation));
            assertEquals(MagicException.Kind.KeyboardInterrupt, e.kind());
            assertTrue(frames.size() >= 3);
        } finally {
            docker.removeContainerCmd(id).withForce(true).exec();
        }
    }

    @Test
    void logsInToTheAuthenticatedRegistryAndPushesWithCredentialsFromConfigJson() throws Exception {
        Properties credentials = registryCredentials();
        String registry = credentials.getProperty("REGISTRY");
        String user = credentials.getProperty("REGISTRY_USERNAME");
        String password = credentials.getProperty("REGISTRY_PASSWORD");

        AuthConfig good = new AuthConfig().withRegistryAddress(registry).withUsername(user).withPassword(password);
        assertEquals("Login Succeeded", engine.login(good));
        AuthConfig bad = new AuthConfig().withRegistryAddress(registry).withUsername(user).withPassword("wrong-" + password);
        MagicException refused = assertThrows(MagicException.class, () -> engine.login(bad));
        assertTrue(refused.getMessage().startsWith("Login to " + registry + " as " + user + " failed: "),
                refused.getMessage());
        assertFalse(refused.getMessage().contains(password), "the password must never be echoed");

        // The credentials reach the push the way a person's would: from a docker CLI config.json.
        Path dockerConfig = Files.createDirectories(temp.resolve("docker-config"));
        String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        Files.writeString(dockerConfig.resolve("config.json"),
                "{\"auths\": {\"" + registry + "\": {\"auth\": \"" + auth + "\"}}}");
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("DOCKER_CONFIG", dockerConfig.toString());
        DockerConfig config = DockerConfig.resolve(env, Path.of(System.getProperty("user.home")));

        String repository = registry + "/drydock/busybox";
        String tag = "it-" + Long.toHexString(System.nanoTime());
        docker.tagImageCmd(BASE_IMAGE, repository, tag).exec();
        try {
            List<String> anonymous = push(repository, tag, new AuthConfig().withRegistryAddress(registry));
            assertTrue(anonymous.stream().anyMatch(error -> error.contains("no basic auth credentials")
                    || error.contains("unauthorized")), "an anonymous push must be refused: " + anonymous);

            AuthConfig fromConfig = config.credentialsForImage(repository + ":" + tag).orElseThrow();
            assertEquals(user, fromConfig.getUsername());
            assertEquals(List.of(), push(repository, tag, fromConfig));

            HttpResponse<String> tags = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://" + registry + "/v2/drydock/busybox/tags/list"))
                    .header("Authorization", "Basic " + auth).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, tags.statusCode());
            assertTrue(tags.body().contains("\"" + tag + "\""), tags.body());
        } finally {
            docker.removeImageCmd(repository + ":" + tag).exec();
        }
    }

    @Test
    void aContextMadeByTheDockerCliResolvesToItsEndpoint() throws Exception {
        Path dockerConfig = Files.createDirectories(temp.resolve("docker-config"));
        String host = engine.config().host().toString();
        Process create = new ProcessBuilder("docker", "--config", dockerConfig.toString(), "context", "create",
                "drydock-it", "--docker", "host=" + host).redirectErrorStream(true).start();
        String output = new String(create.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, create.waitFor(), output);

        Map<String, String> env = new HashMap<>(System.getenv());
        env.remove("DOCKER_HOST");
        env.put("DOCKER_CONFIG", dockerConfig.toString());
        env.put("DOCKER_CONTEXT", "drydock-it");
        DockerConfig config = DockerConfig.resolve(env, Path.of(System.getProperty("user.home")));
        assertEquals(host, config.host().toString());
        assertEquals("the Docker context \"drydock-it\" (DOCKER_CONTEXT)", config.source());
        try (DockerEngine viaContext = new DockerEngine(config)) {
            viaContext.ping();
        }
    }

    /** Pushes and returns the errors the engine reported in the stream (a failed push is still HTTP 200). */
    private static List<String> push(String repository, String tag, AuthConfig auth) throws MagicException {
        List<String> errors = new CopyOnWriteArrayList<>();
        DockerEngine.await(docker.pushImageCmd(repository).withTag(tag).withAuthConfig(auth)
                .exec(new ResultCallback.Adapter<PushResponseItem>() {
                    @Override
                    public void onNext(PushResponseItem item) {
                        if (item.isErrorIndicated()) {
                            errors.add(String.valueOf(item.getErrorDetail()));
                        }
                    }
                }), new Cancellation());
        return errors;
    }

    private static Properties registryCredentials() throws IOException {
        if (!Files.isReadable(CREDENTIALS)) {
            fail(CREDENTIALS + " is missing: run bin/setup-docker to start the local registry");
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(CREDENTIALS)) {
            properties.load(reader);
        }
        return properties;
    }
}

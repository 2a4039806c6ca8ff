package dev.drydock.magics.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Image;
import com.sun.net.httpserver.HttpServer;
import dev.drydock.magics.Cancellation;
import dev.drydock.magics.InterruptedMagic;
import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.engine.Docker;
import dev.drydock.magics.engine.DockerEngine;
import dev.drydock.magics.registry.RegistryCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code %env} against the real engine with {@code drydock/python:bookworm} (bin/setup-docker --python-base).
 * There is no PyPI here: pip installs a wheel this test writes itself, from a {@code --find-links} folder
 * or from a password-protected index the test serves on the Docker bridge.
 */
@Tag("integration")
@Tag("docker")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EnvBuildIT {

    private static final String PYTHON = "drydock/python:bookworm";
    private static final Path CREDENTIALS = Path.of("/tmp/drydock-registry/credentials.env");

    @TempDir
    static Path dir;

    private static Session session;
    private static Docker docker;
    private static DockerClient client;
    private static CountingBuilder builder;
    private static RegistryCredentials credentials;
    private static Magics magics;

    /** The real builder, counting the builds that reach it. */
    static final class CountingBuilder extends ImageBuilder {
        final AtomicInteger calls = new AtomicInteger();
        volatile String lastLog = "";

        @Override
        public String build(DockerEngine engine, Request request, BuildLog log, Cancellation cancellation)
                throws MagicException {
            calls.incrementAndGet();
            try {
                return super.build(engine, request, log, cancellation);
            } finally {
                lastLog = log.fullLog();
            }
        }
    }

    @BeforeAll
    static void setUp() throws Exception {
        session = new Session(dir);
        docker = new Docker();
        try {
            client = docker.engine().client();
        } catch (MagicException e) {
            fail("The Docker integration tests need an engine: run bin/setup-docker. " + e.getMessage(), e);
        }
        try {
            client.inspectImageCmd(PYTHON).exec();
        } catch (RuntimeException e) {
            fail(PYTHON + " is missing: run bin/setup-docker --python-base", e);
        }
        builder = new CountingBuilder();
        credentials = new RegistryCredentials();
        magics = new Magics(session, List.of(EnvMagic.class), List.of(docker, builder, credentials));
        Files.createDirectories(dir.resolve("wheels"));
        writeWheel(dir.resolve("wheels"), "1.0");
        writeWheel(dir.resolve("wheels"), "2.0");
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (client != null) {
            for (Image image : client.listImagesCmd().withLabelFilter(Map.of(Environments.LABEL_SESSION, session.id())).exec()) {
                try {
                    client.removeImageCmd(image.getId()).withForce(true).exec();
                } catch (RuntimeException ignored) {
                    // Shared layers of an image removed just before.
                }
            }
            try {
                client.removeImageCmd("drydock-it/onbuild:1").withForce(true).exec();
            } catch (RuntimeException ignored) {
                // Only made by the interrupt test.
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
    @Order(1)
    void buildsOnceThenMakesNoBuilderCallUntilAnInputChanges() throws Exception {
        Files.writeString(dir.resolve("requirements.txt"), "--find-links wheels\npip==23.0.1\ndrydock-dummy==1.0\n");
        RecordingNotebook first = run("build itpip --base " + PYTHON + " --pip requirements.txt --stage train");
        assertEquals(1, builder.calls.get());
        assertTrue(first.out().contains("Building itpip for the first time as drydock/itpip:"), first.out());
        assertTrue(first.out().contains("Built drydock/itpip:"), first.out());
        List<RecordingNotebook.Display> displays = first.displays();
        assertTrue(displays.stream().map(RecordingNotebook.Display::displayId).distinct().count() == 1
                && displays.size() > 1, "one progress display, updated: " + displays.size());
        String last = (String) displays.get(displays.size() - 1).bundle().get("text/plain");
        assertTrue(last.matches("Built itpip \\(drydock/itpip:[0-9a-f]{12}\\) — step \\d+ of \\d+: .* \\(\\d+\\.\\d s\\)"), last);

        RecordingNotebook second = run("build itpip --base " + PYTHON + " --pip requirements.txt --stage train");
        assertEquals(1, builder.calls.get(), "an unchanged environment must not reach the builder");
        assertTrue(second.out().matches("itpip unchanged: image drydock/itpip:[0-9a-f]{12} \\([0-9a-f]{12}, built at \\S+\\)\\.\n"),
                second.out());

        Files.writeString(dir.resolve("requirements.txt"), "--find-links wheels\npip==23.0.1\ndrydock-dummy==2.0\n");
        RecordingNotebook third = run("build itpip --base " + PYTHON + " --pip requirements.txt --stage train");
        assertEquals(2, builder.calls.get());
        assertTrue(third.out().contains(": the pip requirements changed since drydock/itpip:"), third.out());
        // Dependencies come before code, so a one-line change rebuilds from the pip layer on, not before it.
        String log = builder.lastLog;
        int pipStep = log.indexOf("COPY pip");
        assertTrue(pipStep > 0, log);
        assertTrue(log.substring(0, pipStep).contains("Using cache"), "the layers before pip come from the cache:\n" + log);
        assertFalse(log.substring(pipStep).contains("Using cache"), "the pip layer and what follows are rebuilt:\n" + log);

        var image = client.inspectImageCmd(new Environments(session, docker.engine(), builder, credentials)
                .latestOrFail("itpip").tag()).exec();
        Map<String, String> labels = image.getConfig().getLabels();
        assertEquals("itpip", labels.get("dev.drydock.env"));
        assertEquals("train", labels.get("dev.drydock.stage"));
        assertEquals(session.id(), labels.get("dev.drydock.session"));
        assertTrue(labels.get("dev.drydock.inputs").contains("\"pip\""));
        assertTrue(labels.containsKey("org.opencontainers.image.created"));
        assertEquals("drydock", image.getConfig().getUser());
    }

    @Test
    @Order(2)
    void verifyPassesThenFindsADeliberateMismatch() throws Exception {
        RecordingNotebook ok = run("verify itpip");
        assertTrue(ok.out().contains("All 2 pinned packages of itpip match inside drydock/itpip:"), ok.out());
        String table = (String) ok.displays().get(0).bundle().get("text/plain");
        assertTrue(table.contains("drydock-dummy  ==2.0     2.0"), table);

        Files.writeString(dir.resolve("requirements.txt"), "--find-links wheels\npip==23.0.1\ndrydock-dummy==1.0\n");
        MagicException e = assertThrows(MagicException.class, () -> run("verify itpip"));
        assertTrue(e.getMessage().startsWith("1 of 2 pinned packages of itpip do not match inside drydock/itpip:"), e.getMessage());
        assertTrue(e.getMessage().contains("drydock-dummy  ==1.0  2.0    MISMATCH"), e.getMessage());
        Files.writeString(dir.resolve("requirements.txt"), "--find-links wheels\npip==23.0.1\ndrydock-dummy==2.0\n");
    }

    @Test
    @Order(3)
    void showsTheDockerfileAndLsListsTheImage() throws Exception {
        RecordingNotebook show = run("show itpip");
        assertTrue(show.out().contains("RUN cd /tmp/drydock/pip"), show.out());
        assertTrue(show.out().contains("dev.drydock.spec-hash="), show.out());
        RecordingNotebook ls = run("ls");
        String table = (String) ls.displays().get(0).bundle().get("text/plain");
        assertTrue(table.startsWith("name "), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("itpip ") && l.contains(" train ")
                && java.util.regex.Pattern.compile(" [0-9.]+MB ").matcher(l).find()), table);
        assertTrue(((String) ls.displays().get(0).bundle().get("text/html")).contains("<td>itpip</td>"));
    }

    @Test
    @Order(3)
    void anEnvironmentNameResolvesToItsNewestImageForContainerRun() throws Exception {
        EnvImageResolver resolver = new EnvImageResolver(docker);
        String tag = new Environments(session, docker.engine(), builder, credentials).latestOrFail("itpip").tag();
        assertEquals(tag, resolver.resolve("itpip", session));
        assertEquals("busybox", resolver.resolve("busybox", session));
        assertEquals("itpip:1", resolver.resolve("itpip:1", session));
    }

    @Test
    @Order(4)
    void locksThenBuildsFromTheLockAndDiffsTwoEnvironments() throws Exception {
        RecordingNotebook lock = run("lock itpip");
        Path lockFile = dir.resolve("itpip.lock.txt");
        assertTrue(lock.out().contains("into " + lockFile), lock.out());
        String locked = Files.readString(lockFile);
        assertTrue(locked.startsWith("# Locked by %env lock itpip from drydock/itpip:"), locked);
        assertTrue(locked.contains("\n--find-links wheels\n"), locked);
        assertTrue(locked.contains("\ndrydock-dummy==2.0\n"), locked);

        int before = builder.calls.get();
        RecordingNotebook build = run("build itpip --locked");
        assertEquals(before + 1, builder.calls.get());
        assertTrue(build.out().contains("the pip requirements changed"), build.out());
        Environments environments = new Environments(session, docker.engine(), builder, credentials);
        assertTrue(environments.latestOrFail("itpip").labels().get(Environments.LABEL_DOCKERFILE)
                .contains("# pip packages, exactly as locked by %env lock"));

        Files.writeString(dir.resolve("old.txt"), "--find-links wheels\ndrydock-dummy==1.0\n");
        run("build itold --base " + PYTHON + " --pip old.txt");
        RecordingNotebook diff = run("diff itpip itold");
        String table = (String) diff.displays().get(0).bundle().get("text/plain");
        assertTrue(table.lines().anyMatch(l -> l.matches("pip\\s+drydock-dummy\\s+2\\.0\\s+1\\.0")), table);
        assertEquals(2, table.lines().count(), "only the one difference: " + table);
    }

    @Test
    @Order(5)
    void aFailingStepNamesTheStepAndShowsItsLastLines() throws Exception {
        Files.writeString(dir.resolve("bad.txt"), "--find-links wheels\ndrydock-dummy==9.9\n");
        Set<String> dangling = danglingImages();
        MagicException e = assertThrows(MagicException.class,
                () -> run("build itbad --base " + PYTHON + " --pip bad.txt"));
        // The legacy builder keeps the steps before the failing one as cache, as docker build does; not after a test.
        danglingImages().stream().filter(id -> !dangling.contains(id))
                .forEach(id -> client.removeImageCmd(id).withForce(true).exec());
        assertTrue(e.getMessage().matches("(?s)itbad \\(drydock/itbad:[0-9a-f]{12}\\) failed at step \\d+ of \\d+ \\(RUN cd /tmp/drydock/pip.*"),
                e.getMessage());
        assertTrue(e.getMessage().contains("No matching distribution found for drydock-dummy==9.9"), e.getMessage());
    }

    @Test
    @Order(6)
    void aBaseWithoutCondaIsAClearError() throws Exception {
        Files.writeString(dir.resolve("environment.yml"), "dependencies:\n  - python=3.11\n");
        MagicException e = assertThrows(MagicException.class,
                () -> run("build itconda --base " + PYTHON + " --conda environment.yml"));
        assertTrue(e.getMessage().startsWith("The base image " + PYTHON + " of itconda lacks conda: none of micromamba,"
                + " mamba, conda is on its PATH"), e.getMessage());
    }

    @Test
    @Order(7)
    void installsAndVerifiesAnAptPin() throws Exception {
        // Containers reach deb.debian.org here; the pinned version is the one the base image already has.
        Files.writeString(dir.resolve("apt.txt"), "# already in the base image\npython3-pip=23.0.1+dfsg-1\n");
        run("build itapt --base " + PYTHON + " --apt apt.txt --stage score");
        RecordingNotebook verify = run("verify itapt");
        assertTrue(verify.out().contains("All 1 pinned packages of itapt match"), verify.out());
        Files.writeString(dir.resolve("apt.txt"), "python3-pip=1.0-1\n");
        MagicException e = assertThrows(MagicException.class, () -> run("verify itapt"));
        assertTrue(e.getMessage().contains("python3-pip  =1.0-1  23.0.1+dfsg-1  MISMATCH"), e.getMessage());
    }

    @Test
    @Order(8)
    void pushesToTheAuthenticatedRegistry() throws Exception {
        Properties registry = new Properties();
        try (Reader reader = Files.newBufferedReader(CREDENTIALS)) {
            registry.load(reader);
        }
        String address = registry.getProperty("REGISTRY");
        String user = registry.getProperty("REGISTRY_USERNAME");
        String password = registry.getProperty("REGISTRY_PASSWORD");
        credentials.remember(new AuthConfig().withRegistryAddress(address).withUsername(user).withPassword(password));
        String tag = "it-" + Long.toHexString(System.nanoTime());
        RecordingNotebook push = run("push itpip " + address + "/drydock-it/itpip:" + tag);
        assertTrue(push.out().contains("Pushed drydock/itpip:"), push.out());
        assertTrue(push.displays().size() >= 1);
        String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> tags = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://" + address + "/v2/drydock-it/itpip/tags/list"))
                .header("Authorization", "Basic " + auth).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(tags.body().contains("\"" + tag + "\""), tags.body());
        client.removeImageCmd(address + "/drydock-it/itpip:" + tag).exec();
    }

    @Test
    @Order(9)
    void aBuildKitSecretReachesPipAndNoImageOutputHoldsIt() throws Exception {
        String token = "tok-" + Long.toHexString(System.nanoTime()) + "-secret";
        AtomicInteger authorized = new AtomicInteger();
        byte[] wheel = Files.readAllBytes(dir.resolve("wheels/drydock_dummy-1.0-py3-none-any.whl"));
        HttpServer index = HttpServer.create(new InetSocketAddress("0.0.0.0", 0), 0);
        String expected = "Basic " + Base64.getEncoder().encodeToString(("pip:" + token).getBytes(StandardCharsets.UTF_8));
        index.createContext("/", exchange -> {
            if (!expected.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"it\"");
                exchange.sendResponseHeaders(401, -1);
                exchange.close();
                return;
            }
            authorized.incrementAndGet();
            String path = exchange.getRequestURI().getPath();
            byte[] body = path.endsWith(".whl") ? wheel
                    : ("<html><body><a href=\"/files/drydock_dummy-1.0-py3-none-any.whl\">"
                            + "drydock_dummy-1.0-py3-none-any.whl</a></body></html>").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", path.endsWith(".whl") ? "application/octet-stream" : "text/html");
            exchange.sendResponseHeaders(path.startsWith("/simple/drydock-dummy") || path.endsWith(".whl") ? 200 : 404,
                    body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        index.start();
        try {
            String gateway = "172.17.0.1";
            session.setSecret("PIP_INDEX_URL", "http://pip:" + token + "@" + gateway + ":" + index.getAddress().getPort() + "/simple/");
            // The nonce keeps BuildKit's cache of an earlier run from skipping the pip step (secrets are not cache keys).
            Files.writeString(dir.resolve("private.txt"), "# run " + token.hashCode() + "\n--trusted-host " + gateway
                    + "\ndrydock-dummy==1.0\n");
            RecordingNotebook build = run("build itsecret --base " + PYTHON + " --pip private.txt --secret PIP_INDEX_URL");
            assertTrue(build.out().contains("Built drydock/itsecret:"), build.out());
            assertTrue(authorized.get() >= 2, "pip fetched from the index with the secret: " + authorized.get());
            String tag = new Environments(session, docker.engine(), builder, credentials).latestOrFail("itsecret").tag();
            assertTrue(run("verify itsecret").out().contains("All 1 pinned packages"));

            assertFalse(cli("history", "--no-trunc", tag).contains(token), "docker history holds the secret");
            assertFalse(cli("image", "inspect", tag).contains(token), "docker image inspect holds the secret");
            assertFalse(cli("history", "--no-trunc", tag).contains("PIP_INDEX_URL=http"), "history holds the value");
            byte[] saved;
            try (InputStream in = client.saveImageCmd(tag).exec()) {
                saved = in.readAllBytes();
            }
            assertTrue(saved.length > 1000);
            assertFalse(new String(saved, StandardCharsets.ISO_8859_1).contains(token), "docker save output holds the secret");
        } finally {
            index.stop(0);
        }
    }

    @Test
    @Order(10)
    void anInterruptStopsTheBuildOnTheEngine() throws Exception {
        // A base whose ONBUILD trigger sleeps an hour gives a build step that only an interrupt ends soon.
        Path base = Files.createDirectories(dir.resolve("onbuild"));
        Files.writeString(base.resolve("Dockerfile"), "FROM drydock/busybox:1\nONBUILD RUN sleep 3607\n");
        client.buildImageCmd(base.toFile()).withTags(Set.of("drydock-it/onbuild:1"))
                .exec(new BuildImageResultCallback()).awaitImageId(60, TimeUnit.SECONDS);

        RecordingNotebook notebook = new RecordingNotebook(session.masker());
        InterruptedMagic build = InterruptedMagic.start(magics,
                new MagicCall("env", "build itslow --base drydock-it/onbuild:1 --stage score", null), notebook,
                () -> !sleepers().isEmpty(), java.time.Duration.ofSeconds(30));
        long start = System.nanoTime();
        assertEquals(MagicException.Kind.KeyboardInterrupt, build.interrupt().kind());
        while (!sleepers().isEmpty()) {
            // A guard against a hang, far from both the stop's real cost and the hour the step would take.
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(300), "the engine kept building: " + sleepers());
            Thread.sleep(200);
        }
        String last = (String) notebook.displays().get(notebook.displays().size() - 1).bundle().get("text/plain");
        assertTrue(last.startsWith("Interrupted itslow"), last);
    }

    private static Set<String> danglingImages() {
        return client.listImagesCmd().withDanglingFilter(true).exec().stream().map(Image::getId)
                .collect(java.util.stream.Collectors.toSet());
    }

    private static List<Container> sleepers() {
        return client.listContainersCmd().exec().stream()
                .filter(c -> c.getCommand() != null && c.getCommand().contains("sleep 3607")).toList();
    }

    private static String cli(String... args) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of("/usr/bin/docker"));
        argv.addAll(List.of(args));
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), out);
        return out;
    }

    /** A minimal pure-Python wheel of {@code drydock-dummy}, with the RECORD pip checks. */
    static void writeWheel(Path folder, String version) throws Exception {
        Files.write(folder.resolve(TestWheels.fileName("drydock-dummy", version)), TestWheels.wheel("drydock-dummy", version, List.of()));
    }

    @Test
    @Order(11)
    void aFindLinksFolderEntersTheImageWithoutSecretFilesOrGitData() throws Exception {
        Path wheels = Files.createDirectories(dir.resolve("planted-wheels"));
        writeWheel(wheels, "1.0");
        dev.drydock.magics.files.Planted.plant(wheels, ".dockerignore");
        Files.writeString(dir.resolve("planted.txt"), "--find-links planted-wheels\ndrydock-dummy==1.0\n");
        RecordingNotebook build = run("build itplanted --base " + PYTHON + " --pip planted.txt");
        assertTrue(build.out().contains("Built drydock/itplanted:"), build.out());
        String tag = new Environments(session, docker.engine(), builder, credentials).latestOrFail("itplanted").tag();
        byte[] saved;
        try (InputStream in = client.saveImageCmd(tag).exec()) {
            saved = in.readAllBytes();
        }
        String image = new String(saved, StandardCharsets.ISO_8859_1);
        assertTrue(image.contains("drydock_dummy-1.0-py3-none-any.whl"), "the wheels are in the image");
        assertFalse(image.contains(dev.drydock.magics.files.Planted.SECRET), "a planted secret file is in the image");
        assertFalse(image.contains("planted-wheels/.git") || image.contains("pip/planted-wheels/prod.env")
                || image.contains("pip/planted-wheels/.env"), "a planted file name is in the image");
        assertFalse(image.contains("pip/planted-wheels/weights.bin"), ".dockerignore'd file in the image");
    }

    @Test
    @Order(50)
    void anotherKernelVerifiesTheSameEnvironmentFromItsOwnFolderAfterTheFirstIsGone() throws Exception {
        // Two kernels in two folders define the same environment; the first folder is then deleted.
        Path first = Files.createTempDirectory("drydock-env-first");
        Path second = Files.createTempDirectory("drydock-env-second");
        Session firstSession = new Session(first);
        try {
            for (Path folder : List.of(first, second)) {
                Files.writeString(folder.resolve("requirements.txt"), "pip==23.0.1\n");
            }
            kernelIn(firstSession).run(new MagicCall("env", "build samedef --base " + PYTHON + " --pip requirements.txt", null),
                    new RecordingNotebook(firstSession.masker()));
            Files.delete(first.resolve("requirements.txt"));
            Files.delete(first);

            Session secondSession = new Session(second);
            Magics secondKernel = kernelIn(secondSession);
            RecordingNotebook build = new RecordingNotebook(secondSession.masker());
            secondKernel.run(new MagicCall("env", "build samedef --base " + PYTHON + " --pip requirements.txt", null), build);
            assertTrue(build.out().startsWith("samedef unchanged"), build.out());
            RecordingNotebook verify = new RecordingNotebook(secondSession.masker());
            secondKernel.run(new MagicCall("env", "verify samedef", null), verify);

            assertTrue(verify.out().contains("All 1 pinned packages of samedef match"), verify.out());
        } finally {
            for (Image image : client.listImagesCmd().withLabelFilter(Map.of(Environments.LABEL_SESSION, firstSession.id())).exec()) {
                client.removeImageCmd(image.getId()).withForce(true).exec();
            }
        }
    }

    private static Magics kernelIn(Session kernelSession) {
        return new Magics(kernelSession, List.of(EnvMagic.class), List.of(docker, new ImageBuilder(), credentials));
    }
}

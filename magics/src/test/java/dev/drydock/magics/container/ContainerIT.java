package dev.drydock.magics.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;
import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.InterruptedMagic;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.api.MagicFamilies;
import dev.drydock.magics.engine.Docker;
import dev.drydock.magics.registry.RegistryCredentials;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** %container against the real engine that bin/setup-docker prepares; a missing engine fails, not skips. */
@Tag("integration")
@Tag("docker")
class ContainerIT {

    private static final String IMAGE = "drydock/busybox:1";
    private static final String COMMITTED = "drydock-it/committed";
    private static final String FAKE_JUPYTER = "drydock-it/fake-jupyter:1";

    @TempDir
    static Path folder;

    private static Docker docker;
    private static DockerClient client;
    private static Session session;
    private static Magics magics;

    @BeforeAll
    static void connect() {
        docker = new Docker();
        try {
            client = docker.engine().client();
        } catch (MagicException e) {
            fail("The Docker integration tests need an engine: run bin/setup-docker first. " + e.getMessage(), e);
        }
        session = new Session(folder, Map.of());
        magics = magics(session, HostUser.current());
    }

    private static Magics magics(Session session, HostUser user) {
        return new Magics(session, MagicFamilies.ALL,
                List.of(docker, new RegistryCredentials(), user, ImageResolver.IMAGE_NAMES));
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (client != null) {
            for (Container container : client.listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(ContainerRequest.SESSION_LABEL, session.id())).exec()) {
                Containers.removeQuietly(client, container.getId());
            }
            for (String image : List.of(COMMITTED + ":1", FAKE_JUPYTER)) {
                try {
                    client.removeImageCmd(image).withForce(true).exec();
                } catch (RuntimeException ignored) {
                    // Not made by a test that failed early.
                }
            }
        }
        docker.close();
    }

    private static RecordingNotebook run(String args) throws MagicException {
        return run(magics, args);
    }

    private static RecordingNotebook run(Magics magics, String args) throws MagicException {
        RecordingNotebook notebook = new RecordingNotebook(magics.session().masker());
        magics.run(new MagicCall("container", args, null), notebook);
        return notebook;
    }

    private static List<Container> sessionContainers() {
        return client.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(ContainerRequest.SESSION_LABEL, session.id())).exec();
    }

    private static String unique(String prefix) {
        return prefix + "-" + Long.toHexString(System.nanoTime());
    }

    @Test
    void anAttachedRunStreamsBothStreamsAndRemovesTheContainerWithRm() throws Exception {
        String name = unique("attached");
        RecordingNotebook notebook = run("run --rm --name " + name + " " + IMAGE
                + " sh -c 'echo hi; echo oops >&2; echo \"$0 $1\"' -l --rm");
        // The arguments after the image, options included, reach the container untouched.
        assertEquals("hi\n-l --rm\n", notebook.out());
        assertEquals("oops\n", notebook.err());
        assertTrue(client.listContainersCmd().withShowAll(true).withNameFilter(List.of(name)).exec().isEmpty(),
                "--rm removes the container");
    }

    @Test
    void aPersonsContainerReachesAMountedEngineSocketThroughItsGroup() throws Exception {
        URI host = docker.engine().config().host();
        assertEquals("unix", host.getScheme(), "these tests expect the local engine of bin/setup-docker");
        // What the Drydock kernel inside an EO container does first: ask the host's engine through the socket.
        Files.writeString(folder.resolve("ping.py"), """
                import socket
                s = socket.socket(socket.AF_UNIX)
                s.connect("/run/engine.sock")
                s.sendall(b"GET /_ping HTTP/1.0\\r\\n\\r\\n")
                print(s.recv(4096).split()[1].decode())
                """);
        String mounts = " -v " + host.getPath() + ":/run/engine.sock -v ./ping.py:/ping.py:ro drydock/python:bookworm";
        Magics asAnotherPerson = magics(session, new HostUser(4321, 4321));
        RecordingNotebook allowed = run(asAnotherPerson, "run --rm" + mounts + " python3 /ping.py");
        assertEquals("200", allowed.out().strip(), "the socket's group lets uid 4321 in");

        MagicException denied = assertThrows(MagicException.class,
                () -> run(asAnotherPerson, "run --rm -u 4321:4321" + mounts + " python3 /ping.py"));
        assertTrue(denied.getMessage().contains("exited with status"), "an explicit --user gets no group: "
                + denied.getMessage());
    }

    @Test
    void aNonZeroExitIsAnErrorNamingTheStatus() {
        MagicException e = assertThrows(MagicException.class, () -> run("run --rm " + IMAGE + " sh -c 'exit 3'"));
        assertEquals(MagicException.Kind.MagicError, e.kind());
        assertTrue(e.getMessage().contains("exited with status 3"), e.getMessage());
    }

    @Test
    void detachedThenLogsExecStopStartAndRm() throws Exception {
        String name = unique("detached");
        RecordingNotebook started = run("run -d --name " + name + " " + IMAGE + " sh -c 'echo started; sleep 60'");
        assertTrue(started.out().startsWith("Started " + name + " ("), started.out());
        awaitLog(name, "started");
        assertEquals("started\n", run("logs --tail 5 " + name).out());

        RecordingNotebook exec = run("exec " + name + " sh -c 'echo inside; echo err >&2'");
        assertEquals("inside\n", exec.out());
        assertEquals("err\n", exec.err());
        MagicException failing = assertThrows(MagicException.class, () -> run("exec " + name + " sh -c 'exit 4'"));
        assertTrue(failing.getMessage().contains("exited with status 4"), failing.getMessage());

        MagicException busy = assertThrows(MagicException.class, () -> run("rm " + name));
        assertTrue(busy.getMessage().contains("-f"), busy.getMessage());
        run("stop -t 0 " + name);
        assertFalse(client.inspectContainerCmd(name).exec().getState().getRunning());
        run("start " + name);
        assertTrue(client.inspectContainerCmd(name).exec().getState().getRunning());
        run("stop -t 0 " + name);
        assertEquals(name + "\n", run("rm " + name).out());
        assertTrue(client.listContainersCmd().withShowAll(true).withNameFilter(List.of(name)).exec().isEmpty());
    }

    @Test
    void anInterruptedExecStopsItsCommandInTheContainer() throws Exception {
        String name = unique("exec-interrupt");
        run("run -d --name " + name + " " + IMAGE + " sleep 120");
        InterruptedMagic cell = startInterruptible("exec " + name + " sh -c 'echo working; exec sleep 97'", "working");
        assertEquals(MagicException.Kind.KeyboardInterrupt, cell.interrupt().kind());
        assertEquals("", cell.notebook().err(), "nothing says the command may still run");
        String processes = client.topContainerCmd(name).exec().toString();
        assertFalse(processes.contains("sleep 97"), "the exec'd command is gone: " + processes);
        assertTrue(processes.contains("sleep 120"), "the container itself runs on: " + processes);
        run("rm -f " + name);
    }

    private static void awaitLog(String name, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!run("logs " + name).out().contains(text)) {
            if (System.nanoTime() > deadline) {
                fail("no '" + text + "' in the logs of " + name);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void aRelativeVolumeIsTheNotebooksFolderAndFilesWrittenThereBelongToTheHostUser() throws Exception {
        // The tests may run as root; an injected host user, owning the folder as a person would, proves the
        // uid:gid mapping all the same.
        Path data = Files.createDirectories(folder.resolve("data"));
        Files.setAttribute(data, "unix:uid", 4321);
        Files.setAttribute(data, "unix:gid", 4322);
        Magics asUser = magics(session, new HostUser(4321, 4322));
        RecordingNotebook notebook = run(asUser, "run --rm -v ./data:/data " + IMAGE
                + " sh -c 'echo made > /data/out.txt && id -u && id -g'");
        assertEquals("4321\n4322\n", notebook.out());
        Path made = folder.resolve("data/out.txt");
        assertEquals("made\n", Files.readString(made));
        assertEquals(4321, Files.getAttribute(made, "unix:uid"));
        assertEquals(4322, Files.getAttribute(made, "unix:gid"));

        RecordingNotebook asKernel = run("run --rm -v ./data:/data " + IMAGE + " sh -c 'touch /data/mine && id -u'");
        assertEquals(HostUser.current().uid() + "\n", asKernel.out());
        assertEquals((int) HostUser.current().uid(), Files.getAttribute(folder.resolve("data/mine"), "unix:uid"));
    }

    @Test
    void anEnvFileAndDashEReachTheContainer() throws Exception {
        Files.writeString(folder.resolve("run.env"), "GREETING=hello\nTARGET=file\n");
        RecordingNotebook notebook = run("run --rm --env-file run.env -e TARGET=flag -w /tmp " + IMAGE
                + " sh -c 'echo $GREETING $TARGET $(pwd)'");
        assertEquals("hello flag /tmp\n", notebook.out());
    }

    @Test
    void publishedPortsBindToLoopbackAndAnswerThere() throws Exception {
        String name = unique("web");
        RecordingNotebook notebook = run("run -d --rm --name " + name + " -p 80 " + IMAGE
                + " sh -c 'mkdir -p /www && echo served > /www/index.html && httpd -f -p 80 -h /www'");
        assertTrue(notebook.out().contains("ports 127.0.0.1:"), notebook.out());
        InspectContainerResponse inspect = client.inspectContainerCmd(name).exec();
        Ports.Binding binding = inspect.getNetworkSettings().getPorts().getBindings().get(ExposedPort.tcp(80))[0];
        assertEquals("127.0.0.1", binding.getHostIp());
        HttpClient http = HttpClient.newHttpClient();
        URI uri = URI.create("http://127.0.0.1:" + binding.getHostPortSpec() + "/");
        String body = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (body == null && System.nanoTime() < deadline) {
            try {
                body = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).body();
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        assertEquals("served\n", body);
        run("rm -f " + name);
    }

    @Test
    void anInterruptStopsAnAttachedContainerAndRmRemovesIt() throws Exception {
        for (boolean remove : List.of(false, true)) {
            String name = unique("sleeper");
            InterruptedMagic cell = startInterruptible("run " + (remove ? "--rm " : "") + "--name " + name + " " + IMAGE
                    + " sh -c 'echo sleeping; sleep 60'", "sleeping");
            MagicException thrown = cell.interrupt();
            assertEquals(MagicException.Kind.KeyboardInterrupt, thrown.kind(), thrown.getMessage());
            List<Container> left = client.listContainersCmd().withShowAll(true).withNameFilter(List.of(name)).exec();
            if (remove) {
                assertTrue(left.isEmpty(), "--rm removes the interrupted container");
            } else {
                assertEquals(1, left.size());
                assertFalse(client.inspectContainerCmd(name).exec().getState().getRunning());
            }
        }
    }

    /** Starts a %container magic and waits until it printed {@code ready}. */
    private static InterruptedMagic startInterruptible(String args, String ready) throws InterruptedException {
        RecordingNotebook notebook = new RecordingNotebook();
        return InterruptedMagic.start(magics, new MagicCall("container", args, null), notebook,
                () -> notebook.out().contains(ready), java.time.Duration.ofSeconds(60));
    }

    @Test
    void lsAndRmNotebookSeeOnlyThisSessionsContainers() throws Exception {
        String mine = unique("mine");
        run("run -d --name " + mine + " " + IMAGE + " sleep 60");
        Session other = new Session(folder, Map.of());
        Magics otherMagics = magics(other, HostUser.current());
        String theirs = unique("theirs");
        run(otherMagics, "run -d --name " + theirs + " " + IMAGE + " sleep 60");
        try {
            RecordingNotebook ls = run("ls --notebook");
            String table = (String) ls.displays().get(0).bundle().get("text/plain");
            assertTrue(table.startsWith("CONTAINER ID"), table);
            assertTrue(table.contains(mine), table);
            assertFalse(table.contains(theirs), table);
            assertTrue(((String) ls.displays().get(0).bundle().get("text/html")).contains("<td>" + mine + "</td>"));
            assertTrue(((String) run("ls").displays().get(0).bundle().get("text/plain")).contains(theirs));

            RecordingNotebook rm = run("rm -f --notebook");
            assertTrue(rm.out().contains(mine), rm.out());
            assertTrue(sessionContainers().isEmpty());
            assertEquals(1, client.listContainersCmd().withNameFilter(List.of(theirs)).exec().size());
        } finally {
            run(otherMagics, "rm -f --notebook");
        }
    }

    @Test
    void commitMakesAnImageWithTheFilesAndLabelsButRefusesSecrets() throws Exception {
        String name = unique("tocommit");
        run("run --name " + name + " " + IMAGE + " sh -c 'echo baked > /made.txt'");
        RecordingNotebook commit = run("commit -m 'made in a test' " + name + " " + COMMITTED + ":1");
        assertTrue(commit.out().startsWith("Committed " + name + " as " + COMMITTED + ":1"), commit.out());
        Map<String, String> labels = client.inspectImageCmd(COMMITTED + ":1").exec().getConfig().getLabels();
        assertEquals(session.id(), labels.get(ContainerRequest.SESSION_LABEL));
        assertTrue(labels.containsKey("org.opencontainers.image.created"), labels.toString());
        assertEquals("baked\n", run("run --rm " + COMMITTED + ":1 cat /made.txt").out());

        session.setSecret("API_TOKEN", "not-for-images-" + System.nanoTime());
        String secretive = unique("secretive");
        run("run --name " + secretive + " -e API_TOKEN " + IMAGE + " true");
        MagicException refused = assertThrows(MagicException.class,
                () -> run("commit " + secretive + " " + COMMITTED + ":secret"));
        assertTrue(refused.getMessage().contains("API_TOKEN"), refused.getMessage());
        assertThrows(com.github.dockerjava.api.exception.NotFoundException.class,
                () -> client.inspectImageCmd(COMMITTED + ":secret").exec());
    }

    @Test
    void commitRefusesSecretFilesAndGitDataTheContainerAddedAndTheImageHasNone() throws Exception {
        String name = unique("planted");
        run("run --name " + name + " " + IMAGE + " sh -c 'mkdir -p /work/.git /work/sub && cd /work"
                + " && for f in .env prod.env .env.local .git/config sub/.env; do echo TOKEN=planted-0f3c > $f; done"
                + " && echo kept > main.py'");
        MagicException refused = assertThrows(MagicException.class,
                () -> run("commit " + name + " " + COMMITTED + ":planted"));
        for (String path : List.of("/work/.env", "/work/prod.env", "/work/.env.local", "/work/.git", "/work/sub/.env")) {
            assertTrue(refused.getMessage().contains(path), path + " in: " + refused.getMessage());
        }
        assertFalse(refused.getMessage().contains("main.py"), refused.getMessage());

        String cleaned = unique("cleaned");
        run("run --name " + cleaned + " " + IMAGE + " sh -c 'mkdir -p /work && echo kept > /work/main.py'");
        run("commit " + cleaned + " " + COMMITTED + ":cleaned");
        String saved;
        try (java.io.InputStream image = client.saveImageCmd(COMMITTED + ":cleaned").exec()) {
            saved = tarListing(image);
        }
        assertTrue(saved.contains("work/main.py"), saved);
        assertFalse(saved.contains(".env") || saved.contains(".git/") || saved.contains("planted-0f3c"), saved);
    }

    /** The names (and, for nested layer tars, the names inside) and text of a {@code docker save} stream. */
    private static String tarListing(java.io.InputStream in) throws java.io.IOException {
        StringBuilder all = new StringBuilder();
        var tar = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(in);
        for (var entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
            all.append(entry.getName()).append('\n');
            byte[] bytes = tar.readAllBytes();
            if (bytes.length > 512 && new String(bytes, 257, 5, java.nio.charset.StandardCharsets.US_ASCII).equals("ustar")) {
                all.append(tarListing(new java.io.ByteArrayInputStream(bytes)));
            } else if (bytes.length < 4096) {
                all.append(new String(bytes, java.nio.charset.StandardCharsets.UTF_8)).append('\n');
            }
        }
        return all.toString();
    }

    @Test
    void gpusOnAnEngineWithoutTheNvidiaToolkitExplainWhatIsMissing() {
        MagicException e = assertThrows(MagicException.class, () -> run("run --rm --gpus all " + IMAGE + " true"));
        assertTrue(e.getMessage().contains("could not select device driver \"\" with capabilities: [[gpu]]"),
                e.getMessage());
        assertTrue(e.getMessage().contains("NVIDIA Container Toolkit"), e.getMessage());
        assertTrue(e.getMessage().contains("%container run --rm --gpus all " + IMAGE + " nvidia-smi"), e.getMessage());
    }

    @Test
    void aMissingImageSaysHowToGetIt() {
        MagicException e = assertThrows(MagicException.class, () -> run("run --rm drydock-it/absent:0 true"));
        assertTrue(e.getMessage().contains("%docker pull drydock-it/absent:0"), e.getMessage());
    }

    /**
     * No image with Jupyter can be built offline in a test's time, so a busybox image with a stand-in
     * {@code jupyter} script checks what Drydock controls: the command line, the token handed to the server,
     * the port on 127.0.0.1, the wait for an answer and the URL.
     */
    @Test
    void jupyterStartsTheServerOnLoopbackWithAFreshTokenAndPrintsItsUrl() throws Exception {
        Path context = Files.createDirectories(folder.resolve("fake-jupyter"));
        Files.writeString(context.resolve("jupyter"), """
                #!/bin/sh
                mkdir -p /tmp/www/api
                echo "token=$JUPYTER_TOKEN args=$*" > /tmp/www/api/index.html
                exec httpd -f -p 8888 -h /tmp/www
                """);
        Files.writeString(context.resolve("Dockerfile"), "FROM " + IMAGE + "\nCOPY jupyter /usr/local/bin/jupyter\n"
                + "RUN chmod 755 /usr/local/bin/jupyter\nLABEL dev.drydock.test=ContainerIT\n");
        client.buildImageCmd(context.toFile()).withTags(java.util.Set.of(FAKE_JUPYTER))
                .exec(new com.github.dockerjava.api.command.BuildImageResultCallback()).awaitImageId();

        RecordingNotebook notebook = run("jupyter " + FAKE_JUPYTER);
        String shown = (String) notebook.displays().get(0).bundle().get("text/plain");
        java.util.regex.Matcher url = java.util.regex.Pattern
                .compile("http://127\\.0\\.0\\.1:(\\d+)/\\?token=([0-9a-f]{48})").matcher(shown);
        assertTrue(url.find(), shown);
        String page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + url.group(1) + "/api/")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertEquals("token=" + url.group(2) + " args=notebook --ip=0.0.0.0 --port=8888 --no-browser --allow-root\n",
                page);
        String second = (String) run("jupyter " + FAKE_JUPYTER).displays().get(0).bundle().get("text/plain");
        assertFalse(second.contains(url.group(2)), "every server gets its own token");

        // Jupyter's port given in full: that binding and no other, and the URL names it.
        int port = freePort();
        RecordingNotebook bound = run("jupyter -p 0.0.0.0:" + port + ":8888 " + FAKE_JUPYTER);
        String boundUrl = (String) bound.displays().get(0).bundle().get("text/plain");
        assertTrue(boundUrl.contains("http://127.0.0.1:" + port + "/?token="), boundUrl);
        String container = boundUrl.substring("Jupyter is running in ".length(), boundUrl.indexOf(':'));
        Map<ExposedPort, Ports.Binding[]> ports = client.inspectContainerCmd(container).exec().getNetworkSettings()
                .getPorts().getBindings();
        assertEquals(java.util.Set.of(ExposedPort.tcp(8888)), ports.keySet(), ports.toString());
        assertEquals(List.of("0.0.0.0:" + port), java.util.Arrays.stream(ports.get(ExposedPort.tcp(8888)))
                .map(b -> b.getHostIp() + ":" + b.getHostPortSpec()).toList());

        MagicException noJupyter = assertThrows(MagicException.class, () -> run("jupyter " + IMAGE));
        assertTrue(noJupyter.getMessage().contains("has no jupyter command"), noJupyter.getMessage());
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** -p localhost:… binds the loopback addresses only, as docker inspect shows, never every interface. */
    @Test
    void localhostPublishesOnTheLoopbackOnly() throws Exception {
        String name = unique("localhost");
        int port = freePort();
        run("run -d --rm --name " + name + " -p localhost:" + port + ":80 " + IMAGE + " sleep 60");
        Ports.Binding[] bindings = client.inspectContainerCmd(name).exec().getHostConfig().getPortBindings()
                .getBindings().get(ExposedPort.tcp(80));
        List<String> expected = new ArrayList<>(List.of("127.0.0.1:" + port));
        if (Files.readString(Path.of("/proc/net/if_inet6")).contains("00000000000000000000000000000001")) {
            expected.add("::1:" + port);
        }
        assertEquals(expected, java.util.Arrays.stream(bindings).map(b -> b.getHostIp() + ":" + b.getHostPortSpec())
                .toList());
        Ports.Binding[] published = client.inspectContainerCmd(name).exec().getNetworkSettings().getPorts()
                .getBindings().get(ExposedPort.tcp(80));
        assertTrue(java.util.Arrays.stream(published).noneMatch(b -> b.getHostIp().equals("0.0.0.0")
                || b.getHostIp().equals("::")), java.util.Arrays.toString(published));
        run("rm -f " + name);
    }

    /** -it and start -i get what works in a notebook; exec -d starts a command and returns while it runs. */
    @Test
    void interactiveFlagsAreAnsweredAndExecDetachedLeavesItsCommandRunning() throws Exception {
        String name = unique("interactive");
        MagicException it = assertThrows(MagicException.class, () -> run("run -it --rm " + IMAGE + " sh"));
        assertEquals(MagicException.Kind.UsageError, it.kind());
        assertTrue(it.getMessage().contains("%container run -d") && it.getMessage().contains("%container exec")
                && it.getMessage().contains("%container jupyter"), it.getMessage());
        assertTrue(sessionContainers().stream().noneMatch(c -> c.getImage().equals(IMAGE) && c.getCommand().equals("sh")));

        run("run -d --name " + name + " " + IMAGE + " sleep 300");
        for (String args : List.of("exec -it " + name + " sh", "exec -i " + name + " sh", "start -i " + name,
                "start -a " + name)) {
            MagicException refused = assertThrows(MagicException.class, () -> run(args), args);
            assertEquals(MagicException.Kind.UsageError, refused.kind(), args);
            assertTrue(refused.getMessage().contains("no terminal"), refused.getMessage());
        }
        RecordingNotebook detached = run("exec -d " + name + " sh -c 'echo bg > /dev/shm/bg; sleep 200'");
        assertTrue(detached.out().startsWith("Started sh -c"), detached.out());
        awaitExec(name, "cat /dev/shm/bg", "bg\n");
        // Still running after the cell returned: the cell did not wait for it.
        assertEquals("1\n", run("exec " + name + " sh -c 'ps | grep -c \"[s]leep 200\"'").out());
        run("rm -f " + name);
    }

    private static void awaitExec(String name, String command, String expected) throws Exception {
        for (int i = 0; i < 100; i++) {
            try {
                if (run("exec " + name + " " + command).out().equals(expected)) {
                    return;
                }
            } catch (MagicException notYet) {
                // The file is not there yet.
            }
            Thread.sleep(100);
        }
        fail(command + " in " + name + " never printed " + expected);
    }

    @Test
    void anEmptyImageNameIsAnError() {
        for (String args : List.of("run \"\"", "run ''", "jupyter \"\"")) {
            MagicException e = assertThrows(MagicException.class, () -> run(args), args);
            assertTrue(e.getMessage().contains("The image name is empty"), e.getMessage());
        }
    }

    /**
     * No GPU is lent to these tests: a machine with the NVIDIA driver and no toolkit is made of files, with
     * device nodes made by mknod (char 1:3, what /dev/null is), a stand-in driver library and nvidia-smi. The
     * real engine creates and starts the container that configuration describes, and inside it the devices,
     * the library on LD_LIBRARY_PATH and nvidia-smi are there.
     */
    @Test
    void gpusWithoutTheToolkitPassTheDriversDevicesAndFilesToARealContainer() throws Exception {
        Path root = Files.createDirectories(folder.resolve("gpu-host"));
        Path dev = Files.createDirectories(root.resolve("dev"));
        for (String node : List.of("nvidia0", "nvidiactl", "nvidia-uvm")) {
            Process mknod = new ProcessBuilder("mknod", dev.resolve(node).toString(), "c", "1", "3")
                    .redirectErrorStream(true).start();
            String output = new String(mknod.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(0, mknod.waitFor(), "mknod needs root (as CI runs): " + output);
        }
        Path libs = Files.createDirectories(root.resolve("usr/local/nvidia/lib64"));
        Files.writeString(libs.resolve("libnvidia-ml.so.580.95.05"), "stand-in NVML\n");
        Files.createSymbolicLink(libs.resolve("libnvidia-ml.so.1"), Path.of("libnvidia-ml.so.580.95.05"));
        Path smi = Files.createDirectories(root.resolve("usr/local/nvidia/bin")).resolve("nvidia-smi");
        Files.writeString(smi, "#!/bin/sh\necho \"GPU 0: NVIDIA H100 80GB HBM3 (stand-in)\"\n");
        Files.setPosixFilePermissions(smi, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Magics gpuMagics = new Magics(session, MagicFamilies.ALL, List.of(docker, new RegistryCredentials(),
                HostUser.current(), ImageResolver.IMAGE_NAMES, new GpuHost(root, () -> "")));

        RecordingNotebook notebook = run(gpuMagics, "run --rm --gpus all " + IMAGE + " sh -c '"
                + "ls -l /dev/nvidia0 /dev/nvidiactl /dev/nvidia-uvm | cut -c1 | tr -d \"\\n\"; echo; "
                + "cat $LD_LIBRARY_PATH/libnvidia-ml.so.1; nvidia-smi -L'");
        assertTrue(notebook.err().contains("GPUs without the NVIDIA Container Toolkit"), notebook.err());
        assertEquals("ccc\nstand-in NVML\nGPU 0: NVIDIA H100 80GB HBM3 (stand-in)\n", notebook.out());
    }

    /**
     * An engine that freezes while a container runs attached (a SIGSTOPped dockerd): the interrupt returns
     * instead of waiting on it, and says the container may still run. The container is removed afterwards
     * through the real engine.
     */
    @Test
    void anInterruptOnAFrozenEngineReturnsAndSaysTheContainerMayStillRun() throws Exception {
        String name = unique("frozen");
        try (dev.drydock.magics.engine.FreezableEngine engine = new dev.drydock.magics.engine.FreezableEngine(folder);
                Docker frozenDocker = new Docker(() -> new dev.drydock.magics.engine.DockerEngine(
                        dev.drydock.magics.engine.DockerConfig.resolve(Map.of("DOCKER_HOST", engine.endpoint().toString()),
                                folder)))) {
            Magics frozenMagics = new Magics(session, MagicFamilies.ALL, List.of(frozenDocker, new RegistryCredentials(),
                    HostUser.current(), ImageResolver.IMAGE_NAMES));
            RecordingNotebook notebook = new RecordingNotebook();
            InterruptedMagic cell = InterruptedMagic.start(frozenMagics, new MagicCall("container", "run --rm --name "
                    + name + " " + IMAGE + " sh -c 'echo sleeping; sleep 120'", null), notebook,
                    () -> notebook.out().contains("sleeping"), java.time.Duration.ofSeconds(20));
            engine.freeze();
            MagicException thrown = cell.interrupt();
            assertEquals(MagicException.Kind.KeyboardInterrupt, thrown.kind(), thrown.getMessage());
            assertTrue(notebook.err().contains("The Docker engine does not answer, so " + name + " may still be running"),
                    notebook.err());
        } finally {
            for (Container left : client.listContainersCmd().withShowAll(true).withNameFilter(List.of(name)).exec()) {
                Containers.removeQuietly(client, left.getId());
            }
        }
    }
}

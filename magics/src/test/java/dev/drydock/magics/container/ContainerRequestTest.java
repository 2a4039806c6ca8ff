package dev.drydock.magics.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.DeviceRequest;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.core.command.CreateContainerCmdImpl;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Session;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The docker run flags as the engine receives them: the create request's JSON body. */
class ContainerRequestTest {

    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(com.fasterxml.jackson.databind.SerializationFeature.FAIL_ON_EMPTY_BEANS);

    @TempDir
    Path folder;

    private JsonNode body(ContainerOptions options, HostUser user) throws Exception {
        Session session = new Session(folder, Map.of("FROM_KERNEL", "k"));
        session.setSecret("API_TOKEN", "s3cret-value");
        CreateContainerCmd create = new ContainerRequest(session, user)
                .apply(new CreateContainerCmdImpl(cmd -> null, null, "img:1"), options);
        JsonNode body = JSON.valueToTree(create);
        assertEquals(session.id(), body.path("Labels").path(ContainerRequest.SESSION_LABEL).asText());
        return body;
    }

    private static ContainerOptions options() {
        return new ContainerOptions();
    }

    @Test
    void portsBindToLoopbackUnlessAnAddressIsGiven() throws Exception {
        ContainerOptions options = options();
        options.publish = List.of("8888:8888", "0.0.0.0:8080:80", "9000", "5353:53/udp", "127.0.0.2::7000");
        JsonNode bindings = body(options, new HostUser(0, 0)).path("HostConfig").path("PortBindings");
        assertEquals("[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8888\"}]", bindings.path("8888/tcp").toString());
        assertEquals("[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}]", bindings.path("80/tcp").toString());
        assertEquals("127.0.0.1", bindings.path("9000/tcp").get(0).path("HostIp").asText());
        assertTrue(bindings.path("9000/tcp").get(0).path("HostPort").isMissingNode()
                || bindings.path("9000/tcp").get(0).path("HostPort").isNull()
                || bindings.path("9000/tcp").get(0).path("HostPort").asText().isEmpty());
        assertEquals("5353", bindings.path("53/udp").get(0).path("HostPort").asText());
        assertEquals("127.0.0.2", bindings.path("7000/tcp").get(0).path("HostIp").asText());
    }

    @Test
    void badPortsAreUsageErrors() {
        for (String spec : List.of("a:b", "1:2:3:4", "80/icmp", ":80:80")) {
            MagicException e = assertThrows(MagicException.class, () -> ContainerRequest.port(spec), spec);
            assertEquals(MagicException.Kind.UsageError, e.kind());
        }
        PortBinding v6 = assertDoesNotThrow(() -> ContainerRequest.port("[::1]:8080:80"));
        assertEquals("::1", v6.getBinding().getHostIp());
    }

    /** The engine reads a name it cannot parse as every interface: localhost becomes the loopback addresses. */
    @Test
    void localhostIsTheLoopbackAndOtherNamesAreRefused() throws Exception {
        List<PortBinding> both = ContainerRequest.ports("localhost:18087:80", true);
        assertEquals(List.of("127.0.0.1", "::1"), both.stream().map(b -> b.getBinding().getHostIp()).toList());
        assertTrue(both.stream().allMatch(b -> "18087".equals(b.getBinding().getHostPortSpec())
                && b.getExposedPort().getPort() == 80));
        assertEquals(List.of("127.0.0.1"), ContainerRequest.ports("localhost:18087:80", false).stream()
                .map(b -> b.getBinding().getHostIp()).toList());
        MagicException named = assertThrows(MagicException.class, () -> ContainerRequest.ports("myhost:80:80"));
        assertTrue(named.getMessage().contains("myhost is not an IP address"), named.getMessage());

        ContainerOptions options = options();
        options.publish = List.of("localhost:18087:80");
        JsonNode bindings = body(options, new HostUser(0, 0)).path("HostConfig").path("PortBindings");
        assertEquals("127.0.0.1", bindings.path("80/tcp").get(0).path("HostIp").asText());
    }

    @Test
    void theIpv6LoopbackIsFoundInProcNetIfInet6() throws Exception {
        Path file = folder.resolve("if_inet6");
        Files.writeString(file, "fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n"
                + "00000000000000000000000000000001 01 80 10 80       lo\n");
        assertTrue(ContainerRequest.hasIpv6Loopback(file));
        Files.writeString(file, "fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n");
        assertFalse(ContainerRequest.hasIpv6Loopback(file));
        assertFalse(ContainerRequest.hasIpv6Loopback(folder.resolve("absent")));
    }

    private static <T> T assertDoesNotThrow(org.junit.jupiter.api.function.ThrowingSupplier<T> supplier) {
        return org.junit.jupiter.api.Assertions.assertDoesNotThrow(supplier);
    }

    @Test
    void relativeHostPathsResolveAgainstTheNotebooksFolderAndBareWordsAreVolumes() throws Exception {
        ContainerOptions options = options();
        options.volumes = List.of("./data:/data", "models:/models", "/etc/hosts:/h:ro", "../up:/up", "/scratch");
        JsonNode body = body(options, new HostUser(0, 0));
        List<String> binds = JSON.convertValue(body.path("HostConfig").path("Binds"), new TypeReference<List<String>>() { });
        assertEquals(List.of(folder.resolve("data") + ":/data:rw", "models:/models:rw", "/etc/hosts:/h:ro",
                folder.getParent().resolve("up") + ":/up:rw"), binds);
        assertTrue(body.path("Volumes").has("/scratch"), body.toString());
    }

    @Test
    void missingBindSourcesAreCreatedAsTheHostUser() throws Exception {
        Session session = new Session(folder, Map.of());
        ContainerOptions options = options();
        options.volumes = List.of("./out/run1:/out", "named:/n");
        ContainerRequest request = new ContainerRequest(session, new HostUser(0, 0));
        request.apply(new CreateContainerCmdImpl(cmd -> null, null, "img"), options);
        assertEquals(List.of(folder.resolve("out/run1")), request.bindSources());
        request.createMissingBindSources();
        assertTrue(Files.isDirectory(folder.resolve("out/run1")));
    }

    @Test
    void volumeTargetsMustBeAbsolute() {
        ContainerOptions options = options();
        options.volumes = List.of("./data:data");
        MagicException e = assertThrows(MagicException.class, () -> body(options, new HostUser(0, 0)));
        assertEquals(MagicException.Kind.UsageError, e.kind());
    }

    @Test
    void environmentReadsEnvFilesAsDockerDoesThenDashEWinsAndBareKeysPassTheSessionsValue() throws Exception {
        Files.writeString(folder.resolve("app.env"), "# comment\n\nA=from-file\n  B=\"quoted stays\"\nFROM_KERNEL\nUNSET\n");
        ContainerOptions options = options();
        options.envFiles = List.of("app.env");
        options.env = List.of("A=from-flag", "API_TOKEN", "C=x=y");
        JsonNode body = body(options, new HostUser(0, 0));
        assertEquals(List.of("B=\"quoted stays\"", "FROM_KERNEL=k", "A=from-flag", "API_TOKEN=s3cret-value", "C=x=y"),
                JSON.convertValue(body.path("Env"), List.class));
    }

    @Test
    void runsAsTheHostUserByDefaultRootIncludedAndUserWins() throws Exception {
        assertEquals("1000:1001", body(options(), new HostUser(1000, 1001)).path("User").asText());
        assertEquals("0:0", body(options(), new HostUser(0, 0)).path("User").asText(),
                "a root kernel's containers write its mounts as root, not as the image's user");
        ContainerOptions options = options();
        options.user = "nobody";
        assertEquals("nobody", body(options, new HostUser(1000, 1001)).path("User").asText());
    }

    @Test
    void gpusAllSendsTheSameDeviceRequestAsDockerRunGpusAll() throws Exception {
        ContainerOptions options = options();
        options.gpus = "all";
        options.shmSize = "2g";
        JsonNode host = body(options, new HostUser(0, 0)).path("HostConfig");
        assertEquals(JSON.readTree("[{\"Driver\":\"\",\"Count\":-1,\"Capabilities\":[[\"gpu\"]],\"Options\":{}}]"),
                withoutNulls(host.path("DeviceRequests")));
        assertEquals(2L * 1024 * 1024 * 1024, host.path("ShmSize").asLong());
    }

    private static JsonNode withoutNulls(JsonNode node) {
        node.forEach(request -> ((com.fasterxml.jackson.databind.node.ObjectNode) request).remove(
                List.of("DeviceIDs")));
        return node;
    }

    @Test
    void gpuValuesParseAsTheDockerCliParsesThem() throws MagicException {
        DeviceRequest two = GpuRequest.parse("2");
        assertEquals(2, two.getCount());
        assertNull(two.getDeviceIds());
        DeviceRequest devices = GpuRequest.parse("\"device=0,2\"");
        assertEquals(List.of("0", "2"), devices.getDeviceIds());
        assertEquals(0, devices.getCount());
        DeviceRequest caps = GpuRequest.parse("count=1,capabilities=compute,driver=nvidia");
        assertEquals(List.of(List.of("compute", "gpu")), caps.getCapabilities());
        assertEquals("nvidia", caps.getDriver());
        assertEquals(1, GpuRequest.parse("driver=nvidia").getCount());
        for (String bad : List.of("many", "all,all", "colour=red", "count=x")) {
            assertEquals(MagicException.Kind.UsageError,
                    assertThrows(MagicException.class, () -> GpuRequest.parse(bad), bad).kind());
        }
    }

    @Test
    void theGpuErrorNamesTheToolkitAndHowToCheck() {
        String text = GpuRequest.explain("could not select device driver \"\" with capabilities: [[gpu]]", "cuda:12");
        assertTrue(text.contains("NVIDIA Container Toolkit"), text);
        assertTrue(text.contains("%container run --rm --gpus all cuda:12 nvidia-smi"), text);
        assertTrue(text.contains("could not select device driver"), text);
    }

    @Test
    void sizesReadAsTheDockerCliReadsThem() throws MagicException {
        assertEquals(64L * 1024 * 1024, ContainerRequest.bytes("64m", "--shm-size"));
        assertEquals(1536L * 1024 * 1024, ContainerRequest.bytes("1.5GB", "--shm-size"));
        assertEquals(512, ContainerRequest.bytes("512", "--shm-size"));
        assertThrows(MagicException.class, () -> ContainerRequest.bytes("lots", "--shm-size"));
    }

    @Test
    void aMountedSocketAddsItsGroupSoTheMappedUserCanUseIt() throws Exception {
        Path socket = folder.resolve("engine.sock");
        try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(socket));
            String gid = String.valueOf(Files.getAttribute(socket, "unix:gid"));
            ContainerOptions options = options();
            options.volumes = List.of("./engine.sock:/var/run/docker.sock", "./data:/data");
            options.groups = List.of("video");
            assertEquals(List.of("video", gid), JSON.convertValue(
                    body(options, new HostUser(1000, 1000)).path("HostConfig").path("GroupAdd"), List.class));

            options.user = "1000:1000";
            assertEquals(List.of("video"), JSON.convertValue(
                    body(options, new HostUser(1000, 1000)).path("HostConfig").path("GroupAdd"), List.class),
                    "an explicit --user chooses its groups itself");
        }
    }
}

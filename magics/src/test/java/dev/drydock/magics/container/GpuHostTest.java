package dev.drydock.magics.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.core.command.CreateContainerCmdImpl;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Session;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --gpus on a machine described by files: the H100 machine of ../shared/GPU.md (driver 580 under
 * /usr/local/nvidia, no toolkit) and a Debian-style one whose driver libraries ldconfig lists. No GPU is lent
 * to this project's tests, so the decision and the create request it produces are what is checked here;
 * ContainerIT starts a container from such a request on the real engine.
 */
class GpuHostTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LDCONFIG = """
            1234 libs found in cache `/etc/ld.so.cache'
            \tlibnvidia-ml.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libnvidia-ml.so.1
            \tlibnvidia-ml.so.1 (libc6) => /lib/i386-linux-gnu/libnvidia-ml.so.1
            \tlibnvidia-ptxjitcompiler.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libnvidia-ptxjitcompiler.so.1
            \tlibc.so.6 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libc.so.6
            \tlibcudart.so.12 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.12
            """;

    @TempDir
    Path root;

    @BeforeEach
    void aMachineWithTheDriverButNoToolkit() throws Exception {
        for (String node : List.of("nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm", "nvidia-caps/nvidia-cap1", "null")) {
            touch("dev/" + node);
        }
        touch("lib/x86_64-linux-gnu/libnvidia-ml.so.580.95.05");
        Files.createSymbolicLink(root.resolve("lib/x86_64-linux-gnu/libnvidia-ml.so.1"), Path.of("libnvidia-ml.so.580.95.05"));
        touch("lib/i386-linux-gnu/libnvidia-ml.so.1");
        touch("lib/x86_64-linux-gnu/libc.so.6");
        touch("usr/local/cuda/lib64/libcudart.so.12");
        touch("usr/local/nvidia/lib64/libcuda.so.580.95.05");
        Files.createSymbolicLink(root.resolve("usr/local/nvidia/lib64/libcuda.so.1"), Path.of("libcuda.so.580.95.05"));
        touch("usr/local/nvidia/lib64/libEGL.so.1");
        Path smi = touch("usr/local/nvidia/bin/nvidia-smi");
        Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Path touch(String path) throws Exception {
        Path file = root.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, path);
        return file;
    }

    private JsonNode create(String gpus, Set<String> runtimes, Optional<String> remote, Optional<String> imagePath,
            List<String> optionsEnv, List<String> decisions) throws Exception {
        ContainerOptions options = new ContainerOptions();
        options.gpus = gpus;
        options.env = new ArrayList<>(optionsEnv);
        ContainerRequest request = new ContainerRequest(new Session(root, Map.of()), new HostUser(0, 0), remote);
        request.gpus(new GpuHost(root, () -> LDCONFIG), runtimes, imagePath);
        JsonNode body = JSON.valueToTree(request.apply(new CreateContainerCmdImpl(cmd -> null, null, "img:1"), options));
        decisions.add(request.gpuDecision().orElseThrow());
        return body;
    }

    private List<String> strings(JsonNode array) {
        List<String> list = new ArrayList<>();
        array.forEach(item -> list.add(item.asText()));
        return list;
    }

    @Test
    void withoutTheToolkitTheDevicesLibrariesAndNvidiaSmiArePassed() throws Exception {
        List<String> decisions = new ArrayList<>();
        JsonNode body = create("all", Set.of("runc", "io.containerd.runc.v2"), Optional.empty(),
                Optional.of("/usr/local/cuda/lib64"), List.of(), decisions);
        JsonNode host = body.path("HostConfig");
        List<String> devices = new ArrayList<>();
        host.path("Devices").forEach(d -> devices.add(d.path("PathOnHost").asText() + ">" + d.path("PathInContainer").asText()
                + ":" + d.path("CgroupPermissions").asText()));
        assertEquals(List.of(
                root.resolve("dev/nvidia0") + ">/dev/nvidia0:rwm",
                root.resolve("dev/nvidia1") + ">/dev/nvidia1:rwm",
                root.resolve("dev/nvidiactl") + ">/dev/nvidiactl:rwm",
                root.resolve("dev/nvidia-uvm") + ">/dev/nvidia-uvm:rwm",
                root.resolve("dev/nvidia-caps/nvidia-cap1") + ">/dev/nvidia-caps/nvidia-cap1:rwm"), devices);
        assertTrue(host.path("DeviceRequests").isMissingNode() || host.path("DeviceRequests").isNull()
                || host.path("DeviceRequests").isEmpty(), host.toString());
        Path real = root.toRealPath();
        assertEquals(List.of(
                real.resolve("lib/x86_64-linux-gnu/libnvidia-ml.so.580.95.05") + ":/usr/local/nvidia/lib64/libnvidia-ml.so.1:ro",
                real.resolve("usr/local/nvidia/lib64/libcuda.so.580.95.05") + ":/usr/local/nvidia/lib64/libcuda.so.1:ro",
                real.resolve("usr/local/nvidia/lib64/libcuda.so.580.95.05") + ":/usr/local/nvidia/lib64/libcuda.so.580.95.05:ro",
                real.resolve("usr/local/nvidia/bin/nvidia-smi") + ":/usr/local/bin/nvidia-smi:ro"),
                strings(host.path("Binds")));
        assertTrue(strings(body.path("Env")).contains("LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/local/nvidia/lib64"),
                body.path("Env").toString());
        assertEquals("GPUs without the NVIDIA Container Toolkit (the engine has no nvidia runtime): passing /dev/nvidia0, "
                + "/dev/nvidia1, /dev/nvidiactl, /dev/nvidia-uvm, /dev/nvidia-caps/nvidia-cap1, 3 driver libraries "
                + "(under /usr/local/nvidia/lib64) and nvidia-smi.", decisions.get(0));
    }

    @Test
    void aCountOrAnIndexPicksTheGpusAndAUuidIsRefused() throws Exception {
        List<String> decisions = new ArrayList<>();
        JsonNode one = create("device=1", Set.of(), Optional.empty(), Optional.empty(), List.of("LD_LIBRARY_PATH=/mine"),
                decisions);
        List<String> paths = new ArrayList<>();
        one.path("HostConfig").path("Devices").forEach(d -> paths.add(d.path("PathInContainer").asText()));
        assertEquals("/dev/nvidia1", paths.get(0));
        assertTrue(!paths.contains("/dev/nvidia0"), paths.toString());
        assertTrue(strings(one.path("Env")).contains("LD_LIBRARY_PATH=/mine"), "the person's own value stays");
        JsonNode first = create("1", Set.of(), Optional.empty(), Optional.empty(), List.of(), decisions);
        assertEquals("/dev/nvidia0", first.path("HostConfig").path("Devices").get(0).path("PathInContainer").asText());
        assertEquals("/dev/nvidiactl", first.path("HostConfig").path("Devices").get(1).path("PathInContainer").asText());
        MagicException uuid = assertThrows(MagicException.class, () -> create("device=GPU-3a5b", Set.of(),
                Optional.empty(), Optional.empty(), List.of(), decisions));
        assertTrue(uuid.getMessage().contains("by index"), uuid.getMessage());
        MagicException absent = assertThrows(MagicException.class, () -> create("device=7", Set.of(),
                Optional.empty(), Optional.empty(), List.of(), decisions));
        assertTrue(absent.getMessage().contains("no /dev/nvidia7"), absent.getMessage());
    }

    @Test
    void theToolkitOrARemoteEngineKeepsTheDeviceRequest() throws Exception {
        List<String> decisions = new ArrayList<>();
        for (JsonNode body : List.of(
                create("all", Set.of("runc", "nvidia"), Optional.empty(), Optional.empty(), List.of(), decisions),
                create("all", Set.of("runc"), Optional.of("gpu-vm"), Optional.empty(), List.of(), decisions))) {
            JsonNode host = body.path("HostConfig");
            assertEquals(-1, host.path("DeviceRequests").get(0).path("Count").asInt(), host.toString());
            assertEquals("[[\"gpu\"]]", host.path("DeviceRequests").get(0).path("Capabilities").toString());
            assertTrue(host.path("Devices").isMissingNode() || host.path("Devices").isNull(), host.toString());
        }
        assertEquals("GPUs through the NVIDIA Container Toolkit (the engine's nvidia runtime).", decisions.get(0));
        assertTrue(decisions.get(1).contains("engine on gpu-vm"), decisions.get(1));
    }

    @Test
    void noDriverHereKeepsTheDeviceRequestForTheEngineToRefuse() throws Exception {
        GpuHost none = new GpuHost(root.resolve("empty"), () -> "");
        assertEquals(List.of(), none.gpuNodes());
        assertEquals(Map.of(), none.driverLibraries());
        List<String> libraries = new ArrayList<>(new GpuHost(root, () -> LDCONFIG).driverLibraries().keySet());
        assertEquals(List.of("libnvidia-ml.so.1", "libcuda.so.1", "libcuda.so.580.95.05"), libraries,
                "the 32-bit copy, libc, the CUDA runtime (the image's own) and non-driver libraries stay out");
    }
}

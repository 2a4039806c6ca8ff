package dev.drydock.magics.container;

import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.DeviceRequest;
import com.github.dockerjava.api.model.Device;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import dev.drydock.magics.MagicException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * How {@code --gpus} reaches a container on this machine. With the NVIDIA Container Toolkit registered (the
 * engine lists an {@code nvidia} runtime) the device request goes to the engine as the docker CLI sends it.
 * Without it, but with the NVIDIA driver here ({@code /dev/nvidia*}), the container gets what the toolkit's CDI
 * specification would give it: the device nodes, the driver's user-space libraries (from {@code ldconfig -p} and
 * the driver's own folder, {@code /usr/local/nvidia}) read-only under {@code /usr/local/nvidia/lib64} with
 * {@code LD_LIBRARY_PATH} pointing there, and {@code nvidia-smi}. The machine's root and its {@code ldconfig -p}
 * are passed in, so tests describe a GPU machine with files.
 */
public final class GpuHost {

    /** Where the driver's files go inside the container: nvidia-docker's folder, on CUDA images' LD_LIBRARY_PATH. */
    static final String CONTAINER_LIBS = "/usr/local/nvidia/lib64";
    static final String CONTAINER_SMI = "/usr/local/bin/nvidia-smi";

    /** The driver's libraries (libnvidia-container's list of compute and utility libraries, by name). */
    private static final Pattern DRIVER_LIBRARY =
            Pattern.compile("lib(cuda|cudadebugger|nvcuvid|nvidia-[A-Za-z0-9_-]+)\\.so(\\.[0-9.]+)?");
    /** One {@code ldconfig -p} entry: {@code libcuda.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libcuda.so.1}. */
    private static final Pattern LDCONFIG_ENTRY = Pattern.compile("\\s*(\\S+) \\(([^)]*)\\)(?: [^=]*)? => (\\S+)");
    private static final Pattern GPU_NODE = Pattern.compile("nvidia(\\d+)");
    private static final List<String> CONTROL_NODES = List.of("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools",
            "nvidia-modeset");
    private static final List<String> DRIVER_FOLDERS = List.of("usr/local/nvidia/lib64", "usr/local/nvidia/lib");
    private static final List<String> SMI = List.of("usr/local/nvidia/bin/nvidia-smi", "usr/bin/nvidia-smi",
            "usr/local/bin/nvidia-smi", "bin/nvidia-smi");

    private final Path root;
    private final Supplier<String> ldconfig;

    public GpuHost(Path root, Supplier<String> ldconfig) {
        this.root = root;
        this.ldconfig = ldconfig;
    }

    /** This machine, with its own {@code ldconfig -p}. */
    public static GpuHost local() {
        return new GpuHost(Path.of("/"), GpuHost::runLdconfig);
    }

    /** What was decided, in one sentence for the cell. */
    public record Decision(String summary) {}

    /**
     * Fills {@code host} for {@code request} and returns which way it went: the toolkit's device request when the
     * engine has the {@code nvidia} runtime (or when it runs on another machine, whose devices this one cannot
     * see), else the driver's devices and files when this machine has them, else the device request, which the
     * engine refuses with the toolkit explanation.
     */
    public Decision apply(HostConfig host, List<String> env, DeviceRequest request, Set<String> runtimes,
            Optional<String> remoteMachine, Optional<String> imageLibraryPath) throws MagicException {
        if (runtimes.contains("nvidia")) {
            host.withDeviceRequests(List.of(request));
            return new Decision("GPUs through the NVIDIA Container Toolkit (the engine's nvidia runtime).");
        }
        if (remoteMachine.isPresent()) {
            host.withDeviceRequests(List.of(request));
            return new Decision("GPUs requested from the engine on " + remoteMachine.get() + " (its NVIDIA Container "
                    + "Toolkit must give them; this machine cannot see that one's devices).");
        }
        List<String> gpus = gpuNodes();
        if (gpus.isEmpty()) {
            host.withDeviceRequests(List.of(request));
            return new Decision("GPUs requested from the engine, which has no nvidia runtime, and this machine has no "
                    + "/dev/nvidia* devices.");
        }
        List<String> chosen = choose(gpus, request);
        List<Device> devices = new ArrayList<>();
        List<String> nodes = new ArrayList<>(chosen);
        for (String control : CONTROL_NODES) {
            if (Files.exists(root.resolve("dev").resolve(control))) {
                nodes.add(control);
            }
        }
        nodes.addAll(capabilityNodes());
        for (String node : nodes) {
            devices.add(new Device("rwm", "/dev/" + node, root.resolve("dev").resolve(node).toString()));
        }
        Map<String, Path> libraries = driverLibraries();
        List<Bind> binds = new ArrayList<>(host.getBinds() == null ? List.of() : List.of(host.getBinds()));
        libraries.forEach((name, file) -> binds.add(Bind.parse(file + ":" + CONTAINER_LIBS + "/" + name + ":ro")));
        Optional<Path> smi = nvidiaSmi();
        smi.ifPresent(file -> binds.add(new Bind(file.toString(), new Volume(CONTAINER_SMI),
                com.github.dockerjava.api.model.AccessMode.ro)));
        host.withDevices(devices).withBinds(binds);
        if (!libraries.isEmpty() && env.stream().noneMatch(e -> e.startsWith("LD_LIBRARY_PATH="))) {
            String path = imageLibraryPath.filter(p -> !p.isBlank()).map(p -> p.contains(CONTAINER_LIBS) ? p
                    : p + ":" + CONTAINER_LIBS).orElse(CONTAINER_LIBS);
            env.add("LD_LIBRARY_PATH=" + path);
        }
        return new Decision("GPUs without the NVIDIA Container Toolkit (the engine has no nvidia runtime): passing "
                + String.join(", ", nodes.stream().map(n -> "/dev/" + n).toList()) + ", " + libraries.size()
                + " driver libraries (under " + CONTAINER_LIBS + ")"
                + (smi.isPresent() ? " and nvidia-smi" : ", and no nvidia-smi was found here") + ".");
    }

    /** The GPUs' device nodes here, by index: {@code nvidia0}, {@code nvidia1} ... */
    List<String> gpuNodes() {
        Path dev = root.resolve("dev");
        if (!Files.isDirectory(dev)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dev)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> GPU_NODE.matcher(n).matches())
                    .sorted((a, b) -> Integer.compare(index(a), index(b))).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static int index(String node) {
        Matcher matcher = GPU_NODE.matcher(node);
        return matcher.matches() ? Integer.parseInt(matcher.group(1)) : Integer.MAX_VALUE;
    }

    /** The GPUs a request names: all, the first N, or device=0,2 by index. */
    private static List<String> choose(List<String> gpus, DeviceRequest request) throws MagicException {
        if (request.getDeviceIds() != null && !request.getDeviceIds().isEmpty()) {
            List<String> chosen = new ArrayList<>();
            for (String id : request.getDeviceIds()) {
                if (!id.matches("\\d+")) {
                    throw MagicException.usage("--gpus device=" + id + ": without the NVIDIA Container Toolkit, "
                            + "Drydock passes GPUs by index (device=0,1); this machine has " + gpus + ".");
                }
                if (!gpus.contains("nvidia" + id)) {
                    throw MagicException.usage("--gpus device=" + id + ": this machine has no /dev/nvidia" + id
                            + " (it has " + gpus.stream().map(g -> "/dev/" + g).toList() + ").");
                }
                chosen.add("nvidia" + id);
            }
            return chosen;
        }
        int count = request.getCount() == null ? -1 : request.getCount();
        return count < 0 || count >= gpus.size() ? gpus : gpus.subList(0, count);
    }

    /** /dev/nvidia-caps/* (MIG and other capabilities), which the toolkit also passes. */
    private List<String> capabilityNodes() {
        Path caps = root.resolve("dev/nvidia-caps");
        if (!Files.isDirectory(caps)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(caps)) {
            return files.map(f -> "nvidia-caps/" + f.getFileName()).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * The driver's libraries by the name the container loads them by (the soname, as ldconfig lists it), each
     * resolved to its real file here: the 64-bit ones of {@code ldconfig -p}, then the driver's own folder.
     */
    Map<String, Path> driverLibraries() {
        Map<String, Path> libraries = new LinkedHashMap<>();
        for (String line : ldconfig.get().lines().toList()) {
            Matcher entry = LDCONFIG_ENTRY.matcher(line);
            if (entry.matches() && DRIVER_LIBRARY.matcher(entry.group(1)).matches()
                    && (entry.group(2).contains("x86-64") || entry.group(2).contains("AArch64"))) {
                real(root.resolve(entry.group(3).replaceFirst("^/", ""))).ifPresent(
                        file -> libraries.putIfAbsent(entry.group(1), file));
            }
        }
        for (String folder : DRIVER_FOLDERS) {
            Path dir = root.resolve(folder);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.list(dir)) {
                for (Path file : (Iterable<Path>) files.sorted()::iterator) {
                    String name = file.getFileName().toString();
                    if (DRIVER_LIBRARY.matcher(name).matches()) {
                        real(file).ifPresent(real -> libraries.putIfAbsent(name, real));
                    }
                }
            } catch (IOException ignored) {
                // An unreadable folder adds nothing.
            }
        }
        return libraries;
    }

    private Optional<Path> nvidiaSmi() {
        return SMI.stream().map(root::resolve).filter(Files::isExecutable).findFirst().flatMap(GpuHost::real);
    }

    /** The file a link ends at: the engine binds the target, and a dangling link is no library. */
    private static Optional<Path> real(Path file) {
        try {
            Path real = file.toRealPath();
            return Files.isRegularFile(real) ? Optional.of(real) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String runLdconfig() {
        for (String ldconfig : List.of("/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig")) {
            try {
                Process process = new ProcessBuilder(ldconfig, "-p").redirectErrorStream(true).start();
                String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0) {
                    return output;
                }
            } catch (IOException e) {
                // Not at this path; try the next.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "";
            }
        }
        return "";
    }

    /** The runtimes an engine offers, by name ({@code runc}, {@code nvidia} ...). */
    public static Set<String> runtimes(com.github.dockerjava.api.DockerClient client) {
        try {
            var runtimes = client.infoCmd().exec().getRuntimes();
            return runtimes == null ? Set.of() : new TreeSet<>(runtimes.keySet());
        } catch (RuntimeException e) {
            return Set.of();
        }
    }
}

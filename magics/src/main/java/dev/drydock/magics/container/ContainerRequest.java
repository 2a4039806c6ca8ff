package dev.drydock.magics.container;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.DeviceRequest;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.InternetProtocol;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.Volume;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Session;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What {@link ContainerOptions} ask of the engine: the {@code docker run} flags mapped onto docker-java's
 * create request. Paths resolve against the notebook's folder, ports bind to 127.0.0.1 unless an address is
 * given, and the container carries the session's label.
 */
public final class ContainerRequest {

    /** The label naming the kernel session that started a container: {@code ls --notebook} filters on it. */
    public static final String SESSION_LABEL = "dev.drydock.session";
    static final String LOOPBACK = "127.0.0.1";

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?) ?([kmgtp])?i?b?", Pattern.CASE_INSENSITIVE);
    private static final Pattern PORT = Pattern.compile("(\\d+)(?:/(tcp|udp|sctp))?");

    private final Session session;
    private final HostUser hostUser;
    private final List<Path> bindSources = new ArrayList<>();

    private final Optional<String> remoteMachine;
    private GpuHost gpuHost;
    private Set<String> runtimes = Set.of();
    private Optional<String> imageLibraryPath = Optional.empty();
    private GpuHost.Decision gpuDecision;
    private final List<String> remoteBinds = new ArrayList<>();

    /** For an engine on this machine. */
    public ContainerRequest(Session session, HostUser hostUser) {
        this(session, hostUser, Optional.empty());
    }

    /**
     * For the engine of {@code remoteMachine} (an {@code ssh://} engine, a remote {@code tcp://} one), whose bind
     * mounts name that machine's folders: empty for a local engine.
     */
    public ContainerRequest(Session session, HostUser hostUser, Optional<String> remoteMachine) {
        this.session = session;
        this.hostUser = hostUser;
        this.remoteMachine = remoteMachine;
    }

    /** Fills {@code create} from the options; {@code create} already names the image. */
    public CreateContainerCmd apply(CreateContainerCmd create, ContainerOptions options) throws MagicException {
        HostConfig host = HostConfig.newHostConfig();
        List<ExposedPort> exposed = new ArrayList<>();
        List<PortBinding> bindings = new ArrayList<>();
        for (String spec : options.publish) {
            for (PortBinding binding : ports(spec)) {
                if (!exposed.contains(binding.getExposedPort())) {
                    exposed.add(binding.getExposedPort());
                }
                bindings.add(binding);
            }
        }
        List<Bind> binds = new ArrayList<>();
        List<Volume> anonymous = new ArrayList<>();
        for (String spec : options.volumes) {
            volume(spec, binds, anonymous);
        }
        host.withPortBindings(bindings).withBinds(binds);
        List<String> groups = new ArrayList<>(options.groups);
        if (options.user == null) {
            socketGroups(groups);
        }
        if (!groups.isEmpty()) {
            host.withGroupAdd(groups);
        }
        List<String> env = environment(options);
        if (options.gpus != null) {
            DeviceRequest request = GpuRequest.parse(options.gpus);
            if (gpuHost == null) {
                host.withDeviceRequests(List.of(request));
            } else {
                gpuDecision = gpuHost.apply(host, env, request, runtimes, remoteMachine, imageLibraryPath);
            }
        }
        if (options.shmSize != null) {
            host.withShmSize(bytes(options.shmSize, "--shm-size"));
        }
        create.withHostConfig(host)
                .withExposedPorts(exposed)
                .withEnv(env)
                .withLabels(Map.of(SESSION_LABEL, session.id()));
        if (!anonymous.isEmpty()) {
            create.withVolumes(anonymous);
        }
        if (options.name != null) {
            create.withName(options.name);
        }
        if (options.workdir != null) {
            create.withWorkingDir(options.workdir);
        }
        String user = options.user != null ? options.user : hostUser.containerUser();
        if (user != null) {
            create.withUser(user);
        }
        return create;
    }

    /**
     * Lets {@code --gpus} pick its way on this machine (see {@link GpuHost}): the engine's runtimes, and the
     * image's {@code LD_LIBRARY_PATH}, which the driver's folder is added to. Without it, --gpus is the device
     * request alone.
     */
    public void gpus(GpuHost host, DockerClient client, String image) {
        Optional<String> libraryPath;
        try {
            String[] imageEnv = client.inspectImageCmd(image).exec().getConfig().getEnv();
            libraryPath = imageEnv == null ? Optional.empty() : Stream.of(imageEnv)
                    .filter(e -> e.startsWith("LD_LIBRARY_PATH=")).map(e -> e.substring(16)).findFirst();
        } catch (RuntimeException e) {
            // No such image: creating the container says so in its own words.
            libraryPath = Optional.empty();
        }
        gpus(host, GpuHost.runtimes(client), libraryPath);
    }

    void gpus(GpuHost host, Set<String> engineRuntimes, Optional<String> libraryPath) {
        this.gpuHost = host;
        this.runtimes = engineRuntimes;
        this.imageLibraryPath = libraryPath;
    }

    /** Which way --gpus went in the last {@link #apply}, when {@link #gpus} let it choose. */
    public Optional<String> gpuDecision() {
        return Optional.ofNullable(gpuDecision).map(GpuHost.Decision::summary);
    }

    /**
     * The host folders bound by the last {@link #apply}. The engine would create a missing one as root;
     * {@link #createMissingBindSources()} makes it as the person instead, so the container can write to it.
     */
    public List<Path> bindSources() {
        return List.copyOf(bindSources);
    }

    public void createMissingBindSources() throws MagicException {
        for (Path source : bindSources) {
            if (!Files.exists(source)) {
                try {
                    Files.createDirectories(source);
                } catch (IOException e) {
                    throw MagicException.failed("Cannot create the folder " + source + " to mount: " + e.getMessage());
                }
            }
        }
    }

    /**
     * The owning group of each bind-mounted socket: the container runs as the person's uid, which reaches
     * the host's docker.sock through the socket's group, not through a group the image knows by name.
     */
    private void socketGroups(List<String> groups) {
        for (Path source : bindSources) {
            try {
                PosixFileAttributes attributes = Files.readAttributes(source, PosixFileAttributes.class);
                if (attributes.isOther()) {
                    String gid = String.valueOf(Files.getAttribute(source, "unix:gid"));
                    if (!groups.contains(gid)) {
                        groups.add(gid);
                    }
                }
            } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
                // Not there yet (created as a folder later) or not a POSIX file system: no socket to share.
            }
        }
    }

    /**
     * The bindings of one {@code -p}: {@code localhost} means the loopback addresses, 127.0.0.1 and (where this
     * machine has IPv6) ::1. The engine reads a host name it cannot parse as every interface, which is the
     * opposite of what was asked, so any other name is refused.
     */
    static List<PortBinding> ports(String spec) throws MagicException {
        return ports(spec, IPV6_LOOPBACK);
    }

    static List<PortBinding> ports(String spec, boolean ipv6Loopback) throws MagicException {
        PortBinding binding = port(spec);
        String ip = binding.getBinding().getHostIp();
        if (!ip.equalsIgnoreCase("localhost")) {
            return List.of(binding);
        }
        List<PortBinding> loopback = new ArrayList<>();
        loopback.add(new PortBinding(new Ports.Binding(LOOPBACK, binding.getBinding().getHostPortSpec()),
                binding.getExposedPort()));
        if (ipv6Loopback) {
            loopback.add(new PortBinding(new Ports.Binding("::1", binding.getBinding().getHostPortSpec()),
                    binding.getExposedPort()));
        }
        return loopback;
    }

    /** Whether this machine has ::1 (Linux lists it in /proc/net/if_inet6): binding it elsewhere fails the start. */
    private static final boolean IPV6_LOOPBACK = hasIpv6Loopback(Path.of("/proc/net/if_inet6"));

    static boolean hasIpv6Loopback(Path ifInet6) {
        try {
            return Files.readAllLines(ifInet6).stream().anyMatch(line -> line.startsWith("00000000000000000000000000000001"));
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code [IP:][HOST:]CONTAINER[/PROTO]}, as docker run -p takes it, on 127.0.0.1 unless IP is given. */
    static PortBinding port(String spec) throws MagicException {
        String ip = LOOPBACK;
        String rest = spec;
        if (rest.startsWith("[")) {
            int close = rest.indexOf("]:");
            if (close < 0) {
                throw badPort(spec);
            }
            ip = rest.substring(1, close);
            rest = rest.substring(close + 2);
        }
        String[] parts = rest.split(":", -1);
        String hostPort;
        String containerPort;
        switch (parts.length) {
            case 1 -> {
                hostPort = null;
                containerPort = parts[0];
            }
            case 2 -> {
                hostPort = parts[0];
                containerPort = parts[1];
            }
            case 3 -> {
                if (!spec.startsWith("[")) {
                    ip = parts[0];
                } else {
                    throw badPort(spec);
                }
                hostPort = parts[1];
                containerPort = parts[2];
            }
            default -> throw badPort(spec);
        }
        Matcher matcher = PORT.matcher(containerPort);
        if (!matcher.matches() || (hostPort != null && !hostPort.isEmpty() && !hostPort.matches("\\d+(-\\d+)?"))
                || ip.isEmpty()) {
            throw badPort(spec);
        }
        if (!ip.equalsIgnoreCase("localhost") && !ip.contains(":") && !ip.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            throw MagicException.usage("Bad -p " + spec + ": " + ip + " is not an IP address. Write 127.0.0.1 (or "
                    + "localhost) for this machine only, 0.0.0.0 for every interface, or one interface's address.");
        }
        InternetProtocol protocol = matcher.group(2) == null ? InternetProtocol.TCP
                : InternetProtocol.parse(matcher.group(2));
        ExposedPort exposed = new ExposedPort(Integer.parseInt(matcher.group(1)), protocol);
        return new PortBinding(new Ports.Binding(ip, hostPort == null || hostPort.isEmpty() ? null : hostPort), exposed);
    }

    private static MagicException badPort(String spec) {
        return MagicException.usage("Bad -p " + spec + ": write CONTAINER, HOST:CONTAINER or IP:HOST:CONTAINER, "
                + "such as -p 8888:8888 (on 127.0.0.1) or -p 0.0.0.0:8888:8888 (on every interface).");
    }

    /** {@code SRC:DST[:OPTIONS]} or just {@code DST} (an anonymous volume), as docker run -v takes it. */
    private void volume(String spec, List<Bind> binds, List<Volume> anonymous) throws MagicException {
        String[] parts = spec.split(":", -1);
        if (parts.length == 1) {
            requireAbsolute(parts[0], spec);
            anonymous.add(new Volume(parts[0]));
            return;
        }
        if (parts.length > 3 || parts[0].isEmpty()) {
            throw MagicException.usage("Bad -v " + spec + ": write SRC:DST or SRC:DST:ro, such as -v ./data:/data.");
        }
        requireAbsolute(parts[1], spec);
        String source = parts[0];
        // As the docker CLI: a source with a slash or starting with . or ~ is a host path; a bare word names a volume.
        if (source.contains("/") || source.startsWith(".") || source.startsWith("~")) {
            if (remoteMachine.isPresent()) {
                source = remoteSource(source, spec);
            } else {
                Path path = session.resolve(source);
                bindSources.add(path);
                source = path.toString();
            }
        }
        try {
            binds.add(Bind.parse(source + ":" + parts[1] + (parts.length == 3 ? ":" + parts[2] : "")));
        } catch (IllegalArgumentException e) {
            throw MagicException.usage("Bad -v " + spec + ": " + e.getMessage());
        }
    }

    /**
     * A bind source on a remote engine: an absolute path is that machine's (and said so); a path relative to
     * the notebook names a folder of this machine that the engine cannot see, so it is refused.
     */
    private String remoteSource(String source, String spec) throws MagicException {
        String machine = remoteMachine.orElseThrow();
        if (!source.startsWith("/")) {
            throw MagicException.usage("Bad -v " + spec + ": the Docker engine runs on " + machine + ", so a bind mount "
                    + "names a folder of " + machine + ", and " + source + " (this notebook's "
                    + session.resolve(source) + ") is not there. Give a path on " + machine + " (-v /home/you/data:"
                    + spec.split(":", -1)[1] + "), or use a named volume (-v data:" + spec.split(":", -1)[1]
                    + ") and copy files in with %container exec.");
        }
        remoteBinds.add(source);
        return source;
    }

    /** The bind sources of the last {@link #apply} that are folders of the remote engine's machine, not this one's. */
    public List<String> remoteBinds() {
        return List.copyOf(remoteBinds);
    }

    private static void requireAbsolute(String target, String spec) throws MagicException {
        if (!target.startsWith("/")) {
            throw MagicException.usage("Bad -v " + spec + ": the path inside the container must be absolute ("
                    + target + " is not).");
        }
    }

    /** The --env-file lines, then -e, the later of two equal keys winning, as the engine's process sees them. */
    List<String> environment(ContainerOptions options) throws MagicException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String file : options.envFiles) {
            Path path = session.resolve(file);
            List<String> lines;
            try {
                lines = Files.readAllLines(path);
            } catch (IOException e) {
                throw MagicException.failed("Cannot read the --env-file " + path + ": " + e.getMessage());
            }
            for (String line : lines) {
                String trimmed = line.stripLeading();
                if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
                    put(env, trimmed, "--env-file " + file);
                }
            }
        }
        for (String entry : options.env) {
            put(env, entry, "-e");
        }
        List<String> list = new ArrayList<>();
        env.forEach((key, value) -> list.add(key + "=" + value));
        return list;
    }

    private void put(Map<String, String> env, String entry, String origin) throws MagicException {
        int eq = entry.indexOf('=');
        String key = eq < 0 ? entry.strip() : entry.substring(0, eq);
        if (key.isEmpty() || key.chars().anyMatch(Character::isWhitespace)) {
            throw MagicException.usage("Bad variable in " + origin + ": '" + entry + "' (write KEY=VALUE).");
        }
        env.remove(key);
        if (eq >= 0) {
            env.put(key, entry.substring(eq + 1));
        } else {
            // As docker: KEY alone passes the value the client has, and nothing when it has none.
            session.variable(key).ifPresent(value -> env.put(key, value));
        }
    }

    /** A size as the docker CLI reads one: 64m, 2g, 1.5GB, 512 (bytes); units are powers of 1024. */
    static long bytes(String text, String option) throws MagicException {
        Matcher matcher = SIZE.matcher(text.strip());
        if (!matcher.matches()) {
            throw MagicException.usage("Bad " + option + " " + text + ": write a size such as 512m or 2g.");
        }
        double number = Double.parseDouble(matcher.group(1));
        String unit = matcher.group(2) == null ? "" : matcher.group(2).toLowerCase(Locale.ROOT);
        int power = "kmgtp".indexOf(unit.isEmpty() ? 'x' : unit.charAt(0)) + 1;
        return (long) (number * Math.pow(1024, power));
    }
}

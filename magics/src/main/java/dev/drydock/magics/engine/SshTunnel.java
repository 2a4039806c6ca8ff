package dev.drydock.magics.engine;

import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An {@code ssh://} engine as the docker CLI reaches one: every connection is a fresh
 * {@code ssh [-l USER] [-p PORT] -- HOST docker system dial-stdio}, whose stdin and stdout carry the engine's
 * HTTP. docker-java speaks only unix and tcp, so it connects to a private unix socket here (a folder of mode
 * 0700) and each accepted connection is piped through its own ssh process. ssh runs with BatchMode: a kernel
 * has no terminal to type a password into, so keys (or an agent) must do.
 */
public final class SshTunnel implements Closeable {

    private static final int KEPT_ERROR_LINES = 5;

    private final URI host;
    private final Map<String, String> env;
    private final Path folder;
    private final Path socket;
    private final ServerSocketChannel server;
    private final Set<Process> processes = ConcurrentHashMap.newKeySet();
    private final Deque<String> errors = new ArrayDeque<>();
    private volatile boolean closed;

    private SshTunnel(URI host, Map<String, String> env, Path folder, ServerSocketChannel server) {
        this.host = host;
        this.env = env;
        this.folder = folder;
        this.socket = folder.resolve("docker.sock");
        this.server = server;
    }

    /** Listens on a fresh private socket; connections start ssh only when docker-java opens them. */
    public static SshTunnel open(URI host, Map<String, String> env) throws IOException {
        Path folder = Files.createTempDirectory("drydock-ssh-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(folder.resolve("docker.sock")));
        SshTunnel tunnel = new SshTunnel(host, env, folder, server);
        Thread acceptor = new Thread(tunnel::accept, "drydock-ssh-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        return tunnel;
    }

    /** The endpoint docker-java connects to. */
    public URI localEndpoint() {
        return URI.create("unix://" + socket);
    }

    /** The ssh command line of one connection, as the docker CLI builds it (plus BatchMode). */
    static List<String> command(URI host) {
        List<String> argv = new ArrayList<>(List.of("ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=30", "-T"));
        if (host.getUserInfo() != null && !host.getUserInfo().isEmpty()) {
            argv.addAll(List.of("-l", host.getUserInfo()));
        }
        if (host.getPort() != -1) {
            argv.addAll(List.of("-p", String.valueOf(host.getPort())));
        }
        argv.addAll(List.of("--", host.getHost()));
        String path = host.getPath();
        if (path != null && !path.isEmpty() && !path.equals("/")) {
            // ssh://HOST/run/user/1000/docker.sock: the CLI's way to name the engine's socket on the host.
            argv.addAll(List.of("docker", "--host", "unix://" + path, "system", "dial-stdio"));
        } else {
            argv.addAll(List.of("docker", "system", "dial-stdio"));
        }
        return argv;
    }

    /** {@code program} as found on {@code path}, else the bare name. */
    static String onPath(String program, String path) {
        for (String folder : path.split(File.pathSeparator)) {
            if (!folder.isEmpty() && Files.isExecutable(Path.of(folder, program))) {
                return Path.of(folder, program).toString();
            }
        }
        return program;
    }

    /** The last lines ssh wrote to stderr (a refused key, an unknown host, no docker there), for messages. */
    public String lastErrors() {
        synchronized (errors) {
            return String.join(" ", errors);
        }
    }

    private void accept() {
        while (!closed) {
            SocketChannel connection;
            try {
                connection = server.accept();
            } catch (IOException e) {
                return;
            }
            try {
                pipe(connection);
            } catch (IOException e) {
                remember("cannot start ssh: " + e.getMessage());
                closeQuietly(connection);
            }
        }
    }

    private void pipe(SocketChannel connection) throws IOException {
        List<String> argv = new ArrayList<>(command(host));
        // The JDK looks a bare program name up in this process's PATH; the CLI looks in the environment it was given.
        argv.set(0, onPath("ssh", env.getOrDefault("PATH", "")));
        ProcessBuilder builder = new ProcessBuilder(argv);
        builder.environment().clear();
        builder.environment().putAll(env);
        Process ssh = builder.start();
        processes.add(ssh);
        // Straight on the channel, not through Channels' streams: those take one lock for reading and writing,
        // so a read waiting for the client's next request would block the engine's answer.
        daemon("drydock-ssh-up", () -> {
            copy(connection, ssh.getOutputStream());
            closeQuietly(ssh.getOutputStream());
        });
        daemon("drydock-ssh-down", () -> {
            copy(ssh.getInputStream(), connection);
            try {
                connection.shutdownOutput();
            } catch (IOException ignored) {
                // The client is gone already.
            }
        });
        daemon("drydock-ssh-err", () -> {
            try {
                new String(ssh.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                        .filter(line -> !line.isBlank()).forEach(this::remember);
            } catch (IOException ignored) {
                // ssh ended.
            }
            try {
                ssh.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            processes.remove(ssh);
            closeQuietly(connection);
        });
    }

    private void remember(String line) {
        synchronized (errors) {
            errors.addLast(line.strip());
            while (errors.size() > KEPT_ERROR_LINES) {
                errors.removeFirst();
            }
        }
    }

    private static void copy(SocketChannel from, OutputStream to) {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        try {
            while (from.read(buffer) >= 0) {
                to.write(buffer.array(), 0, buffer.position());
                to.flush();
                buffer.clear();
            }
        } catch (IOException ignored) {
            // Either side closed: the other side is closed after this returns.
        }
    }

    private static void copy(InputStream from, SocketChannel to) {
        byte[] bytes = new byte[64 * 1024];
        try {
            int read;
            while ((read = from.read(bytes)) >= 0) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes, 0, read);
                while (buffer.hasRemaining()) {
                    to.write(buffer);
                }
            }
        } catch (IOException ignored) {
            // Either side closed: the other side is closed after this returns.
        }
    }

    private static void daemon(String name, Runnable work) {
        Thread thread = new Thread(work, name);
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException ignored) {
            // Gone already.
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        for (Process process : processes) {
            process.destroy();
        }
        try {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(folder);
        } catch (IOException ignored) {
            // A stale socket in a private temp folder harms nobody.
        }
    }

    @Override
    public String toString() {
        return "ssh tunnel to " + host + " at " + socket;
    }
}

package dev.drydock.magics.engine;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallbackTemplate;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import dev.drydock.magics.Cancellation;
import dev.drydock.magics.MagicException;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A docker-java client for the engine a {@link DockerConfig} names, and the two-second answer to "is
 * there an engine at all?". Every Docker magic calls {@link #connect()} first, so a missing engine is
 * one clear error instead of a hang or a stack trace.
 */
public final class DockerEngine implements Closeable {

    /**
     * How long a clean-up call may wait for its answer: a stop's own grace period and then some. Without a bound
     * an interrupt would wait as long as a frozen engine stays frozen.
     */
    static final Duration CLEANUP_TIMEOUT = Duration.ofSeconds(15);

    /** How long {@link #ping()} waits in all: the issue promises an answer within two seconds. */
    static final Duration PING_DEADLINE = Duration.ofMillis(1800);
    /** An ssh:// engine's: ssh's own handshake comes first (the docker CLI gives ssh 30 s to connect). */
    static final Duration SSH_PING_DEADLINE = Duration.ofSeconds(20);
    private static final Duration PING_TIMEOUT = Duration.ofSeconds(1);

    private final DockerConfig config;
    private final SshTunnel tunnel;
    private final DockerClient client;
    private final DockerClient pingClient;
    private final DockerClient cleanupClient;
    private final ExecutorService pinger = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "drydock-docker-ping");
        thread.setDaemon(true);
        return thread;
    });

    public DockerEngine(DockerConfig config) {
        this.config = config;
        this.tunnel = config.host().getScheme().equals("ssh") ? openTunnel(config) : null;
        DockerClientConfig clientConfig = clientConfig(config, tunnel == null ? config.host() : tunnel.localEndpoint());
        // Over ssh the first answer waits for ssh's handshake, which takes longer than a local socket's.
        Duration pingTimeout = tunnel == null ? PING_TIMEOUT : SSH_PING_DEADLINE;
        // No timeouts here: logs followed for hours and long builds are normal. The ping has its own.
        this.client = DockerClientImpl.getInstance(clientConfig, http(clientConfig).build());
        this.pingClient = DockerClientImpl.getInstance(clientConfig, http(clientConfig).maxConnections(2)
                .connectionTimeout(pingTimeout).responseTimeout(pingTimeout).build());
        this.cleanupClient = DockerClientImpl.getInstance(clientConfig, http(clientConfig).maxConnections(4)
                .connectionTimeout(pingTimeout)
                .responseTimeout(tunnel == null ? CLEANUP_TIMEOUT : CLEANUP_TIMEOUT.plus(SSH_PING_DEADLINE)).build());
    }

    private static ApacheDockerHttpClient.Builder http(DockerClientConfig clientConfig) {
        return new ApacheDockerHttpClient.Builder().dockerHost(clientConfig.getDockerHost())
                .sslConfig(clientConfig.getSSLConfig());
    }

    /** The engine from this process's environment and the user's docker CLI configuration. */
    public static DockerEngine fromEnvironment() throws MagicException {
        return new DockerEngine(DockerConfig.fromEnvironment());
    }

    private static SshTunnel openTunnel(DockerConfig config) {
        try {
            return SshTunnel.open(config.host(), config.environment());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot make the local socket for the ssh tunnel to " + config.host(), e);
        }
    }

    private static DockerClientConfig clientConfig(DockerConfig config, URI endpoint) {
        String configDir = config.configDir().toString();
        return new DefaultDockerClientConfig.Builder()
                .withDockerHost(endpoint.toString())
                .withDockerConfig(configDir)
                // DockerConfig already applied the context. "default" has no meta file, and an explicit cert
                // path keeps docker-java from turning on the current context's TLS when DOCKER_HOST overrides
                // that context (the CLI ignores the context then, and so must we).
                .withDockerContext("default")
                .withDockerTlsVerify(config.tlsCertPath().isPresent())
                .withDockerCertPath(config.tlsCertPath().map(Object::toString).orElse(configDir))
                // docker-java's authCmd() insists on a configured user name before withAuthConfig replaces it.
                // Without a password this placeholder never becomes anyone's credentials: docker-java then
                // falls back to config.json, and Drydock passes credentials explicitly anyway.
                .withRegistryUsername("")
                .withRegistryUrl(DockerConfig.DOCKER_HUB)
                .build();
    }

    public DockerConfig config() {
        return config;
    }

    /** Pings the engine, then hands out the client; see {@link #ping()}. */
    public DockerClient connect() throws MagicException {
        ping();
        return client;
    }

    /** The client without a ping, for callers that just pinged. */
    public DockerClient client() {
        return client;
    }

    /** A client whose calls give up after {@link #CLEANUP_TIMEOUT}: for stopping and removing on the way out. */
    public DockerClient cleanupClient() {
        return cleanupClient;
    }

    /** Whether the engine answers a ping now; never throws (an interrupted caller gets false). */
    public boolean answers() {
        try {
            ping();
            return true;
        } catch (MagicException e) {
            return false;
        }
    }

    /**
     * Fails within two seconds, with a message naming the endpoint, where it came from and how to start
     * an engine, when nothing answers there as a Docker engine.
     */
    public void ping() throws MagicException {
        long start = System.nanoTime();
        CompletableFuture<Void> ping = CompletableFuture.runAsync(() -> pingClient.pingCmd().exec(), pinger);
        Duration deadline = tunnel == null ? PING_DEADLINE : SSH_PING_DEADLINE;
        try {
            ping.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            ping.cancel(true);
            throw noEngine("no answer within " + deadline.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof DockerException docker) {
                throw noEngine("something answered, but not as a Docker engine (HTTP " + docker.getHttpStatus()
                        + ": " + firstLine(docker.getMessage()) + ")", docker);
            }
            String reason = reason(cause);
            String hint = reason.contains("Permission denied")
                    ? " (to use the engine without sudo, join the docker group: `sudo usermod -aG docker $USER`, "
                            + "then log in again)"
                    : "";
            throw noEngine("connecting failed after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)
                    + " ms: " + reason + hint, cause);
        } catch (InterruptedException e) {
            ping.cancel(true);
            Thread.currentThread().interrupt();
            throw MagicException.interrupted();
        }
    }

    private MagicException noEngine(String why, Throwable cause) {
        if (tunnel != null) {
            String ssh = tunnel.lastErrors();
            return new MagicException(MagicException.Kind.MagicError, "No Docker engine answers at "
                    + config.describe() + ": " + why + (ssh.isEmpty() ? "" : "; ssh said: " + ssh) + ". Drydock runs `"
                    + String.join(" ", SshTunnel.command(config.host())) + "` as the docker CLI does: check that this "
                    + "works from a terminal without a password prompt (a key in ~/.ssh or an agent, the host in "
                    + "known_hosts) and that the user there may use docker.", cause);
        }
        return new MagicException(MagicException.Kind.MagicError,
                "No Docker engine answers at " + config.describe() + ": " + why + ". Start one with "
                        + "`sudo systemctl start docker` (or `sudo dockerd &` where there is no systemd; Drydock's "
                        + "`bin/setup-docker` does that and prepares the test images), or point DOCKER_HOST or the "
                        + "Docker context (`docker context use NAME`) at a running engine.",
                cause);
    }

    /**
     * Checks credentials with the registry through the engine, as {@code docker login} does, without
     * storing them anywhere; a refusal is a {@link MagicException} that names the registry and user only.
     */
    public String login(AuthConfig auth) throws MagicException {
        DockerClient docker = connect();
        try {
            return docker.authCmd().withAuthConfig(auth).exec().getStatus();
        } catch (DockerException e) {
            throw MagicException.failed("Login to " + auth.getRegistryAddress() + " as " + auth.getUsername()
                    + " failed: " + EngineErrors.message(e));
        }
    }

    /** Registry credentials for an image's registry from the docker CLI configuration, as the CLI finds them. */
    public Optional<AuthConfig> credentialsForImage(String imageName) throws MagicException {
        return config.credentialsForImage(imageName);
    }

    /**
     * Waits for a streaming docker-java call (logs, pull, push, build, attach) to finish, closing its
     * callback, which ends the HTTP stream, the moment the cell is interrupted; then throws
     * {@link MagicException#interrupted()}. Errors the engine reported come back as they are.
     */
    public static <C extends ResultCallbackTemplate<?, ?>> C await(C callback, Cancellation cancellation)
            throws MagicException {
        AutoCloseable hook = cancellation.onCancel(() -> closeQuietly(callback));
        try {
            callback.awaitCompletion();
        } catch (InterruptedException e) {
            closeQuietly(callback);
            Thread.currentThread().interrupt();
            throw MagicException.interrupted();
        } catch (RuntimeException e) {
            // Closing the stream can surface as an I/O error from the reader thread: an interrupt, not a failure.
            cancellation.throwIfCancelled();
            throw e;
        } finally {
            closeQuietly(hook);
        }
        cancellation.throwIfCancelled();
        return callback;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // Closing is best effort: the stream may already be gone.
        }
    }

    private static String reason(Throwable cause) {
        return firstLine(EngineErrors.message(cause));
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "";
        }
        int newline = text.indexOf('\n');
        return (newline < 0 ? text : text.substring(0, newline)).trim();
    }

    @Override
    public void close() throws IOException {
        pinger.shutdownNow();
        try (pingClient; cleanupClient) {
            client.close();
        } finally {
            if (tunnel != null) {
                tunnel.close();
            }
        }
    }
}

package dev.drydock.magics.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.core.DockerConfigFile;
import com.github.dockerjava.core.NameParser;
import com.github.dockerjava.core.exception.InvalidRepositoryNameException;
import dev.drydock.magics.MagicException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Which Docker engine to talk to and with which registry credentials, decided the way the docker CLI
 * decides: {@code DOCKER_HOST} (with {@code DOCKER_TLS_VERIFY}/{@code DOCKER_CERT_PATH}), else the
 * current context ({@code DOCKER_CONTEXT}, else {@code currentContext} in {@code config.json}), else
 * the local socket. The environment and home folder are passed in, so tests need not touch the
 * process's own.
 *
 * <p>docker-java reads {@code config.json} auths itself ({@link DockerConfigFile}); this class adds what
 * it lacks: where the endpoint came from (for error messages), credential helpers
 * ({@code credsStore}/{@code credHelpers}), and the CLI's precedence of {@code DOCKER_HOST} over a
 * context's TLS folder.
 */
public final class DockerConfig {

    public static final URI DEFAULT_HOST = URI.create("unix:///var/run/docker.sock");
    /** The key the CLI files Docker Hub credentials under, whatever the image name says. */
    public static final String DOCKER_HUB = AuthConfig.DEFAULT_SERVER_ADDRESS;

    // The docker CLI keeps many keys docker-java does not model (detachKeys, psFormat, plugins, ...).
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final List<String> TLS_FILES = List.of("ca.pem", "cert.pem", "key.pem");
    private static final long HELPER_TIMEOUT_SECONDS = 30;

    private final Map<String, String> env;
    private final Path configDir;
    private final JsonNode configJson;
    private final URI host;
    private final String source;
    private final Path tlsCertPath;

    private DockerConfig(Map<String, String> env, Path configDir, JsonNode configJson, URI host, String source,
                         Path tlsCertPath) {
        this.env = env;
        this.configDir = configDir;
        this.configJson = configJson;
        this.host = host;
        this.source = source;
        this.tlsCertPath = tlsCertPath;
    }

    /** Resolves from this process's environment and the user's home. */
    public static DockerConfig fromEnvironment() throws MagicException {
        return resolve(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    public static DockerConfig resolve(Map<String, String> env, Path home) throws MagicException {
        Path configDir = nonBlank(env.get("DOCKER_CONFIG")).map(Path::of).orElse(home.resolve(".docker"));
        JsonNode configJson = readConfigJson(configDir);

        Optional<String> dockerHost = nonBlank(env.get("DOCKER_HOST"));
        if (dockerHost.isPresent()) {
            URI host = parseHost(dockerHost.get(), "DOCKER_HOST");
            // The CLI turns TLS on for any non-empty DOCKER_TLS_VERIFY ("0" included) and then looks
            // for the certificates in DOCKER_CERT_PATH, else in the config folder.
            Path certs = null;
            if (nonBlank(env.get("DOCKER_TLS_VERIFY")).isPresent()) {
                certs = nonBlank(env.get("DOCKER_CERT_PATH")).map(Path::of).orElse(configDir);
                requireTlsFiles(certs, "DOCKER_TLS_VERIFY is set");
            }
            return new DockerConfig(env, configDir, configJson, withDefaultPort(host, certs != null), "DOCKER_HOST",
                    certs);
        }

        Optional<String> fromEnv = nonBlank(env.get("DOCKER_CONTEXT"));
        Optional<String> context = fromEnv.or(() -> nonBlank(configJson.path("currentContext").asText(null)));
        if (context.isPresent() && !context.get().equals("default")) {
            String name = context.get();
            String origin = fromEnv.isPresent() ? "DOCKER_CONTEXT"
                    : "currentContext in " + configDir.resolve("config.json");
            return fromContext(env, configDir, configJson, name, origin);
        }
        return new DockerConfig(env, configDir, configJson, DEFAULT_HOST,
                "the default (DOCKER_HOST is not set and no Docker context is selected)", null);
    }

    private static DockerConfig fromContext(Map<String, String> env, Path configDir, JsonNode configJson, String name,
                                            String origin) throws MagicException {
        // The CLI files a context under the SHA-256 of its name.
        String digest = sha256(name);
        Path meta = configDir.resolve("contexts").resolve("meta").resolve(digest).resolve("meta.json");
        if (!Files.isRegularFile(meta)) {
            throw MagicException.failed("The Docker context \"" + name + "\" selected by " + origin
                    + " does not exist: there is no " + meta
                    + ". List the contexts with `docker context ls`, or pick one with `docker context use NAME`.");
        }
        String source = "the Docker context \"" + name + "\" (" + origin + ")";
        JsonNode docker;
        try {
            docker = JSON.readTree(meta.toFile()).path("Endpoints").path("docker");
        } catch (IOException e) {
            throw new MagicException(MagicException.Kind.MagicError,
                    "Cannot read the Docker context file " + meta + ": " + e.getMessage(), e);
        }
        String hostText = docker.path("Host").asText("");
        if (hostText.isBlank()) {
            throw MagicException.failed("The Docker context \"" + name + "\" (" + meta + ") names no docker endpoint Host.");
        }
        URI host = parseHost(hostText, "the Docker context \"" + name + "\"");
        Path tls = configDir.resolve("contexts").resolve("tls").resolve(digest).resolve("docker");
        Path certs = null;
        if (Files.isDirectory(tls)) {
            if (docker.path("SkipTLSVerify").asBoolean(false)) {
                throw MagicException.failed("The Docker context \"" + name + "\" asks for TLS without verifying the "
                        + "engine's certificate (SkipTLSVerify), which Drydock does not do. Give the context the "
                        + "engine's CA: docker context update " + name + " --docker \"host=" + hostText
                        + ",ca=CA.pem,cert=CERT.pem,key=KEY.pem\".");
            }
            certs = tls;
            requireTlsFiles(certs, "the Docker context \"" + name + "\" has TLS material");
        }
        return new DockerConfig(env, configDir, configJson, withDefaultPort(host, certs != null), source, certs);
    }

    /** The engine endpoint, e.g. {@code unix:///var/run/docker.sock} or {@code tcp://10.0.0.5:2376}. */
    public URI host() {
        return host;
    }

    /**
     * The machine whose file system bind mounts refer to, where that is not this one: the host of an
     * {@code ssh://} engine, or of a {@code tcp://} one that is not on the loopback; empty for a local engine.
     */
    public Optional<String> remoteMachine() {
        String scheme = host.getScheme();
        if (scheme.equals("ssh")) {
            return Optional.of(host.getHost());
        }
        if (scheme.equals("tcp") && !List.of("localhost", "127.0.0.1", "::1", "[::1]").contains(host.getHost())) {
            return Optional.of(host.getHost());
        }
        return Optional.empty();
    }

    /** The environment the endpoint was resolved from; ssh runs in it (PATH, SSH_AUTH_SOCK). */
    Map<String, String> environment() {
        return env;
    }

    /** Where {@link #host()} came from, in words for error messages. */
    public String source() {
        return source;
    }

    /** The folder with {@code ca.pem}, {@code cert.pem}, {@code key.pem}, or empty for no TLS. */
    public Optional<Path> tlsCertPath() {
        return Optional.ofNullable(tlsCertPath);
    }

    /** The docker CLI's configuration folder ({@code DOCKER_CONFIG} or {@code ~/.docker}). */
    public Path configDir() {
        return configDir;
    }

    /** One line naming the endpoint, its origin and TLS, for messages. */
    public String describe() {
        return host + " (from " + source + (tlsCertPath == null ? "" : ", TLS with the certificates in " + tlsCertPath)
                + ")";
    }

    /**
     * The registry an image name points at, as the key the CLI files credentials under:
     * {@value #DOCKER_HUB} for Docker Hub names ({@code busybox}, {@code docker.io/x/y}), else the host
     * ({@code 127.0.0.1:5000}).
     */
    public static String registryOf(String imageName) {
        String registry;
        try {
            registry = NameParser.resolveRepositoryName(NameParser.parseRepositoryTag(imageName).repos).hostname;
        } catch (InvalidRepositoryNameException e) {
            // docker-java rejects index.docker.io/...; the CLI accepts it as Docker Hub.
            registry = imageName.substring(0, Math.max(0, imageName.indexOf('/')));
        }
        return normalizeRegistry(registry);
    }

    /** The CLI's name for a registry given by a person: Docker Hub's aliases become {@value #DOCKER_HUB}. */
    public static String normalizeRegistry(String registry) {
        String host = registry.replaceFirst("^https?://", "").replaceFirst("/.*$", "");
        return switch (host) {
            case "", "docker.io", "index.docker.io", "registry-1.docker.io" -> DOCKER_HUB;
            default -> host;
        };
    }

    /** The credentials for the registry an image lives in, or empty where none are configured. */
    public Optional<AuthConfig> credentialsForImage(String imageName) throws MagicException {
        return credentials(registryOf(imageName));
    }

    /**
     * The credentials for a registry ({@code 127.0.0.1:5000}, {@code docker.io}, ...): from the credential
     * helper configured for it ({@code credHelpers}, else {@code credsStore}) when there is one, else
     * from {@code auths}; empty where none are configured.
     */
    public Optional<AuthConfig> credentials(String registry) throws MagicException {
        String key = normalizeRegistry(registry);
        String helper = nonBlank(configJson.path("credHelpers").path(key).asText(null))
                .or(() -> nonBlank(configJson.path("credsStore").asText(null)))
                .orElse(null);
        if (helper != null) {
            return fromHelper(helper, key);
        }
        DockerConfigFile file;
        try {
            file = DockerConfigFile.loadConfig(JSON, configDir.toString());
        } catch (IOException | RuntimeException e) {
            throw new MagicException(MagicException.Kind.MagicError,
                    "Cannot read the registry credentials in " + configDir.resolve("config.json") + ": "
                            + e.getMessage(), e);
        }
        return Optional.ofNullable(file.resolveAuthConfig(key))
                .filter(auth -> auth.getUsername() != null || auth.getIdentitytoken() != null)
                .map(auth -> auth.withRegistryAddress(key));
    }

    private Optional<AuthConfig> fromHelper(String helper, String serverUrl) throws MagicException {
        String program = "docker-credential-" + helper;
        Path executable = findOnPath(program).orElseThrow(() -> MagicException.failed(
                "The docker CLI configuration " + configDir.resolve("config.json") + " keeps registry credentials in the "
                        + "credential helper \"" + helper + "\", but " + program + " is not on PATH. Install it, or "
                        + "remove \"credsStore\"/\"credHelpers\" from that file and log in again."));
        ProcessBuilder builder = new ProcessBuilder(executable.toString(), "get");
        builder.environment().clear();
        builder.environment().putAll(env);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new MagicException(MagicException.Kind.MagicError, "Cannot run " + executable + ": " + e.getMessage(), e);
        }
        try {
            // The protocol of docker-credential-helpers: the server URL on stdin, no newline; JSON on stdout.
            try (var stdin = process.getOutputStream()) {
                stdin.write(serverUrl.getBytes(StandardCharsets.UTF_8));
            }
            // A helper's answer is a few hundred bytes, well within a pipe's buffer: wait first, read after.
            if (!process.waitFor(HELPER_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw MagicException.failed(program + " get did not answer within " + HELPER_TIMEOUT_SECONDS + " s.");
            }
            String text = read(process.getInputStream());
            if (process.exitValue() != 0) {
                if (text.contains("credentials not found")) {
                    return Optional.empty();
                }
                String err = read(process.getErrorStream());
                throw MagicException.failed(program + " get failed for " + serverUrl + " (exit " + process.exitValue()
                        + "): " + (text.isEmpty() ? err : text));
            }
            JsonNode reply = JSON.readTree(text);
            String username = reply.path("Username").asText("");
            String secret = reply.path("Secret").asText("");
            AuthConfig auth = new AuthConfig().withRegistryAddress(serverUrl);
            // A helper returns an identity token (OAuth refresh token) with the user name "<token>".
            return Optional.of("<token>".equals(username) ? auth.withIdentityToken(secret)
                    : auth.withUsername(username).withPassword(secret));
        } catch (IOException e) {
            throw new MagicException(MagicException.Kind.MagicError,
                    program + " get gave an answer Drydock cannot read: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw MagicException.interrupted();
        }
    }

    private static String read(InputStream stream) throws IOException {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
    }

    /** Looks a program up on the PATH of the injected environment, not this process's. */
    private Optional<Path> findOnPath(String program) {
        for (String dir : env.getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static JsonNode readConfigJson(Path configDir) throws MagicException {
        Path file = configDir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new MagicException(MagicException.Kind.MagicError,
                    "The docker CLI configuration " + file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static URI parseHost(String text, String origin) throws MagicException {
        URI uri;
        try {
            uri = URI.create(text.trim());
        } catch (IllegalArgumentException e) {
            throw MagicException.failed(origin + " is \"" + text + "\", which is not an endpoint like "
                    + "unix:///var/run/docker.sock or tcp://HOST:2376.");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        switch (scheme) {
            case "unix", "npipe" -> {
                return uri;
            }
            case "tcp" -> {
                if (uri.getHost() == null) {
                    throw MagicException.failed(origin + " is \"" + text + "\", which names no host (tcp://HOST:PORT).");
                }
                return uri;
            }
            case "ssh" -> {
                // Tunnelled as the docker CLI does (ssh HOST docker system dial-stdio): see SshTunnel.
                if (uri.getHost() == null) {
                    throw MagicException.failed(origin + " is \"" + text + "\", which names no host "
                            + "(ssh://USER@HOST[:PORT]).");
                }
                return uri;
            }
            default -> throw MagicException.failed(origin + " is \"" + text + "\", which is not an endpoint like "
                    + "unix:///var/run/docker.sock or tcp://HOST:2376.");
        }
    }

    /** The CLI's default ports: 2376 with TLS, 2375 without. */
    private static URI withDefaultPort(URI host, boolean tls) {
        if (!"tcp".equals(host.getScheme()) || host.getPort() != -1) {
            return host;
        }
        return URI.create("tcp://" + host.getHost() + ":" + (tls ? 2376 : 2375)
                + (host.getRawPath() == null ? "" : host.getRawPath()));
    }

    private static void requireTlsFiles(Path dir, String why) throws MagicException {
        List<String> missing = TLS_FILES.stream().filter(name -> !Files.isRegularFile(dir.resolve(name))).toList();
        if (!missing.isEmpty()) {
            // docker-java would quietly fall back to plain HTTP without them; the CLI refuses, and so do we.
            throw MagicException.failed("TLS is on because " + why + ", but " + dir + " lacks " + String.join(", ", missing)
                    + ". Point DOCKER_CERT_PATH at the folder with the engine's ca.pem and your cert.pem and key.pem.");
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static Optional<String> nonBlank(String value) {
        return Optional.ofNullable(value).filter(v -> !v.isBlank());
    }
}

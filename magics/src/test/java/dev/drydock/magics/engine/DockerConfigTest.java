package dev.drydock.magics.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.model.AuthConfig;
import dev.drydock.magics.MagicException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerConfigTest {

    // `printf remote | sha256sum`: the folder the docker CLI files the context "remote" under.
    private static final String REMOTE_DIGEST = "b71199ebd070b36beab7317920c2c2f1d777df8d05e5527d8458fda57cb17a7a";

    @TempDir
    Path home;
    Path dotDocker;
    final Map<String, String> env = new HashMap<>();

    @BeforeEach
    void setUp() throws IOException {
        dotDocker = Files.createDirectories(home.resolve(".docker"));
    }

    private DockerConfig resolve() throws MagicException {
        return DockerConfig.resolve(env, home);
    }

    @Test
    void withNothingSetItIsTheLocalSocket() throws Exception {
        DockerConfig config = resolve();
        assertEquals(URI.create("unix:///var/run/docker.sock"), config.host());
        assertTrue(config.source().startsWith("the default"), config.source());
        assertEquals(Optional.empty(), config.tlsCertPath());
        assertEquals(dotDocker, config.configDir());
    }

    @Test
    void dockerHostUnixSocket() throws Exception {
        env.put("DOCKER_HOST", "unix:///run/user/1000/docker.sock");
        DockerConfig config = resolve();
        assertEquals(URI.create("unix:///run/user/1000/docker.sock"), config.host());
        assertEquals("DOCKER_HOST", config.source());
        assertTrue(config.describe().contains("unix:///run/user/1000/docker.sock (from DOCKER_HOST)"), config.describe());
    }

    @Test
    void dockerHostTcpKeepsItsPortOrGetsTheCliDefault() throws Exception {
        env.put("DOCKER_HOST", "tcp://10.0.0.5:2375");
        assertEquals(URI.create("tcp://10.0.0.5:2375"), resolve().host());
        env.put("DOCKER_HOST", "tcp://10.0.0.5");
        assertEquals(URI.create("tcp://10.0.0.5:2375"), resolve().host());
    }

    @Test
    void tlsVerifyTakesCertificatesFromDockerCertPath() throws Exception {
        Path certs = tlsFolder(home.resolve("certs"));
        env.put("DOCKER_HOST", "tcp://engine.example");
        env.put("DOCKER_TLS_VERIFY", "1");
        env.put("DOCKER_CERT_PATH", certs.toString());
        DockerConfig config = resolve();
        assertEquals(Optional.of(certs), config.tlsCertPath());
        assertEquals(URI.create("tcp://engine.example:2376"), config.host());
        assertTrue(config.describe().contains("TLS with the certificates in " + certs), config.describe());
    }

    @Test
    void tlsVerifyWithoutCertPathUsesTheConfigFolderAsTheCliDoes() throws Exception {
        tlsFolder(dotDocker);
        env.put("DOCKER_HOST", "tcp://engine.example:2376");
        env.put("DOCKER_TLS_VERIFY", "0"); // any non-empty value turns it on in the CLI
        assertEquals(Optional.of(dotDocker), resolve().tlsCertPath());
    }

    @Test
    void tlsVerifyWithAMissingKeyIsAClearError() throws Exception {
        Path certs = tlsFolder(home.resolve("certs"));
        Files.delete(certs.resolve("key.pem"));
        env.put("DOCKER_HOST", "tcp://engine.example:2376");
        env.put("DOCKER_TLS_VERIFY", "1");
        env.put("DOCKER_CERT_PATH", certs.toString());
        MagicException e = assertThrows(MagicException.class, this::resolve);
        assertEquals(MagicException.Kind.MagicError, e.kind());
        assertTrue(e.getMessage().contains(certs + " lacks key.pem"), e.getMessage());
    }

    @Test
    void sshEndpointsAreRemoteMachinesAndTheirSshCommandIsTheClis() throws Exception {
        env.put("DOCKER_HOST", "ssh://me@build-box:2222");
        DockerConfig config = resolve();
        assertEquals(URI.create("ssh://me@build-box:2222"), config.host());
        assertEquals(Optional.of("build-box"), config.remoteMachine());
        assertEquals(List.of("ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=30", "-T", "-l", "me", "-p", "2222",
                "--", "build-box", "docker", "system", "dial-stdio"), SshTunnel.command(config.host()));
        assertEquals(List.of("ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=30", "-T", "--", "vm", "docker",
                "--host", "unix:///run/user/1000/docker.sock", "system", "dial-stdio"),
                SshTunnel.command(URI.create("ssh://vm/run/user/1000/docker.sock")));
        env.put("DOCKER_HOST", "tcp://10.0.0.5:2375");
        assertEquals(Optional.of("10.0.0.5"), resolve().remoteMachine());
        env.put("DOCKER_HOST", "tcp://127.0.0.1:2375");
        assertEquals(Optional.empty(), resolve().remoteMachine());
        env.remove("DOCKER_HOST");
        assertEquals(Optional.empty(), resolve().remoteMachine());
        // docker context create remote --docker host=ssh://ann@gpu-vm
        writeContext("remote", "ssh://ann@gpu-vm", false);
        env.put("DOCKER_CONTEXT", "remote");
        assertEquals(URI.create("ssh://ann@gpu-vm"), resolve().host());
    }

    @Test
    void nonsenseEndpointsAreRefusedWithAReason() {
        env.put("DOCKER_HOST", "ssh:///nohost");
        MagicException ssh = assertThrows(MagicException.class, this::resolve);
        assertTrue(ssh.getMessage().contains("names no host"), ssh.getMessage());
        env.put("DOCKER_HOST", "localhost:2375");
        MagicException nonsense = assertThrows(MagicException.class, this::resolve);
        assertTrue(nonsense.getMessage().contains("DOCKER_HOST is \"localhost:2375\""), nonsense.getMessage());
    }

    @Test
    void dockerContextEnvironmentVariablePicksTheContextsEndpoint() throws Exception {
        writeContext("remote", "tcp://10.1.2.3:2376", false);
        env.put("DOCKER_CONTEXT", "remote");
        DockerConfig config = resolve();
        assertEquals(URI.create("tcp://10.1.2.3:2376"), config.host());
        assertEquals("the Docker context \"remote\" (DOCKER_CONTEXT)", config.source());
        assertEquals(Optional.empty(), config.tlsCertPath());
    }

    @Test
    void currentContextInConfigJsonWithTlsMaterial() throws Exception {
        writeContext("remote", "tcp://10.1.2.3:2376", false);
        Path tls = tlsFolder(dotDocker.resolve("contexts/tls/" + REMOTE_DIGEST + "/docker"));
        Files.writeString(dotDocker.resolve("config.json"), "{\"currentContext\": \"remote\"}");
        DockerConfig config = resolve();
        assertEquals(URI.create("tcp://10.1.2.3:2376"), config.host());
        assertTrue(config.source().contains("currentContext in " + dotDocker.resolve("config.json")), config.source());
        assertEquals(Optional.of(tls), config.tlsCertPath());
    }

    @Test
    void aContextThatSkipsTlsVerificationIsRefused() throws Exception {
        writeContext("remote", "tcp://10.1.2.3:2376", true);
        tlsFolder(dotDocker.resolve("contexts/tls/" + REMOTE_DIGEST + "/docker"));
        env.put("DOCKER_CONTEXT", "remote");
        MagicException e = assertThrows(MagicException.class, this::resolve);
        assertTrue(e.getMessage().contains("without verifying the engine's certificate"), e.getMessage());
    }

    @Test
    void dockerHostWinsOverTheCurrentContextAndItsTls() throws Exception {
        writeContext("remote", "tcp://10.1.2.3:2376", false);
        tlsFolder(dotDocker.resolve("contexts/tls/" + REMOTE_DIGEST + "/docker"));
        Files.writeString(dotDocker.resolve("config.json"), "{\"currentContext\": \"remote\"}");
        env.put("DOCKER_HOST", "unix:///tmp/other.sock");
        DockerConfig config = resolve();
        assertEquals(URI.create("unix:///tmp/other.sock"), config.host());
        assertEquals(Optional.empty(), config.tlsCertPath());
    }

    @Test
    void theDefaultContextMeansTheLocalSocket() throws Exception {
        env.put("DOCKER_CONTEXT", "default");
        assertEquals(DockerConfig.DEFAULT_HOST, resolve().host());
    }

    @Test
    void aMissingContextSaysHowToListThem() {
        env.put("DOCKER_CONTEXT", "gone");
        MagicException e = assertThrows(MagicException.class, this::resolve);
        assertTrue(e.getMessage().contains("\"gone\" selected by DOCKER_CONTEXT does not exist"), e.getMessage());
        assertTrue(e.getMessage().contains("docker context ls"), e.getMessage());
    }

    @Test
    void dockerConfigMovesTheConfigFolder() throws Exception {
        Path elsewhere = Files.createDirectories(home.resolve("elsewhere"));
        Files.writeString(elsewhere.resolve("config.json"), auths("127.0.0.1:5000", "alice", "pw"));
        env.put("DOCKER_CONFIG", elsewhere.toString());
        DockerConfig config = resolve();
        assertEquals(elsewhere, config.configDir());
        assertEquals("alice", config.credentials("127.0.0.1:5000").orElseThrow().getUsername());
    }

    @Test
    void keysOnlyTheDockerCliKnowsDoNotBreakCredentials() throws Exception {
        Files.writeString(dotDocker.resolve("config.json"), """
                {"auths": {"127.0.0.1:5000": {"auth": "%s"}},
                 "detachKeys": "ctrl-e,e", "psFormat": "table {{.ID}}", "plugins": {"x": {"k": "v"}},
                 "currentContext": "default"}""".formatted(base64("alice:pw")));

        assertEquals("alice", resolve().credentials("127.0.0.1:5000").orElseThrow().getUsername());
    }

    @Test
    void authsAreDecodedAndMatchedByRegistryAsTheCliDoes() throws Exception {
        Files.writeString(dotDocker.resolve("config.json"), """
                {"auths": {
                  "127.0.0.1:5000": {"auth": "%s"},
                  "https://index.docker.io/v1/": {"auth": "%s"},
                  "https://legacy.example.com/v1/": {"auth": "%s"}
                }}""".formatted(base64("alice:pa:ss"), base64("hubuser:hubpw"), base64("old:timer")));
        DockerConfig config = resolve();

        AuthConfig local = config.credentialsForImage("127.0.0.1:5000/team/app:1").orElseThrow();
        assertEquals("alice", local.getUsername());
        assertEquals("pa:ss", local.getPassword(), "only the first colon separates user and password");
        assertEquals("127.0.0.1:5000", local.getRegistryAddress());

        for (String hubImage : new String[] {"busybox", "library/busybox:1", "docker.io/me/app", "index.docker.io/me/app"}) {
            AuthConfig hub = config.credentialsForImage(hubImage).orElseThrow(() -> new AssertionError(hubImage));
            assertEquals("hubuser", hub.getUsername(), hubImage);
            assertEquals(DockerConfig.DOCKER_HUB, hub.getRegistryAddress(), hubImage);
        }
        assertEquals("old", config.credentials("legacy.example.com").orElseThrow().getUsername());
        assertEquals(Optional.empty(), config.credentialsForImage("ghcr.io/someone/tool"));
    }

    @Test
    void noConfigFileMeansNoCredentials() throws Exception {
        assertEquals(Optional.empty(), resolve().credentials("127.0.0.1:5000"));
    }

    @Test
    void invalidConfigJsonIsNamed() throws Exception {
        Files.writeString(dotDocker.resolve("config.json"), "{\"auths\": ");
        MagicException e = assertThrows(MagicException.class, this::resolve);
        assertTrue(e.getMessage().contains(dotDocker.resolve("config.json") + " is not valid JSON"), e.getMessage());
    }

    @Test
    void credsStoreRunsTheHelperWithTheServerUrlOnStdin() throws Exception {
        Path bin = fakeHelper();
        env.put("PATH", bin + ":/usr/bin:/bin");
        // The auths entry is only a placeholder once a store is set; its password must not be used.
        Files.writeString(dotDocker.resolve("config.json"), """
                {"credsStore": "test", "auths": {"127.0.0.1:5000": {"auth": "%s"}}}""".formatted(base64("stale:stale")));
        DockerConfig config = resolve();

        AuthConfig local = config.credentials("127.0.0.1:5000").orElseThrow();
        assertEquals("user-for-127.0.0.1:5000", local.getUsername(), "the helper saw exactly the server URL");
        assertEquals("secret-from-helper", local.getPassword());

        AuthConfig hub = config.credentialsForImage("busybox").orElseThrow();
        assertEquals("user-for-" + DockerConfig.DOCKER_HUB, hub.getUsername());

        AuthConfig token = config.credentials("token.example").orElseThrow();
        assertNull(token.getUsername());
        assertEquals("refresh-token", token.getIdentitytoken());

        assertEquals(Optional.empty(), config.credentials("unknown.example"));

        MagicException broken = assertThrows(MagicException.class, () -> config.credentials("broken.example"));
        assertTrue(broken.getMessage().contains("docker-credential-test get failed for broken.example (exit 3): "
                + "keychain locked"), broken.getMessage());
    }

    @Test
    void credHelpersForOneRegistryOverrideTheStore() throws Exception {
        Path bin = fakeHelper();
        env.put("PATH", bin + ":/usr/bin:/bin");
        Files.writeString(dotDocker.resolve("config.json"), """
                {"credsStore": "nothere", "credHelpers": {"127.0.0.1:5000": "test"}}""");
        DockerConfig config = resolve();
        assertEquals("user-for-127.0.0.1:5000", config.credentials("127.0.0.1:5000").orElseThrow().getUsername());

        MagicException missing = assertThrows(MagicException.class, () -> config.credentials("other.example"));
        assertTrue(missing.getMessage().contains("docker-credential-nothere is not on PATH"), missing.getMessage());
    }

    @Test
    void registryNamesAreNormalizedLikeTheCli() {
        assertEquals(DockerConfig.DOCKER_HUB, DockerConfig.normalizeRegistry("docker.io"));
        assertEquals(DockerConfig.DOCKER_HUB, DockerConfig.normalizeRegistry("https://index.docker.io/v1/"));
        assertEquals(DockerConfig.DOCKER_HUB, DockerConfig.registryOf("python:3.12-slim"));
        assertEquals("localhost:5000", DockerConfig.registryOf("localhost:5000/app@sha256:" + "a".repeat(64)));
        assertEquals("registry.example.com", DockerConfig.normalizeRegistry("https://registry.example.com/v2/"));
    }

    /** A real docker-credential-helpers program: reads the server URL on stdin, answers in JSON. */
    private Path fakeHelper() throws IOException {
        Path bin = Files.createDirectories(home.resolve("bin"));
        Path helper = bin.resolve("docker-credential-test");
        Files.writeString(helper, """
                #!/bin/sh
                [ "$1" = get ] || exit 2
                server=$(cat)
                case "$server" in
                  token.example) printf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh-token"}' "$server" ;;
                  unknown.example) echo "credentials not found in native keychain"; exit 1 ;;
                  broken.example) echo "keychain locked"; exit 3 ;;
                  *) printf '{"ServerURL":"%s","Username":"user-for-%s","Secret":"secret-from-helper"}' "$server" "$server" ;;
                esac
                """);
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    private void writeContext(String name, String host, boolean skipTlsVerify) throws IOException {
        assertEquals("remote", name, "the digest below is for \"remote\"");
        Path meta = Files.createDirectories(dotDocker.resolve("contexts/meta/" + REMOTE_DIGEST));
        Files.writeString(meta.resolve("meta.json"), """
                {"Name":"%s","Metadata":{},"Endpoints":{"docker":{"Host":"%s","SkipTLSVerify":%s}}}"""
                .formatted(name, host, skipTlsVerify));
    }

    private static Path tlsFolder(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String name : new String[] {"ca.pem", "cert.pem", "key.pem"}) {
            Files.writeString(dir.resolve(name), "-----BEGIN CERTIFICATE-----\n");
        }
        return dir;
    }

    private static String auths(String registry, String user, String password) {
        return "{\"auths\": {\"" + registry + "\": {\"auth\": \"" + base64(user + ":" + password) + "\"}}}";
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}

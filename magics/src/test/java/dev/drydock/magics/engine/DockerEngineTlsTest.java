package dev.drydock.magics.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.drydock.magics.MagicException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DOCKER_TLS_VERIFY end to end: certificates made by openssl as for a real engine, a TLS server that
 * demands a client certificate and answers {@code /_ping} like dockerd, and the ping going through.
 */
class DockerEngineTlsTest {

    @TempDir
    Path dir;
    Path certs;
    HttpsServer server;
    final AtomicInteger pings = new AtomicInteger();

    @BeforeEach
    void startTlsEngineStandIn() throws Exception {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "1",
                "-subj", "/CN=drydock-test-ca");
        Files.writeString(dir.resolve("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
        Files.writeString(dir.resolve("client.ext"), "extendedKeyUsage=clientAuth\n");
        for (String who : List.of("server", "client")) {
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", who + "-key.pem", "-out", who + ".csr",
                    "-subj", "/CN=" + who);
            openssl("x509", "-req", "-in", who + ".csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                    "-out", who + "-cert.pem", "-days", "1", "-extfile", who + ".ext");
        }
        openssl("pkcs12", "-export", "-in", "server-cert.pem", "-inkey", "server-key.pem", "-out", "server.p12",
                "-passout", "pass:test");

        // The layout the docker CLI expects in DOCKER_CERT_PATH.
        certs = Files.createDirectories(dir.resolve("client-certs"));
        Files.copy(dir.resolve("ca.pem"), certs.resolve("ca.pem"));
        Files.copy(dir.resolve("client-cert.pem"), certs.resolve("cert.pem"));
        Files.copy(dir.resolve("client-key.pem"), certs.resolve("key.pem"));

        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
            keys.load(in, "test".toCharArray());
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, "test".toCharArray());
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(dir.resolve("ca.pem"))) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);

        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters params) {
                params.setNeedClientAuth(true);
            }
        });
        server.createContext("/_ping", exchange -> {
            pings.incrementAndGet();
            byte[] ok = "OK".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, ok.length);
            exchange.getResponseBody().write(ok);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void pingsOverTlsWithTheClientCertificate() throws Exception {
        DockerConfig config = DockerConfig.resolve(Map.of(
                "DOCKER_HOST", "tcp://localhost:" + server.getAddress().getPort(),
                "DOCKER_TLS_VERIFY", "1",
                "DOCKER_CERT_PATH", certs.toString()), dir);
        try (DockerEngine engine = new DockerEngine(config)) {
            engine.ping();
        }
        assertEquals(1, pings.get());
    }

    @Test
    void withoutTlsTheSameEndpointIsNoEngine() throws Exception {
        DockerConfig config = DockerConfig.resolve(Map.of(
                "DOCKER_HOST", "tcp://localhost:" + server.getAddress().getPort()), dir);
        try (DockerEngine engine = new DockerEngine(config)) {
            MagicException e = assertThrows(MagicException.class, engine::ping);
            assertTrue(e.getMessage().startsWith("No Docker engine answers at tcp://localhost:"), e.getMessage());
        }
        assertEquals(0, pings.get());
    }

    private void openssl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), String.join(" ", command) + "\n" + output);
    }
}

package dev.drydock.magics.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.sun.net.httpserver.HttpServer;
import dev.drydock.magics.Cancellation;
import dev.drydock.magics.MagicException;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine-less cases, against real sockets: each must fail within two seconds and say what was tried. */
class DockerEngineTest {

    private static final long PROMISE_MS = 2000;

    @TempDir
    Path home;

    @Test
    void aUnixSocketThatDoesNotExist() throws Exception {
        String host = "unix://" + home.resolve("missing/docker.sock");
        String message = failToConnect(host);
        assertTrue(message.contains("No Docker engine answers at " + host + " (from DOCKER_HOST)"), message);
        assertHowToStartOne(message);
    }

    @Test
    void aClosedTcpPort() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        String host = "tcp://127.0.0.1:" + port;
        String message = failToConnect(host);
        assertTrue(message.contains("No Docker engine answers at " + host + " (from DOCKER_HOST)"), message);
        assertTrue(message.contains("Connection refused"), message);
        assertHowToStartOne(message);
    }

    @Test
    void aServerThatAcceptsButNeverAnswers() throws Exception {
        List<Socket> held = new ArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept());
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            String message = failToConnect("tcp://127.0.0.1:" + silent.getLocalPort());
            assertTrue(message.contains("No Docker engine answers at tcp://127.0.0.1:" + silent.getLocalPort()), message);
            assertHowToStartOne(message);
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    @Test
    void anHttpServerThatIsNotAnEngine() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        server.start();
        try {
            String message = failToConnect("tcp://127.0.0.1:" + server.getAddress().getPort());
            assertTrue(message.contains("something answered, but not as a Docker engine (HTTP 404"), message);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void cancellingClosesTheStreamAndEndsTheWait() throws Exception {
        AtomicBoolean streamClosed = new AtomicBoolean();
        ResultCallback.Adapter<Frame> callback = new ResultCallback.Adapter<>();
        callback.onStart(() -> streamClosed.set(true));
        Cancellation cancellation = new Cancellation();
        CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS).execute(cancellation::cancel);

        MagicException e = assertThrows(MagicException.class, () -> DockerEngine.await(callback, cancellation));
        assertEquals(MagicException.Kind.KeyboardInterrupt, e.kind());
        assertTrue(streamClosed.get());
    }

    @Test
    void aFinishedStreamReturnsTheCallbackAndLeavesNoHookBehind() throws Exception {
        AtomicBoolean streamClosed = new AtomicBoolean();
        ResultCallback.Adapter<Frame> callback = new ResultCallback.Adapter<>();
        Closeable stream = () -> streamClosed.set(true);
        callback.onStart(stream);
        CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS).execute(callback::onComplete);
        Cancellation cancellation = new Cancellation();

        assertSame(callback, DockerEngine.await(callback, cancellation));
        assertTrue(streamClosed.get());
        cancellation.cancel(); // must not throw or touch the finished call
    }

    @Test
    void anEngineErrorIsRethrownAsItIs() {
        ResultCallback.Adapter<Frame> callback = new ResultCallback.Adapter<>();
        callback.onStart(() -> { });
        callback.onError(new IllegalStateException("manifest unknown"));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> DockerEngine.await(callback, new Cancellation()));
        assertEquals("manifest unknown", e.getMessage());
    }

    /** Builds the engine and connects, as a magic would, and returns the error's message. */
    private String failToConnect(String dockerHost) throws Exception {
        MagicException e;
        try (DockerEngine engine = new DockerEngine(DockerConfig.resolve(Map.of("DOCKER_HOST", dockerHost), home))) {
            e = assertThrows(MagicException.class, engine::connect);
        }
        assertEquals(MagicException.Kind.MagicError, e.kind());
        return e.getMessage();
    }

    private static void assertHowToStartOne(String message) {
        assertTrue(message.contains("sudo systemctl start docker"), message);
        assertTrue(message.contains("sudo dockerd &"), message);
        assertTrue(message.contains("bin/setup-docker"), message);
    }
}

package dev.drydock.kernel.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.drydock.kernel.protocol.Channel;
import dev.drydock.kernel.protocol.ConnectionInfo;
import dev.drydock.kernel.protocol.Message;
import dev.drydock.kernel.protocol.WireClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The entry point Jupyter starts: a connection file in, a clean return after shutdown. */
class KernelRunTest {

    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path folder;

    @Test
    void runServesTheConnectionFileUntilShutdownOnControl() throws Exception {
        int[] ports = {freePort(), freePort(), freePort(), freePort(), freePort()};
        Path file = folder.resolve("kernel-test.json");
        Files.writeString(file, """
                {"shell_port": %d, "iopub_port": %d, "stdin_port": %d, "control_port": %d, "hb_port": %d,
                 "ip": "127.0.0.1", "key": "run-test-key", "transport": "tcp",
                 "signature_scheme": "hmac-sha256", "kernel_name": "drydock"}
                """.formatted(ports[0], ports[1], ports[2], ports[3], ports[4]));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread kernel = new Thread(() -> {
            try {
                Kernel.run(file);
            } catch (Throwable ex) {
                failure.set(ex);
            }
        });
        kernel.start();

        ConnectionInfo connection = ConnectionInfo.read(file);
        try (WireClient client = new WireClient(connection)) {
            client.awaitReady(WAIT);
            String id = client.execute("var greeting = \"dry\" + \"dock\";\n%setenv WHERE=here\ngreeting");
            Message reply = client.reply(Channel.SHELL, id, WAIT);
            assertEquals("ok", reply.content().path("status").asText(), reply.content().toString());
            assertEquals("drydock", client.iopubUntilIdle(id, WAIT).stream()
                    .filter(m -> m.msgType().equals("execute_result")).findFirst().orElseThrow()
                    .content().path("data").path("text/plain").asText());

            String shutdown = client.send(Channel.CONTROL, "shutdown_request", client.object().put("restart", false));
            assertEquals("ok", client.reply(Channel.CONTROL, shutdown, WAIT).content().path("status").asText());
        }
        kernel.join(10_000);
        assertFalse(kernel.isAlive(), "Kernel.run did not return after shutdown");
        assertNull(failure.get());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

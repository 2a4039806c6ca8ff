package dev.drydock.kernel.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.Field;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The I/O thread's wake-up pipe, which an interrupted sender can close (an NIO channel closes on interrupt). */
class TransportTest {

    private static final String KEY = "transport-test-key";

    @Test
    void aSendFromAnInterruptedThreadLeavesThePipeOpenAndAClosedPipeIsReplaced() throws Exception {
        ObjectMapper json = new ObjectMapper();
        BlockingQueue<Message> received = new LinkedBlockingQueue<>();
        try (Transport transport = new Transport(new ConnectionInfo("tcp", "127.0.0.1", 0, 0, 0, 0, 0, KEY, "hmac-sha256"),
                new WireCodec(json, new Signer(KEY, "hmac-sha256")));
                WireClient client = new WireClient(transport.bound(), KEY)) {
            transport.start((channel, message) -> received.add(message));
            MessageFactory messages = new MessageFactory(json, "s", "me");
            Pipe before = pipe(transport);

            Thread interrupted = new Thread(() -> {
                Thread.currentThread().interrupt();
                transport.send(Channel.IOPUB, messages.publish(json.createObjectNode(), "stream", json.createObjectNode()));
                assertTrue(Thread.currentThread().isInterrupted(), "the sender's interrupt is kept");
            });
            interrupted.start();
            interrupted.join();
            assertTrue(pipe(transport).sink().isOpen(), "an interrupted sender closed the wake-up pipe");

            // Closed anyway (an interrupt landing mid-write): the I/O thread must open a new pipe and serve on.
            before.sink().close();
            client.send(Channel.SHELL, "kernel_info_request", client.object());
            assertEquals("kernel_info_request", received.poll(30, TimeUnit.SECONDS).msgType());
            Pipe after = pipe(transport);
            assertNotSame(before, after);
            assertTrue(after.sink().isOpen() && after.source().isOpen());
            client.drainAll(Duration.ofMillis(200));
        }
    }

    private static Pipe pipe(Transport transport) throws ReflectiveOperationException {
        Field wake = Transport.class.getDeclaredField("wake");
        wake.setAccessible(true);
        return (Pipe) wake.get(transport);
    }
}

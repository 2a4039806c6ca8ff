package dev.drydock.kernel.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RuntimeStreamCoalescerTest {

    record Piece(String name, String text) {}

    final List<Piece> sent = new CopyOnWriteArrayList<>();
    final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    final StreamCoalescer streams = new StreamCoalescer((name, text) -> sent.add(new Piece(name, text)), timer);

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    @Test
    void manyWritesBecomeOneMessageOnFlush() {
        for (int i = 0; i < 1000; i++) {
            streams.write("stdout", "line " + i + "\n");
        }
        streams.flush();
        assertEquals(1, sent.size());
        assertEquals(1000, sent.get(0).text().lines().count());
    }

    @Test
    void switchingStreamsKeepsTheOrder() {
        streams.write("stdout", "a\n");
        streams.write("stderr", "b\n");
        streams.write("stdout", "c\n");
        streams.flush();
        assertEquals(List.of(new Piece("stdout", "a\n"), new Piece("stderr", "b\n"), new Piece("stdout", "c\n")), sent);
    }

    @Test
    void aCharacterSplitBetweenWritesArrivesWhole() {
        byte[] euro = "€\n".getBytes(StandardCharsets.UTF_8);
        streams.write("stdout", euro, 0, 1);
        streams.flush();
        assertTrue(sent.isEmpty(), "half a character was sent: " + sent);
        streams.write("stdout", euro, 1, euro.length - 1);
        streams.flush();
        assertEquals(List.of(new Piece("stdout", "€\n")), sent);
    }

    @Test
    void theTimerSendsWholeLinesAndAPartialLineLater() throws Exception {
        streams.write("stdout", "done\npartial");
        Thread.sleep(StreamCoalescer.INTERVAL_MILLIS + 80);
        assertEquals(List.of(new Piece("stdout", "done\n")), sent);
        Thread.sleep(2 * StreamCoalescer.INTERVAL_MILLIS + 80);
        assertEquals(List.of(new Piece("stdout", "done\n"), new Piece("stdout", "partial")), sent);
    }
}

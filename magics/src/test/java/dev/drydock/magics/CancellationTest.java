package dev.drydock.magics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.drydock.magics.api.Magics;

/** How an interrupt reaches work that must finish: held back, then delivered. */
class CancellationTest {

    @TempDir
    Path dir;

    @Test
    void anInterruptDuringUninterruptibleWorkArrivesWhenItEnds() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch interruptSent = new CountDownLatch(1);
        AtomicBoolean sawInterrupt = new AtomicBoolean();
        AtomicBoolean interruptedAfter = new AtomicBoolean();
        AtomicBoolean wrote = new AtomicBoolean();
        Thread worker = new Thread(() -> {
            try {
                Cancellation.uninterruptibly(() -> {
                    inside.countDown();
                    interruptSent.await(5, TimeUnit.SECONDS);
                    sawInterrupt.set(Thread.currentThread().isInterrupted());
                    // An interruptible channel: it would close at once on an interrupted thread.
                    try (FileChannel channel = FileChannel.open(dir.resolve("state.json"),
                            StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                        channel.write(ByteBuffer.wrap("{}".getBytes()));
                    }
                    wrote.set(true);
                    return null;
                });
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            interruptedAfter.set(Thread.currentThread().isInterrupted());
        });
        worker.start();
        assertTrue(inside.await(5, TimeUnit.SECONDS));
        Cancellation.interrupt(worker);
        interruptSent.countDown();
        worker.join(5000);
        assertFalse(sawInterrupt.get(), "the work ran without the interrupt");
        assertTrue(wrote.get(), "the channel was not cut short");
        assertTrue(interruptedAfter.get(), "the interrupt arrived once the work was done");
    }

    @Test
    void anInterruptOutsideItArrivesAtOnce() throws Exception {
        CountDownLatch interrupted = new CountDownLatch(1);
        Thread sleeper = new Thread(() -> {
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException e) {
                interrupted.countDown();
            }
        });
        sleeper.start();
        Thread.sleep(50);
        Cancellation.interrupt(sleeper);
        assertTrue(interrupted.await(2, TimeUnit.SECONDS));
    }

    @Test
    void whatAnInterruptedMagicThrowsOnItsWayOutIsReportedAsTheInterrupt() {
        Magics magics = new Magics(new Session(dir, Map.of()));
        RecordingNotebook notebook = new RecordingNotebook();
        notebook.cancellation().cancel();
        MagicException e = assertThrows(MagicException.class,
                () -> magics.run(new MagicCall("dotenv", "missing.env", null), notebook));
        assertEquals(MagicException.Kind.KeyboardInterrupt, e.kind());
        assertEquals(MagicException.Kind.MagicError, ((MagicException) e.getCause()).kind(), "the cause is kept");
    }
}

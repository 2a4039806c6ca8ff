package dev.drydock.magics;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import dev.drydock.magics.api.Magics;

/**
 * A magic on its own thread, interrupted the way the kernel interrupts one: the cell's cancellation first,
 * then an interrupt of the thread. Tests that only cancel miss what the thread's interrupt flag does to
 * clean-up calls, which is how an interrupted container once kept running.
 */
public final class InterruptedMagic {

    private final Thread thread;
    private final RecordingNotebook notebook;
    private final AtomicReference<Throwable> thrown = new AtomicReference<>();

    private InterruptedMagic(Magics magics, MagicCall call, RecordingNotebook notebook) {
        this.notebook = notebook;
        this.thread = new Thread(() -> {
            try {
                magics.run(call, notebook);
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, "magic-under-test");
    }

    /** Starts {@code call} and waits until {@code started} holds (for example, until it printed something). */
    public static InterruptedMagic start(Magics magics, MagicCall call, RecordingNotebook notebook,
            BooleanSupplier started, Duration patience) throws InterruptedException {
        InterruptedMagic magic = new InterruptedMagic(magics, call, notebook);
        magic.thread.start();
        long deadline = System.nanoTime() + patience.toNanos();
        while (!started.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "the magic never got going: " + notebook.out() + notebook.err());
            assertTrue(magic.thread.isAlive(), "the magic ended before it got going: " + magic.thrown.get());
            Thread.sleep(20);
        }
        return magic;
    }

    public RecordingNotebook notebook() {
        return notebook;
    }

    /** Interrupts as the kernel does and returns what the magic threw, which must be a {@link MagicException}. */
    public MagicException interrupt() throws InterruptedException {
        notebook.cancellation().cancel();
        Cancellation.interrupt(thread);
        thread.join(15_000);
        assertFalse(thread.isAlive(), "the interrupted magic did not return");
        assertTrue(thrown.get() instanceof MagicException, "expected a MagicException, got " + thrown.get());
        return (MagicException) thrown.get();
    }
}

package dev.drydock.magics;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The interrupt signal of one cell. Long work polls {@link #isCancelled()} or registers a hook that
 * stops it (kills a process, closes a docker-java callback) the moment the person interrupts.
 */
public final class Cancellation {

    /** Threads inside {@link #uninterruptibly}, and those of them an interrupt is waiting for; guarded by SHIELDED. */
    private static final Set<Thread> SHIELDED = new HashSet<>();
    private static final Set<Thread> DEFERRED = new HashSet<>();

    private volatile boolean cancelled;
    private final List<Runnable> hooks = new CopyOnWriteArrayList<>();

    public boolean isCancelled() {
        return cancelled;
    }

    /** Marks the cell interrupted and runs every registered hook once. */
    public void cancel() {
        if (cancelled) {
            return;
        }
        cancelled = true;
        for (Runnable hook : hooks) {
            try {
                hook.run();
            } catch (RuntimeException ignored) {
                // One failing hook must not keep the others from stopping their work.
            }
        }
    }

    /**
     * Runs {@code hook} on cancel (at once if already cancelled). Close the returned handle when the
     * work ends, so a later interrupt does not touch finished work.
     */
    public AutoCloseable onCancel(Runnable hook) {
        hooks.add(hook);
        if (cancelled) {
            hook.run();
        }
        return () -> hooks.remove(hook);
    }

    /** Throws when the cell was interrupted; a convenient check between steps of long work. */
    public void throwIfCancelled() throws MagicException {
        if (cancelled) {
            throw MagicException.interrupted();
        }
    }

    /** Work that may throw a checked exception, for {@link #uninterruptibly}. */
    @FunctionalInterface
    public interface Work<T, E extends Exception> {
        T run() throws E;
    }

    /**
     * Runs work that must finish even when the kernel interrupts the thread: clean-up after an interrupt
     * (stop and remove a container) and short writes of state (a job record). On an interrupted thread NIO
     * channels and docker-java's transport fail at once, which would leave a container running or a record
     * unwritten. An interrupt already set is held for the work's duration, and one sent with
     * {@link #interrupt(Thread)} meanwhile is delivered when the work ends.
     */
    public static <T, E extends Exception> T uninterruptibly(Work<T, E> work) throws E {
        Thread self = Thread.currentThread();
        boolean outermost;
        synchronized (SHIELDED) {
            outermost = SHIELDED.add(self);
        }
        boolean interrupted = Thread.interrupted();
        try {
            return work.run();
        } finally {
            if (outermost) {
                synchronized (SHIELDED) {
                    SHIELDED.remove(self);
                    interrupted |= DEFERRED.remove(self);
                }
            }
            if (interrupted) {
                self.interrupt();
            }
        }
    }

    /**
     * Interrupts {@code thread} to end a blocking wait, as the kernel does to a cell's thread; inside
     * {@link #uninterruptibly} the interrupt waits until that work is done.
     */
    public static void interrupt(Thread thread) {
        synchronized (SHIELDED) {
            if (SHIELDED.contains(thread)) {
                DEFERRED.add(thread);
                return;
            }
        }
        thread.interrupt();
    }

    /** {@link #uninterruptibly(Work)} for work without a result or checked exception. */
    public static void uninterruptibly(Runnable work) {
        uninterruptibly(() -> {
            work.run();
            return null;
        });
    }
}

package dev.drydock.magics;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The interrupt signal of one cell. Long work polls {@link #isCancelled()} or registers a hook that
 * stops it (kills a process, closes a docker-java callback) the moment the person interrupts.
 */
public final class Cancellation {

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
     * Runs work that must finish even on a thread the kernel interrupted: clean-up after an interrupt (stop
     * and remove a container) and short writes of state (a job record). The kernel interrupts a magic's
     * thread to end blocking waits, and on an interrupted thread NIO channels and docker-java's transport
     * fail at once, which would leave a container running or a record unwritten. The flag is cleared for
     * the work and set again after it.
     */
    public static <T, E extends Exception> T uninterruptibly(Work<T, E> work) throws E {
        boolean interrupted = Thread.interrupted();
        try {
            return work.run();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** {@link #uninterruptibly(Work)} for work without a result or checked exception. */
    public static void uninterruptibly(Runnable work) {
        uninterruptibly(() -> {
            work.run();
            return null;
        });
    }
}

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
}

package dev.drydock.kernel.java;

import dev.drydock.magics.Cancellation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import jdk.jshell.execution.DirectExecutionControl;

/**
 * Runs cell code in this JVM, each snippet on a fresh thread that {@link #stop} can end.
 *
 * <p>It replaces JDK 17's {@code LocalExecutionControl} for three reasons: that class returns only the
 * {@code toString} of a value, while the kernel renders the value object itself (images, raw strings);
 * it joins every thread the snippet started, so a cell that starts a background thread would never
 * finish; and it installs a process-wide default uncaught-exception handler on every run.
 *
 * <p>Stopping is polite first: the thread is interrupted, which ends sleeps and blocking I/O. Code that
 * ignores interrupts (a busy loop) gets {@code Thread.stop} after {@link #GRACE_NANOS}; on JDKs where
 * that is gone, the thread is abandoned after {@link #ABANDON_NANOS} so the kernel can answer the next
 * cell while the stray daemon thread runs on.
 */
final class CellExecutionControl extends DirectExecutionControl {

    private static final long GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long RESTOP_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final long ABANDON_NANOS = TimeUnit.SECONDS.toNanos(2);

    /**
     * Cell threads inside a magic a cell called ({@code magic(...)}): a stop only interrupts them. The
     * magic stops its own work on the interrupt (a build, a container) and cleans up; Thread.stop there
     * could leave a container running or a file half-written.
     */
    private static final Set<Thread> IN_MAGIC = ConcurrentHashMap.newKeySet();

    /** The thread running the current snippet, of any engine: the one thread that may call magic(). */
    private static volatile Thread cellThread;

    private final ClassLoader cellLoader;
    private final Object lock = new Object();
    private Thread running; // guarded by lock
    private boolean cancelled; // guarded by lock
    private long cancelledAt; // guarded by lock
    private Object lastValue;

    CellExecutionControl(SnippetLoaderDelegate loaderDelegate) {
        super(loaderDelegate);
        this.cellLoader = loaderDelegate.classLoader();
    }

    /**
     * Runs {@code magic} on this cell thread so that a stop interrupts it but never kills it.
     *
     * @throws IllegalStateException on any other thread: a thread the cell started, or a stopped cell's
     *     thread that was abandoned, would run the magic in whichever cell runs now
     */
    static void shielded(Runnable magic) {
        Thread self = Thread.currentThread();
        if (self != cellThread) {
            throw new IllegalStateException("magic() runs on the cell's own thread, not on a thread the cell started"
                    + " or one that outlived its cell: call it from the cell's code.");
        }
        boolean outermost = IN_MAGIC.add(self);
        try {
            magic.run();
        } finally {
            if (outermost) {
                IN_MAGIC.remove(self);
            }
        }
    }

    /** Forgets a stop request of the previous cell. */
    void beginCell() {
        synchronized (lock) {
            cancelled = false;
        }
        lastValue = null;
    }

    /** Whether {@link #stop} was called since {@link #beginCell}. */
    boolean cancelled() {
        synchronized (lock) {
            return cancelled;
        }
    }

    /** The object the last snippet returned (an expression's value); cleared by reading. */
    Object takeValue() {
        Object value = lastValue;
        lastValue = null;
        return value;
    }

    /**
     * Runs the snippet and keeps its value for {@link #takeValue}. The string JShell gets back is
     * deliberately empty: JShell would call the value's {@code toString} for every snippet, declarations
     * included, while the kernel renders only the value it shows, on a cell thread that can be stopped.
     */
    @Override
    protected String invoke(Method doitMethod) throws Exception {
        lastValue = call(() -> doitMethod.invoke(null));
        return "";
    }

    /**
     * Runs kernel-side work that calls user code (rendering a value calls its {@code toString}) the way
     * snippets run, so it can be stopped too.
     *
     * @throws StoppedException when the cell was stopped
     * @throws InvocationTargetException wrapping what the work threw
     */
    <T> T callAsCell(Callable<T> work) throws StoppedException, InvocationTargetException {
        try {
            return call(work);
        } catch (InvocationTargetException | StoppedException ex) {
            throw ex;
        } catch (Exception ex) {
            throw new InvocationTargetException(ex);
        }
    }

    private <T> T call(Callable<T> work) throws Exception {
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        Thread worker = new Thread(() -> {
            try {
                result[0] = work.call();
            } catch (Throwable ex) {
                failure[0] = ex;
            }
        }, "drydock-cell");
        worker.setDaemon(true);
        worker.setContextClassLoader(cellLoader);
        synchronized (lock) {
            if (cancelled) {
                throw new StoppedException();
            }
            running = worker;
            cellThread = worker;
            worker.start();
        }
        try {
            awaitOrKill(worker);
        } finally {
            synchronized (lock) {
                running = null;
                if (cellThread == worker) {
                    cellThread = null;
                }
            }
        }
        if (cancelled()) {
            throw new StoppedException();
        }
        Throwable thrown = failure[0];
        if (thrown == null) {
            @SuppressWarnings("unchecked")
            T value = (T) result[0];
            return value;
        }
        if (thrown instanceof Exception ex) {
            throw ex;
        }
        throw new InvocationTargetException(thrown);
    }

    @SuppressWarnings({"deprecation", "removal"})
    private void awaitOrKill(Thread worker) {
        long lastStop = 0;
        while (worker.isAlive()) {
            try {
                worker.join(20);
            } catch (InterruptedException ex) {
                // Someone interrupted the evaluating thread instead of calling stop(): honour it as a stop.
                // The flag is not restored: an interrupted thread would break javac's jar reading later.
                stop();
            }
            long since;
            synchronized (lock) {
                if (!cancelled || IN_MAGIC.contains(worker)) {
                    continue;
                }
                since = System.nanoTime() - cancelledAt;
            }
            if (since > ABANDON_NANOS) {
                // Said in the cell, since nothing else would tell the person their CPU is still burning.
                System.err.println("warning: the cell's thread did not stop when interrupted (a loop that catches"
                        + " Throwable or InterruptedException keeps going); it was left running in the background"
                        + " and may keep using CPU. Restart the kernel to end it.");
                return;
            }
            if (since > GRACE_NANOS && (lastStop == 0 || System.nanoTime() - lastStop > RESTOP_NANOS)) {
                lastStop = System.nanoTime();
                try {
                    worker.stop();
                } catch (UnsupportedOperationException ex) {
                    // JDK 20+: nothing stronger than interrupt exists; abandon the thread after the timeout.
                }
            }
        }
    }

    /** Stops the running cell from any thread and returns at once; later snippets of the cell do not run. */
    @Override
    public void stop() {
        synchronized (lock) {
            if (!cancelled) {
                cancelled = true;
                cancelledAt = System.nanoTime();
            }
            if (running != null) {
                // Through Cancellation: a magic the cell called may be cleaning up, which must not be cut short.
                Cancellation.interrupt(running);
            }
        }
    }

    @Override
    public void close() {
        stop();
        super.close();
    }
}

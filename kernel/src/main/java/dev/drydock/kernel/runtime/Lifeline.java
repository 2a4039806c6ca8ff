package dev.drydock.kernel.runtime;

import java.time.Instant;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import sun.misc.Signal;

/**
 * What ties the kernel process to the world outside the protocol, as ipykernel does: {@code SIGINT}
 * interrupts the running cell instead of ending the JVM, {@code SIGTERM} shuts down cleanly (the cell
 * interrupted, the magics' services closed), and the kernel shuts down when the process named by
 * {@code JPY_PARENT_PID} (the frontend that started it) is gone, so a killed frontend leaves no kernel.
 */
final class Lifeline {

    private static final Logger LOG = Logger.getLogger(Lifeline.class.getName());
    /** Half a second between looks at the parent: well inside ipykernel's three seconds. */
    static final long PARENT_POLL_MILLIS = 500;

    private Lifeline() {}

    static void watch(Kernel kernel) {
        handle("INT", kernel::interruptCell);
        handle("TERM", () -> kernel.requestShutdown("SIGTERM"));
        String parent = System.getenv("JPY_PARENT_PID");
        if (parent != null && !parent.isBlank()) {
            watchParent(parent.strip(), () -> kernel.requestShutdown("the parent process " + parent.strip() + " is gone"));
        }
    }

    private static void handle(String signal, Runnable action) {
        try {
            // sun.misc.Signal (jdk.unsupported) is the one signal API of JDK 17 through 25; each signal runs
            // its handler on a fresh thread, so the handler may block.
            Signal.handle(new Signal(signal), received -> action.run());
        } catch (IllegalArgumentException ex) {
            // The JVM keeps the signal (-Xrs) or the process started with it ignored: nothing to take over.
            LOG.log(Level.INFO, "Cannot handle SIG" + signal + ": " + ex.getMessage());
        }
    }

    /**
     * Polls the parent: gone, or its pid now names a process started at another time (the pid was
     * reused), means the frontend died. A pid that is not a number is logged and ignored.
     */
    static Thread watchParent(String pid, Runnable onDeath) {
        long parentPid;
        try {
            parentPid = Long.parseLong(pid);
        } catch (NumberFormatException ex) {
            LOG.warning("JPY_PARENT_PID is not a process id: " + pid);
            return null;
        }
        Optional<Instant> started = ProcessHandle.of(parentPid).flatMap(handle -> handle.info().startInstant());
        // When the parent is the direct one, being handed to another (init, a subreaper) also means it
        // died, even while it lingers as a zombie that still looks alive.
        boolean direct = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L) == parentPid;
        Thread poller = new Thread(() -> {
            while (true) {
                Optional<ProcessHandle> parent = ProcessHandle.of(parentPid);
                boolean alive = parent.isPresent() && parent.get().isAlive()
                        && (started.isEmpty() || started.equals(parent.get().info().startInstant()))
                        && (!direct || ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L) == parentPid);
                if (!alive) {
                    onDeath.run();
                    return;
                }
                try {
                    Thread.sleep(PARENT_POLL_MILLIS);
                } catch (InterruptedException ex) {
                    return;
                }
            }
        }, "drydock-parent-poller");
        poller.setDaemon(true);
        poller.start();
        return poller;
    }
}

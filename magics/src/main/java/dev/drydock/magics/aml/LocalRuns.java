package dev.drydock.magics.aml;

import dev.drydock.magics.SecretMasker;
import dev.drydock.magics.Session;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The local jobs one kernel is watching, by run folder: what {@code %aml cancel} stops, and what the kernel's
 * shutdown ({@code Magics.close()} → {@link Session#close()}) stops and records {@code Canceled}, the log kept as
 * far as it got. A kernel that is gone leaves no container behind and no record that says {@code Running}.
 */
final class LocalRuns implements AutoCloseable {

    /** How long a shutdown waits for its jobs' records: a stop takes {@code LocalRun}'s grace period, then SIGKILL. */
    private static final long CLOSE_SECONDS = 20;

    private final Map<Path, LocalRun> running = new ConcurrentHashMap<>();
    private final SecretMasker masker;
    private volatile boolean closed;

    private LocalRuns(SecretMasker masker) {
        this.masker = masker;
    }

    static LocalRuns of(Session session) {
        return session.shared(LocalRuns.class, () -> new LocalRuns(session.masker()));
    }

    /** The session's masker, which every {@code job.json} of its jobs is written through. */
    SecretMasker masker() {
        return masker;
    }

    LocalRun get(RunFolder folder) {
        return running.get(folder.root());
    }

    /** Whether the kernel is shutting down: a submission then starts nothing. */
    boolean closed() {
        return closed;
    }

    /**
     * Watches {@code run}; returns false when the kernel is shutting down, and the caller must cancel it. Checked
     * after the put, so a run started while {@link #close} iterates is either seen by it or told here.
     */
    boolean add(RunFolder folder, LocalRun run) {
        running.put(folder.root(), run);
        if (closed) {
            running.remove(folder.root(), run);
            return false;
        }
        return true;
    }

    void remove(RunFolder folder, LocalRun run) {
        running.remove(folder.root(), run);
    }

    /** Stops every job at once, then waits for each record to say Canceled. */
    @Override
    public void close() {
        closed = true;
        List<LocalRun> runs = new ArrayList<>(running.values());
        List<Thread> stopping = new ArrayList<>();
        for (LocalRun run : runs) {
            Thread thread = new Thread(() -> run.stopForShutdown(), "drydock-aml-shutdown");
            thread.setDaemon(true);
            thread.start();
            stopping.add(thread);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLOSE_SECONDS);
        // A shutdown often comes on a thread that was just interrupted: the records must be written all the same.
        boolean interrupted = false;
        for (Thread thread : stopping) {
            while (thread.isAlive() && System.nanoTime() < deadline) {
                try {
                    thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}

package dev.drydock.magics.process;

import dev.drydock.magics.Cancellation;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Runs a program for {@code %%bash}, {@code %%sh} and {@code !cmd}: output streams into the notebook
 * as it comes, and an interrupt kills the program with everything it started.
 */
public final class ProcessRunner {

    /** How long an interrupted program gets to exit on SIGTERM before SIGKILL. */
    static final long GRACE_MS = 400;

    /**
     * After the program exited, output is drained until the pipes close or stay silent this long: a
     * background job it left behind ({@code server &}) holds the pipes open and must not hang the cell.
     */
    private static final long QUIET_MS = 300;

    // Its own session (and process group) lets one signal reach grandchildren whose parent already died,
    // which ProcessHandle.descendants() can no longer see.
    private static final Path SETSID = Path.of("/usr/bin/setsid");
    private static final List<Path> KILL = List.of(Path.of("/usr/bin/kill"), Path.of("/bin/kill"));

    private ProcessRunner() {}

    /**
     * Runs {@code command} in {@code directory} with exactly {@code environment}, stdin empty.
     *
     * @return the exit status
     * @throws MagicException interrupted when the notebook's cancellation fired (the tree is killed
     *     first), failed when the program cannot start
     */
    public static int run(List<String> command, Path directory, Map<String, String> environment, Notebook notebook)
            throws MagicException {
        return run(command, directory, environment, notebook::out, notebook::err, notebook.cancellation());
    }

    /**
     * The same with the output going to {@code out} and {@code err} (a build log, say) instead of a notebook,
     * and {@code cancellation} killing the tree.
     */
    public static int run(List<String> command, Path directory, Map<String, String> environment,
            Consumer<String> out, Consumer<String> err, Cancellation cancellation) throws MagicException {
        boolean ownGroup = Files.isExecutable(SETSID);
        List<String> argv = new ArrayList<>();
        if (ownGroup) {
            argv.add(SETSID.toString());
        }
        argv.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(argv)
                .directory(directory.toFile())
                // A notebook has no terminal to type into; a program waiting on stdin would hang the cell.
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().clear();
        builder.environment().putAll(environment);

        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw MagicException.failed("Cannot start " + command.get(0) + " in " + directory + ": " + e.getMessage());
        }
        Pump outPump = Pump.start(process.getInputStream(), out, "stdout");
        Pump errPump = Pump.start(process.getErrorStream(), err, "stderr");
        AtomicBoolean killed = new AtomicBoolean();
        AutoCloseable hook = cancellation.onCancel(() -> {
            killed.set(true);
            killTree(process, ownGroup);
        });
        try {
            int status = process.waitFor();
            Pump.drain(List.of(outPump, errPump), QUIET_MS);
            if (killed.get()) {
                throw MagicException.interrupted();
            }
            return status;
        } catch (InterruptedException e) {
            killTree(process, ownGroup);
            Pump.drain(List.of(outPump, errPump), 0);
            throw MagicException.interrupted();
        } finally {
            closeQuietly(hook);
        }
    }

    /**
     * SIGTERM to the program, its descendants and its process group now; SIGKILL to whatever is left after
     * {@link #GRACE_MS}. Returns at once: it runs on the thread that handles the interrupt, which must stay
     * responsive.
     */
    static void killTree(Process process, boolean ownGroup) {
        // Descendants first: once the parent dies its children are re-parented and drop out of the tree.
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(process.toHandle());
        tree.forEach(ProcessHandle::destroy);
        long group = process.pid();
        CompletableFuture.runAsync(() -> {
            if (ownGroup) {
                signalGroup("TERM", group);
            }
        });
        CompletableFuture.runAsync(() -> {
            tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
            if (ownGroup) {
                signalGroup("KILL", group);
            }
        }, CompletableFuture.delayedExecutor(GRACE_MS, TimeUnit.MILLISECONDS));
    }

    /**
     * Signals every process of the group. Safe after the leader exited: a process group id is not reused
     * while any member lives, and signalling an empty group only fails.
     */
    private static void signalGroup(String signal, long group) {
        for (Path kill : KILL) {
            if (Files.isExecutable(kill)) {
                try {
                    new ProcessBuilder(kill.toString(), "-s", signal, "--", "-" + group)
                            .redirectErrorStream(true)
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                            .start()
                            .waitFor(1, TimeUnit.SECONDS);
                } catch (IOException e) {
                    // Nothing more to try: the per-process signals were already sent.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // Unregistering a hook from a list cannot fail in a way worth reporting.
        }
    }

    /** Copies one output stream of the program to the notebook from its own thread. */
    private static final class Pump implements Runnable {

        private final Reader reader;
        private final Consumer<String> sink;
        private final Thread thread;
        private volatile boolean detached;
        private volatile long lastActive = System.nanoTime();

        private Pump(InputStream in, Consumer<String> sink, String name) {
            this.reader = new InputStreamReader(in, StandardCharsets.UTF_8);
            this.sink = sink;
            this.thread = new Thread(this, "drydock-process-" + name);
            this.thread.setDaemon(true);
        }

        static Pump start(InputStream in, Consumer<String> sink, String name) {
            Pump pump = new Pump(in, sink, name);
            pump.thread.start();
            return pump;
        }

        @Override
        public void run() {
            char[] buffer = new char[8192];
            StringBuilder pending = new StringBuilder();
            try {
                for (int n; (n = reader.read(buffer)) >= 0; ) {
                    lastActive = System.nanoTime();
                    pending.append(buffer, 0, n);
                    // Emit what the program has written so far. While more is already waiting in the pipe,
                    // hold back the unfinished line, so a secret cut in two by the buffer reaches the
                    // notebook's masker whole.
                    int end = reader.ready() ? pending.lastIndexOf("\n") + 1 : pending.length();
                    if (end > 0) {
                        emit(pending.substring(0, end));
                        pending.delete(0, end);
                    }
                }
            } catch (IOException e) {
                // The pipe closed under us (the program was killed): what was read is still emitted.
            }
            emit(pending.toString());
        }

        private void emit(String text) {
            if (detached || text.isEmpty()) {
                return;
            }
            try {
                sink.accept(text);
            } catch (RuntimeException e) {
                // Keep draining: a pump that stops reading would block the program on a full pipe.
            } finally {
                // A slow notebook is activity too; the drain must not give up while output is being handed over.
                lastActive = System.nanoTime();
            }
        }

        /**
         * Waits until every pump reached the end of its stream or none has read anything for {@code quietMs};
         * then detaches them, so late output is dropped rather than sent to a later cell.
         */
        static void drain(List<Pump> pumps, long quietMs) {
            long start = System.nanoTime();
            try {
                while (pumps.stream().anyMatch(p -> p.thread.isAlive())) {
                    // Quiet counts from the drain's start too: the last words may still sit in the pipe.
                    long active = Math.max(start, pumps.stream().mapToLong(p -> p.lastActive).max().orElse(0));
                    if (System.nanoTime() - active > TimeUnit.MILLISECONDS.toNanos(quietMs)) {
                        break;
                    }
                    Thread.sleep(10);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                pumps.forEach(p -> p.detached = true);
            }
        }
    }
}

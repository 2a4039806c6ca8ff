package dev.drydock.kernel.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.kernel.cells.CellPart;
import dev.drydock.kernel.cells.CellSplitter;
import dev.drydock.kernel.java.JavaEngine;
import dev.drydock.kernel.java.JavaEngine.JavaException;
import dev.drydock.kernel.protocol.Channel;
import dev.drydock.kernel.protocol.Message;
import dev.drydock.kernel.runtime.CellNotebook.ErrorInfo;
import dev.drydock.magics.Cancellation;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code execute_request}, on the execution thread: counts, splits the cell into Java, magics and
 * shell lines, runs them in order until the first failure, shows the last value, evaluates
 * {@code user_expressions}, and after a failure aborts the requests that were already queued (when
 * {@code stop_on_error} asks for it, the default).
 */
final class Execution {

    private static final Logger LOG = Logger.getLogger(Execution.class.getName());
    static final String RED = "\u001b[0;31m";
    static final String RESET = "\u001b[0m";
    static final String INTERRUPTED = "KeyboardInterrupt";

    /** IPython's help syntax: {@code name?}, {@code name??}, {@code ?name}. */
    /** IPython's way out: {@code exit} or {@code quit} alone (or called) shuts the kernel down. */
    private static final Pattern EXIT = Pattern.compile("\\s*(exit|quit)(\\(\\))?;?\\s*");
    private static final Pattern HELP = Pattern.compile("\\s*(\\?{0,2})([A-Za-z_$][\\w$]*(?:\\.[A-Za-z_$][\\w$]*)*)(\\?{0,2})\\s*");

    private final Kernel kernel;
    private final JavaEngine engine;
    private final Magics magics;
    private final History history;
    private int executionCount;
    private volatile long abortThrough;

    /** The cell that is running, for interrupts; {@code null} between cells. */
    private volatile Running running;
    private final Object runningLock = new Object();

    private static final class Running {
        final CellNotebook cell;
        final Thread thread;
        volatile boolean inJava;

        Running(CellNotebook cell, Thread thread) {
            this.cell = cell;
            this.thread = thread;
        }
    }

    private record Outcome(ErrorInfo error, Map<String, Object> value, Map<String, Object> page) {}

    Execution(Kernel kernel, JavaEngine engine, Magics magics, History history) {
        this.kernel = kernel;
        this.engine = engine;
        this.magics = magics;
        this.history = history;
    }

    /**
     * Stops the running cell, if any: its cancellation fires (killing subprocesses, stopping magics) and
     * the Java engine stops; a thread blocked in a magic is interrupted. Returns at once.
     */
    void interrupt() {
        // Under the lock the cell cannot end meanwhile: a stop or thread interrupt that landed after it
        // ended would hit the next cell instead.
        synchronized (runningLock) {
            Running cell = running;
            if (cell == null) {
                return;
            }
            cell.cell.cancellation().cancel();
            engine.stop();
            if (!cell.inJava) {
                // The engine is not on this thread; a magic may be blocked in a wait only an interrupt ends.
                // Through Cancellation, so clean-up the magic is doing meanwhile is not cut short.
                Cancellation.interrupt(cell.thread);
            }
        }
    }

    /** Waits until no cell runs, up to {@code millis}; whether none runs. */
    boolean awaitIdle(long millis) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (runningLock) {
            while (running != null) {
                long left = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                try {
                    runningLock.wait(left);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    void execute(Request request) {
        Message message = request.message();
        JsonNode content = message.content();
        String code = content.path("code").asText("");
        boolean silent = content.path("silent").asBoolean(false);
        boolean storeHistory = !silent && content.path("store_history").asBoolean(true);
        boolean allowStdin = content.path("allow_stdin").asBoolean(true);
        boolean stopOnError = content.path("stop_on_error").asBoolean(true);
        String started = OffsetDateTime.now(ZoneOffset.UTC).toString();

        if (request.arrival() <= abortThrough) {
            LOG.info("Aborting " + message.msgId() + ": an earlier cell failed");
            ObjectNode reply = json().createObjectNode().put("status", "aborted");
            kernel.outbox().send(Channel.SHELL, kernel.messages().reply(message, "execute_reply", reply, metadata(started, "aborted")));
            return;
        }

        int count = storeHistory ? ++executionCount : executionCount;
        CellNotebook previous = kernel.router().target();
        CellNotebook cell = kernel.newCell(message, silent, allowStdin);
        kernel.router().route(cell);
        if (!silent) {
            ObjectNode input = json().createObjectNode();
            input.put("code", kernel.masker().mask(code));
            input.put("execution_count", count);
            kernel.outbox().send(Channel.IOPUB, kernel.messages().publish(message.header(), "execute_input", input));
        }

        Running current = new Running(cell, Thread.currentThread());
        synchronized (runningLock) {
            running = current;
        }
        Outcome outcome;
        try {
            outcome = run(code, cell, current);
        } finally {
            synchronized (runningLock) {
                running = null;
                Thread.interrupted(); // an interrupt meant for this cell must not hit the next request
                runningLock.notifyAll();
            }
        }

        String output = null;
        if (outcome.error() != null) {
            cell.error(outcome.error());
        } else if (outcome.value() != null && !silent) {
            cell.result(count, outcome.value());
            Object text = outcome.value().get("text/plain");
            output = text instanceof String s ? s : null;
        }
        ObjectNode userExpressions = outcome.error() == null
                ? userExpressions(content.path("user_expressions"), cell)
                : json().createObjectNode();
        cell.flush();
        if (storeHistory) {
            history.add(count, code, output);
        }
        if (silent) {
            kernel.router().route(previous);
        }

        ObjectNode reply = json().createObjectNode();
        reply.put("status", outcome.error() == null ? "ok" : "error");
        reply.put("execution_count", count);
        if (outcome.error() != null) {
            outcome.error().masked(kernel.masker()).toJson(reply);
        }
        reply.set("user_expressions", userExpressions);
        ArrayNode payload = reply.putArray("payload");
        boolean exit = outcome.error() == null && EXIT.matcher(code).matches();
        if (exit) {
            // As ipykernel: frontends that know ask_exit close themselves; the kernel ends after the reply.
            payload.addObject().put("source", "ask_exit").put("keepkernel", false);
        }
        if (outcome.page() != null) {
            ObjectNode page = payload.addObject();
            page.put("source", "page");
            page.set("data", json().valueToTree(Masks.bundle(kernel.masker(), outcome.page())));
            page.put("start", 0);
        }
        if (outcome.error() != null && stopOnError) {
            // Everything that arrived before this failure is aborted, as ipykernel's _abort_queues does.
            abortThrough = kernel.arrivals();
        }
        kernel.outbox().send(Channel.SHELL, kernel.messages().reply(message, "execute_reply", reply,
                metadata(started, reply.get("status").asText())));
        if (exit) {
            kernel.requestShutdown("`" + code.strip() + "` in a cell");
        }
    }

    private Outcome run(String code, CellNotebook cell, Running current) {
        ErrorInfo error;
        try {
            Matcher help = HELP.matcher(code);
            if (help.matches() && (help.group(1).isEmpty() != help.group(3).isEmpty())) {
                return page(help.group(2), Math.max(help.group(1).length(), help.group(3).length()) - 1, cell);
            }
            if (EXIT.matcher(code).matches()) {
                return new Outcome(null, null, null);
            }
            Map<String, Object> value = null;
            for (Iterator<CellPart> parts = CellSplitter.split(code).iterator(); parts.hasNext(); ) {
                CellPart part = parts.next();
                cell.cancellation().throwIfCancelled();
                value = null;
                if (part instanceof CellPart.Java java) {
                    if (!java.source().isBlank()) {
                        current.inJava = true;
                        try {
                            value = engine.eval(java.source(), java.firstLine());
                        } finally {
                            current.inJava = false;
                        }
                    }
                } else {
                    runMagicPart(part, cell);
                }
            }
            if (cell.cancellation().isCancelled()) {
                throw MagicException.interrupted();
            }
            return new Outcome(null, value, null);
        } catch (JavaException ex) {
            error = new ErrorInfo(ex.ename(), ex.evalue(), coloured(ex.ename(), ex.traceback()));
        } catch (MagicException ex) {
            String message = ex.getMessage() == null ? "" : ex.getMessage();
            error = new ErrorInfo(ex.kind().name(), message, List.of(RED + ex.kind().name() + RESET + ": " + message));
        } catch (RuntimeException | Error ex) {
            LOG.log(Level.WARNING, "A cell failed inside the kernel", ex);
            String name = ex.getClass().getSimpleName();
            String message = String.valueOf(ex.getMessage());
            error = new ErrorInfo(name, message, List.of(RED + name + RESET + ": " + message));
        }
        if (cell.cancellation().isCancelled() && !INTERRUPTED.equals(error.ename())) {
            // Whatever the stopped work threw on its way out, the person interrupted it.
            error = new ErrorInfo(INTERRUPTED, "Interrupted.", List.of(RED + INTERRUPTED + RESET + ": Interrupted."));
        }
        return new Outcome(error, null, null);
    }

    /** The error's name in the traceback's first line in red, as magic errors and IPython show it. */
    static List<String> coloured(String ename, List<String> traceback) {
        if (traceback.isEmpty()) {
            return traceback;
        }
        String first = traceback.get(0);
        String shown = first.startsWith(ename) ? RED + ename + RESET + first.substring(ename.length())
                : RED + ename + RESET + ": " + first;
        List<String> lines = new java.util.ArrayList<>(traceback);
        lines.set(0, shown);
        return lines;
    }

    private void runMagicPart(CellPart part, CellNotebook cell) throws MagicException {
        if (part instanceof CellPart.Magic magic) {
            magics.run(magic.call(), cell);
        } else if (part instanceof CellPart.Shell shell) {
            magics.shell(shell.command(), cell);
        }
    }

    /**
     * Magic and shell lines a Java cell runs with {@code magic(...)}: the same parts as in a cell, in the
     * cell that is running (its output, its interrupt). Java in them is refused rather than evaluated
     * inside the evaluation that called it.
     */
    public void runMagicLines(String lines) throws MagicException {
        CellNotebook cell = kernel.router().target();
        if (cell == null) {
            throw MagicException.failed("magic() runs inside a cell; no cell is running.");
        }
        for (CellPart part : CellSplitter.split(lines)) {
            if (part instanceof CellPart.Java java) {
                if (!java.source().isBlank()) {
                    throw MagicException.usage("magic() runs magic lines (%name, %%name) and shell lines (!command);"
                            + " this is Java: " + java.source().strip().lines().findFirst().orElse("")
                            + ". Write it in the cell itself.");
                }
                continue;
            }
            cell.cancellation().throwIfCancelled();
            runMagicPart(part, cell);
        }
    }

    /** {@code name?}: the documentation goes to the pager as a payload, as IPython does. */
    private Outcome page(String name, int detailLevel, CellNotebook cell) {
        Map<String, Object> doc = engine.inspect(name, name.length(), detailLevel);
        if (doc == null || doc.isEmpty()) {
            cell.out("Object `" + name + "` not found.\n");
            return new Outcome(null, null, null);
        }
        return new Outcome(null, null, doc);
    }

    private ObjectNode userExpressions(JsonNode expressions, CellNotebook cell) {
        ObjectNode results = json().createObjectNode();
        expressions.properties().forEach(entry -> {
            ObjectNode result = results.putObject(entry.getKey());
            try {
                Map<String, Object> value = engine.eval(entry.getValue().asText(""), 1);
                result.put("status", "ok");
                result.set("data", json().valueToTree(Masks.bundle(kernel.masker(), value == null ? Map.of() : value)));
                result.putObject("metadata");
            } catch (JavaException ex) {
                result.put("status", "error");
                new ErrorInfo(ex.ename(), ex.evalue(), ex.traceback()).masked(kernel.masker()).toJson(result);
            } catch (RuntimeException ex) {
                result.put("status", "error");
                new ErrorInfo(ex.getClass().getSimpleName(), String.valueOf(ex.getMessage()), List.of()).toJson(result);
            }
        });
        return results;
    }

    private ObjectNode metadata(String started, String status) {
        ObjectNode metadata = json().createObjectNode();
        metadata.put("started", started);
        metadata.put("dependencies_met", true);
        metadata.put("engine", kernel.messages().session());
        metadata.put("status", status);
        return metadata;
    }

    private com.fasterxml.jackson.databind.ObjectMapper json() {
        return kernel.messages().json();
    }
}

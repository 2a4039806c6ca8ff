package dev.drydock.magics.env;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import dev.drydock.magics.render.LiveDisplay;

/**
 * The output of one build: the full log, the step it is at, and its progress ("step n of m", the step's
 * text and the elapsed time) shown in one {@link LiveDisplay}, ticking every second. Reads
 * both the legacy builder's {@code Step 3/7 : RUN ...} and BuildKit's plain {@code #7 [3/7] RUN ...}.
 */
public final class BuildLog implements AutoCloseable {

    private static final Pattern LEGACY_STEP = Pattern.compile("Step (\\d+)/(\\d+) : (.*)");
    private static final Pattern BUILDKIT_STEP = Pattern.compile("#\\d+ \\[(?:\\S+ )?(\\d+)/(\\d+)] (.*)");
    /** The full log is kept up to this many characters; beyond it, the oldest lines go. */
    private static final int MAX_LOG = 4 << 20;
    private static final int TAIL = 15;

    private final String title;
    private final LiveDisplay display;
    private final long start = System.nanoTime();
    private final Deque<String> lines = new ArrayDeque<>();
    private final List<String> stepLines = new ArrayList<>();
    private final StringBuilder partial = new StringBuilder();
    private int logChars;
    private int step;
    private int steps;
    private String stepText = "starting";
    private String state = "Building";

    /** Starts the display; the elapsed time ticks every second even while a step prints nothing. */
    public BuildLog(String title, Notebook notebook) {
        this.title = title;
        this.display = new LiveDisplay(notebook, "drydock-build");
        refresh();
        display.tick(this::text, Duration.ofSeconds(1));
    }

    /** Output of the builder, in chunks that need not end at a line break. */
    public synchronized void append(String text) {
        partial.append(text);
        int newline;
        boolean stepChanged = false;
        while ((newline = partial.indexOf("\n")) >= 0) {
            String line = partial.substring(0, newline).stripTrailing();
            partial.delete(0, newline + 1);
            stepChanged |= line(line);
        }
        if (stepChanged) {
            refresh();
        }
    }

    /** Returns whether the line started a new step. */
    private boolean line(String line) {
        lines.addLast(line);
        logChars += line.length() + 1;
        while (logChars > MAX_LOG && lines.size() > 1) {
            logChars -= lines.removeFirst().length() + 1;
        }
        Matcher m = LEGACY_STEP.matcher(line);
        if (!m.matches()) {
            m = BUILDKIT_STEP.matcher(line);
        }
        if (m.matches()) {
            int n = Integer.parseInt(m.group(1));
            String text = m.group(3).strip();
            if (n != step || !text.equals(stepText)) {
                step = n;
                steps = Integer.parseInt(m.group(2));
                stepText = text;
                stepLines.clear();
                return true;
            }
            return false;
        }
        stepLines.add(line);
        return false;
    }

    public synchronized String fullLog() {
        return String.join("\n", lines) + (partial.isEmpty() ? "" : "\n" + partial);
    }

    public synchronized int step() {
        return step;
    }

    public synchronized int steps() {
        return steps;
    }

    /** Seconds since the build started. */
    public double elapsed() {
        return (System.nanoTime() - start) / 1e9;
    }

    /** The error for a failed build: the failing step, the engine's message and the step's last lines. */
    public synchronized MagicException failure(String message) {
        List<String> tail = new ArrayList<>(stepLines.isEmpty() ? List.copyOf(lines) : stepLines);
        tail = tail.subList(Math.max(0, tail.size() - TAIL), tail.size());
        state = "Failed";
        refresh();
        String where = step == 0 ? "before its first step" : "at step " + step + " of " + steps + " (" + stepText + ")";
        return MagicException.failed(title + " failed " + where + ": " + message.strip()
                + (tail.isEmpty() ? "" : "\nLast lines of the step:\n  " + String.join("\n  ", tail)));
    }

    /** Marks the display finished with a closing word (Built, Interrupted). */
    public synchronized void finish(String word) {
        state = word;
        refresh();
    }

    private synchronized void refresh() {
        display.show(text());
    }

    private synchronized String text() {
        String where = steps == 0 ? stepText : "step " + step + " of " + steps + ": " + stepText;
        return String.format("%s %s — %s (%.1f s)", state, title, where, elapsed());
    }

    @Override
    public void close() {
        display.close();
    }
}

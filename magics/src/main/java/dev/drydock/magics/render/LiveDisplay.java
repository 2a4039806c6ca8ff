package dev.drydock.magics.render;

import dev.drydock.magics.Notebook;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The one live-progress display: one output in the cell, replaced in place, at most every 200 ms for
 * {@link #update} (a pull reports hundreds of layer events a second) and always for {@link #show}; an
 * unchanged text is not sent again. {@link #tick} re-renders on a timer, so an elapsed time moves while the
 * operation prints nothing.
 */
public final class LiveDisplay implements Progress, AutoCloseable {

    static final long MIN_UPDATE_NANOS = 200_000_000L;

    private final Notebook notebook;
    private final String displayId;
    private final LongSupplier clock;
    private boolean shown;
    private String lastText;
    private long lastShown;
    private ScheduledExecutorService ticker;

    public LiveDisplay(Notebook notebook, String name) {
        this(notebook, name, System::nanoTime);
    }

    /** With the clock given, for tests of the throttle. */
    LiveDisplay(Notebook notebook, String name, LongSupplier clock) {
        this.notebook = notebook;
        this.displayId = name + "-" + UUID.randomUUID();
        this.clock = clock;
    }

    @Override
    public void update(String text) {
        send(text, false);
    }

    @Override
    public void show(String text) {
        send(text, true);
    }

    /** Calls {@code render} and shows its text every {@code period} until {@link #close}. */
    public synchronized void tick(Supplier<String> render, Duration period) {
        if (ticker == null) {
            ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "drydock-live-display");
                thread.setDaemon(true);
                return thread;
            });
        }
        ticker.scheduleAtFixedRate(() -> show(render.get()), period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
    }

    private synchronized void send(String text, boolean force) {
        long now = clock.getAsLong();
        if (!force && shown && now - lastShown < MIN_UPDATE_NANOS || text.equals(lastText)) {
            return;
        }
        lastShown = now;
        lastText = text;
        Map<String, Object> bundle = new LinkedHashMap<>();
        bundle.put("text/plain", text);
        bundle.put("text/html", "<pre>" + Table.escape(text) + "</pre>");
        // Under the lock, so the first display always reaches the notebook before an update of it.
        if (shown) {
            notebook.update(displayId, bundle);
        } else {
            notebook.display(bundle, displayId);
            shown = true;
        }
    }

    @Override
    public synchronized void close() {
        if (ticker != null) {
            ticker.shutdownNow();
        }
    }
}

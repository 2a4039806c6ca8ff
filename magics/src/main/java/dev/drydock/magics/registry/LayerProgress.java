package dev.drydock.magics.registry;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.ResponseItem;
import dev.drydock.magics.render.LiveDisplay;
import dev.drydock.magics.render.Progress;
import dev.drydock.magics.render.Table;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of a pull or a push: a title, a line per layer and the engine's last word, reported to a
 * {@link Progress} on every event (a {@link LiveDisplay} throttles what the person sees). It also keeps the
 * errors the engine reports inside the stream: a refused push still answers HTTP 200, and docker-java's own
 * push callback does not notice.
 */
public final class LayerProgress<T extends ResponseItem> extends ResultCallback.Adapter<T> {

    private final Progress progress;
    private final String title;
    private final long start = System.nanoTime();
    private final Map<String, String> layers = new LinkedHashMap<>();
    private final List<String> errors = new ArrayList<>();
    private String summary = "";

    public LayerProgress(Progress progress, String title) {
        this.progress = progress;
        this.title = title;
    }

    @Override
    public void onNext(T item) {
        String text;
        synchronized (this) {
            accept(item);
            text = render();
        }
        progress.update(text);
    }

    /** Folds one stream item into the state; visible for tests, which feed recorded items. */
    synchronized void accept(ResponseItem item) {
        if (item.isErrorIndicated()) {
            String message = errorMessage(item);
            errors.add(message);
            summary = "Error: " + message;
            return;
        }
        String status = item.getStatus();
        if (status == null) {
            return;
        }
        if (item.getId() != null && item.getProgressDetail() != null || isLayerStatus(status) && item.getId() != null) {
            String line = status;
            ResponseItem.ProgressDetail detail = item.getProgressDetail();
            if (detail != null && detail.getTotal() != null && detail.getTotal() > 0 && detail.getCurrent() != null) {
                line += " " + Table.size(detail.getCurrent()) + "/" + Table.size(detail.getTotal());
            }
            layers.put(item.getId(), line);
        } else {
            summary = status.strip();
        }
    }

    // "deprecation": the engine deprecated "error" for "errorDetail" and still sends both; an engine or proxy
    // that sends only the old field would otherwise leave the failure without its message.
    @SuppressWarnings("deprecation")
    private static String errorMessage(ResponseItem item) {
        return item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null
                ? item.getErrorDetail().getMessage() : item.getError();
    }

    /** Per-layer statuses have an id that is a layer; "latest: digest ..." and "Status: ..." do not. */
    private static boolean isLayerStatus(String status) {
        return !status.startsWith("The push refers to") && !status.startsWith("Pulling from")
                && !status.startsWith("Digest:") && !status.startsWith("Status:");
    }

    public synchronized List<String> errors() {
        return List.copyOf(errors);
    }

    /** Shows the final state, whatever the throttle says. */
    public void finish() {
        progress.show(render());
    }

    public synchronized String render() {
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        StringBuilder text = new StringBuilder(title).append(" (").append(seconds).append(" s)");
        long done = layers.values().stream().filter(LayerProgress::isDone).count();
        if (!layers.isEmpty()) {
            text.append(", ").append(done).append(" of ").append(layers.size()).append(" layers done");
        }
        layers.forEach((id, line) -> text.append("\n  ").append(id).append("  ").append(line));
        if (!summary.isEmpty()) {
            text.append('\n').append(summary);
        }
        return text.toString();
    }

    private static boolean isDone(String line) {
        return line.startsWith("Pushed") || line.startsWith("Layer already exists") || line.startsWith("Pull complete")
                || line.startsWith("Already exists") || line.startsWith("Mounted from");
    }
}

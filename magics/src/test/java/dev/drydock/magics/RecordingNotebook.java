package dev.drydock.magics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-memory {@link Notebook} for tests: records every chunk of out and err (with the time it arrived,
 * to check streaming), displays and updates. Like the kernel's notebook it masks secrets, when given a
 * masker. Thread-safe, since processes write from their own threads.
 */
public final class RecordingNotebook implements Notebook {

    public enum Stream { OUT, ERR }

    public record Chunk(Stream stream, String text, long nanos) {}

    public record Display(Map<String, Object> bundle, String displayId, boolean update) {}

    private final SecretMasker masker;
    private final List<Chunk> chunks = new CopyOnWriteArrayList<>();
    private final List<Display> displays = new CopyOnWriteArrayList<>();
    private final List<String> inputs = new CopyOnWriteArrayList<>();
    private volatile Cancellation cancellation = new Cancellation();

    public RecordingNotebook() {
        this(new SecretMasker());
    }

    public RecordingNotebook(SecretMasker masker) {
        this.masker = masker;
    }

    @Override
    public void out(String text) {
        chunks.add(new Chunk(Stream.OUT, masker.mask(text), System.nanoTime()));
    }

    @Override
    public void err(String text) {
        chunks.add(new Chunk(Stream.ERR, masker.mask(text), System.nanoTime()));
    }

    @Override
    public void display(Map<String, Object> bundle, String displayId) {
        displays.add(new Display(bundle, displayId, false));
    }

    @Override
    public void update(String displayId, Map<String, Object> bundle) {
        displays.add(new Display(bundle, displayId, true));
    }

    @Override
    public void clear(boolean wait) {
        chunks.clear();
        displays.clear();
    }

    /** Answers with the queued inputs in order; with none left, behaves like a frontend without stdin. */
    @Override
    public String input(String prompt, boolean password) throws MagicException {
        if (inputs.isEmpty()) {
            throw MagicException.failed("This frontend does not take input.");
        }
        return inputs.remove(0);
    }

    @Override
    public Cancellation cancellation() {
        return cancellation;
    }

    /** Starts a new cell's signal, as the kernel does per execution. */
    public void resetCancellation() {
        cancellation = new Cancellation();
    }

    public void queueInput(String answer) {
        inputs.add(answer);
    }

    public String out() {
        return joined(Stream.OUT);
    }

    public String err() {
        return joined(Stream.ERR);
    }

    public List<Chunk> chunks() {
        return new ArrayList<>(chunks);
    }

    public List<Display> displays() {
        return new ArrayList<>(displays);
    }

    private String joined(Stream stream) {
        StringBuilder text = new StringBuilder();
        chunks.stream().filter(c -> c.stream() == stream).forEach(c -> text.append(c.text()));
        return text.toString();
    }
}

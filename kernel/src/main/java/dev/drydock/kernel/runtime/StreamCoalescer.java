package dev.drydock.kernel.runtime;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Gathers a cell's stdout and stderr into few {@code stream} messages: text waits up to
 * {@link #INTERVAL_MILLIS} (or until {@link #MAX_BUFFERED} bytes pile up) and then leaves as one message,
 * so a loop printing 100,000 lines sends a handful of messages, not 100,000.
 *
 * <p>Text is cut after the last complete line where there is one, so a message holds whole lines; a partial
 * line waits one more interval for its end. (Secrets are masked after this, as a stream, by the notebook.)
 * Bytes are decoded as UTF-8 only up to the last complete character, so a character split between two
 * writes arrives whole.
 */
final class StreamCoalescer {

    /** Receives each coalesced piece of text with its stream name ({@code stdout} or {@code stderr}). */
    @FunctionalInterface
    interface Sink {
        void stream(String name, String text);
    }

    static final long INTERVAL_MILLIS = 100;
    static final int MAX_BUFFERED = 1 << 20;
    static final int MAX_HELD_PARTIAL_LINE = 64 * 1024;

    private final Sink sink;
    private final ScheduledExecutorService timer;
    private final Object lock = new Object();
    private String stream; // guarded by lock: the stream the buffered bytes belong to
    private byte[] buffer = new byte[8192]; // guarded by lock
    private int length; // guarded by lock
    private boolean scheduled; // guarded by lock
    private boolean partialHeld; // guarded by lock

    StreamCoalescer(Sink sink, ScheduledExecutorService timer) {
        this.sink = sink;
        this.timer = timer;
    }

    void write(String name, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        write(name, bytes, 0, bytes.length);
    }

    void write(String name, byte[] bytes, int offset, int count) {
        if (count <= 0) {
            return;
        }
        synchronized (lock) {
            if (length > 0 && !name.equals(stream)) {
                // Keeps stdout and stderr interleaved as they were written.
                emit(length);
            }
            stream = name;
            if (length + count > buffer.length) {
                buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + count));
            }
            System.arraycopy(bytes, offset, buffer, length, count);
            length += count;
            if (length >= MAX_BUFFERED) {
                int cut = lastLineEnd();
                emit(cut > 0 ? cut : characterBoundary(length));
            }
            if (length > 0 && !scheduled) {
                scheduled = true;
                timer.schedule(this::timed, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
            }
        }
    }

    /** Sends everything buffered now (end of cell, or before a display that must come after it). */
    void flush() {
        synchronized (lock) {
            emit(characterBoundary(length));
        }
    }

    private void timed() {
        synchronized (lock) {
            scheduled = false;
            if (length == 0) {
                return;
            }
            int cut = lastLineEnd();
            if (cut == 0 && !partialHeld && length < MAX_HELD_PARTIAL_LINE) {
                partialHeld = true;
            } else {
                emit(cut > 0 ? cut : characterBoundary(length));
            }
            if (length > 0) {
                scheduled = true;
                timer.schedule(this::timed, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
            }
        }
    }

    /** Sends the first {@code cut} bytes and keeps the rest. Called with the lock held. */
    private void emit(int cut) {
        if (cut <= 0) {
            return;
        }
        String text = new String(buffer, 0, cut, StandardCharsets.UTF_8);
        System.arraycopy(buffer, cut, buffer, 0, length - cut);
        length -= cut;
        partialHeld = false;
        sink.stream(stream, text);
    }

    private int lastLineEnd() {
        for (int i = length - 1; i >= 0; i--) {
            if (buffer[i] == '\n') {
                return i + 1;
            }
        }
        return 0;
    }

    /** The largest prefix of the first {@code end} bytes that ends on a whole UTF-8 character. */
    private int characterBoundary(int end) {
        // A character is at most 4 bytes: look back for the lead byte of the last one.
        for (int back = 1; back <= Math.min(4, end); back++) {
            int b = buffer[end - back] & 0xFF;
            if ((b & 0xC0) == 0x80) {
                continue; // continuation byte
            }
            int needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return needed > back ? end - back : end;
        }
        return end; // not UTF-8 at all: let the decoder replace it rather than hold it forever
    }
}

package dev.drydock.kernel.runtime;

import dev.drydock.kernel.protocol.Message;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/** Hands {@code input_reply} messages from the I/O thread to the cell that asked for input. */
final class InputReplies {

    private final BlockingQueue<Optional<Message>> replies = new LinkedBlockingQueue<>();

    /** Called by the I/O thread for each {@code input_reply}. */
    void deliver(Message reply) {
        replies.add(Optional.of(reply));
    }

    /** Wakes a waiting {@link #await} without a reply (the cell was interrupted). */
    void abort() {
        replies.add(Optional.empty());
    }

    /** Forgets replies nobody waited for, before a new request goes out. */
    void clear() {
        replies.clear();
    }

    /** The next reply, or empty when aborted. */
    Optional<Message> await() throws InterruptedException {
        return replies.take();
    }
}

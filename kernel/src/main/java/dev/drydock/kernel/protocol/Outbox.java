package dev.drydock.kernel.protocol;

/** Where the runtime sends messages; safe to call from any thread, messages leave in call order. */
@FunctionalInterface
public interface Outbox {
    void send(Channel channel, Message message);
}

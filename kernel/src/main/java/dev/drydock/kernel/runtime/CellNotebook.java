package dev.drydock.kernel.runtime;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.kernel.protocol.Channel;
import dev.drydock.kernel.protocol.Message;
import dev.drydock.kernel.protocol.MessageFactory;
import dev.drydock.kernel.protocol.Outbox;
import dev.drydock.magics.Cancellation;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.SecretMasker;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The notebook of one {@code execute_request}: everything it shows becomes IOPub messages whose parent
 * is that request, so the frontend puts it under the right cell, even when a background thread writes
 * after the cell ended. Every text and every string in a bundle is masked before it leaves.
 *
 * <p>A silent request ({@code silent: true}) shows nothing, as the protocol asks.
 */
final class CellNotebook implements Notebook {

    private final Message request;
    private final Outbox outbox;
    private final MessageFactory messages;
    private final SecretMasker masker;
    private final boolean silent;
    private final boolean allowStdin;
    private final InputReplies inputReplies;
    private final Cancellation cancellation = new Cancellation();
    private final StreamCoalescer streams;
    // Masked as streams, not per message: a secret printed in two writes that leave in two messages is
    // still caught. Each holds back at most a secret's length while it could be the start of one.
    private final Map<String, SecretMasker.Stream> masked = new java.util.concurrent.ConcurrentHashMap<>();

    CellNotebook(Message request, Outbox outbox, MessageFactory messages, SecretMasker masker,
            ScheduledExecutorService timer, boolean silent, boolean allowStdin, InputReplies inputReplies) {
        this.request = request;
        this.outbox = outbox;
        this.messages = messages;
        this.masker = masker;
        this.silent = silent;
        this.allowStdin = allowStdin;
        this.inputReplies = inputReplies;
        this.streams = new StreamCoalescer(this::publishStream, timer);
    }

    Message request() {
        return request;
    }

    @Override
    public void out(String text) {
        streams.write("stdout", text);
    }

    @Override
    public void err(String text) {
        streams.write("stderr", text);
    }

    /** Raw bytes from {@code System.out} or {@code System.err}; {@code name} is the stream. */
    void write(String name, byte[] bytes, int offset, int length) {
        streams.write(name, bytes, offset, length);
    }

    void flush() {
        streams.flush();
        synchronized (masked) {
            for (String name : List.of("stdout", "stderr")) {
                SecretMasker.Stream stream = masked.get(name);
                if (stream != null) {
                    send(name, stream.flush());
                }
            }
        }
    }

    @Override
    public void display(Map<String, Object> bundle, String displayId) {
        ObjectNode content = bundleContent(bundle);
        if (displayId != null) {
            content.putObject("transient").put("display_id", displayId);
        }
        publish("display_data", content);
    }

    @Override
    public void update(String displayId, Map<String, Object> bundle) {
        ObjectNode content = bundleContent(bundle);
        content.putObject("transient").put("display_id", displayId);
        publish("update_display_data", content);
    }

    @Override
    public void clear(boolean wait) {
        ObjectNode content = messages.json().createObjectNode();
        content.put("wait", wait);
        publish("clear_output", content);
    }

    /** The value of the cell's last expression, {@code Out[n]}. */
    void result(int executionCount, Map<String, Object> bundle) {
        ObjectNode content = bundleContent(bundle);
        content.put("execution_count", executionCount);
        publish("execute_result", content);
    }

    void error(ErrorInfo error) {
        publish("error", error.masked(masker).toJson(messages.json().createObjectNode()));
    }

    @Override
    public String input(String prompt, boolean password) throws MagicException {
        if (!allowStdin) {
            throw MagicException.failed("This frontend does not support input (its request said allow_stdin: false).");
        }
        flush();
        ObjectNode content = messages.json().createObjectNode();
        content.put("prompt", masker.mask(prompt));
        content.put("password", password);
        // One question at a time: replies carry no id that would tell two askers apart.
        synchronized (inputReplies) {
            cancellation.throwIfCancelled();
            inputReplies.clear();
            outbox.send(Channel.STDIN, messages.request(request, "input_request", content));
            AutoCloseable hook = cancellation.onCancel(inputReplies::abort);
            try {
                Optional<Message> reply = inputReplies.await();
                if (reply.isEmpty() || cancellation.isCancelled()) {
                    throw MagicException.interrupted();
                }
                return reply.get().content().path("value").asText("");
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw MagicException.interrupted();
            } finally {
                try {
                    hook.close();
                } catch (Exception ignored) {
                    // Cancellation's handle only removes the hook from a list; it does not fail.
                }
            }
        }
    }

    @Override
    public Cancellation cancellation() {
        return cancellation;
    }

    /** The bundle as display content: masked data, always with text/plain, and empty metadata. */
    ObjectNode bundleContent(Map<String, Object> bundle) {
        ObjectNode content = messages.json().createObjectNode();
        content.set("data", messages.json().valueToTree(Masks.bundle(masker, PlainText.withFallback(bundle))));
        content.putObject("metadata");
        return content;
    }

    private void publishStream(String name, String text) {
        synchronized (masked) {
            // What the other stream held back was written before this text.
            masked.forEach((other, stream) -> {
                if (!other.equals(name)) {
                    send(other, stream.flush());
                }
            });
            send(name, masked.computeIfAbsent(name, n -> masker.stream()).mask(text));
        }
    }

    private void send(String name, String maskedText) {
        if (silent || maskedText.isEmpty()) {
            return;
        }
        ObjectNode content = messages.json().createObjectNode();
        content.put("name", name);
        content.put("text", maskedText);
        outbox.send(Channel.IOPUB, messages.publish(request.header(), "stream", content));
    }

    private void publish(String msgType, ObjectNode content) {
        // Whatever was printed before this output must appear before it.
        flush();
        if (!silent) {
            outbox.send(Channel.IOPUB, messages.publish(request.header(), msgType, content));
        }
    }

    /** An {@code error} as Jupyter shows it. */
    record ErrorInfo(String ename, String evalue, List<String> traceback) {

        ErrorInfo masked(SecretMasker masker) {
            return new ErrorInfo(masker.mask(ename), masker.mask(evalue), traceback.stream().map(masker::mask).toList());
        }

        ObjectNode toJson(ObjectNode into) {
            into.put("ename", ename);
            into.put("evalue", evalue);
            ArrayNode lines = into.putArray("traceback");
            traceback.forEach(lines::add);
            return into;
        }
    }
}

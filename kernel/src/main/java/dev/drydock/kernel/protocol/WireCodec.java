package dev.drydock.kernel.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Messages to and from ZeroMQ frames: {@code [identities…, <IDS|MSG>, signature, header, parent_header,
 * metadata, content, buffers…]}. Incoming frames are verified before any JSON is parsed.
 */
public final class WireCodec {

    static final byte[] DELIMITER = "<IDS|MSG>".getBytes(StandardCharsets.US_ASCII);

    /** As many signatures as ipykernel remembers ({@code Session.digest_history_size}). */
    static final int SIGNATURES_REMEMBERED = 1 << 16;

    private final ObjectMapper json;
    private final Signer signer;
    /** Signatures already accepted, oldest first; touched only by the decoding (I/O) thread. */
    private final Set<String> seen = new LinkedHashSet<>();

    /**
     * Lifts Jackson's default 20 M-character limit on one string in {@code json}: a 25 MB
     * {@code %%writefile} cell is one string, and ipykernel reads it.
     */
    public WireCodec(ObjectMapper json, Signer signer) {
        this.json = json;
        this.signer = signer;
        json.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxStringLength(Integer.MAX_VALUE)
                .build());
    }

    /** A frame sequence that is not a valid, correctly signed message. */
    public static final class RejectedMessageException extends Exception {
        private static final long serialVersionUID = 1L;

        RejectedMessageException(String reason) {
            super(reason);
        }

        RejectedMessageException(String reason, Throwable cause) {
            super(reason, cause);
        }
    }

    public List<byte[]> encode(Message message) {
        try {
            byte[] header = json.writeValueAsBytes(message.header());
            byte[] parent = json.writeValueAsBytes(message.parentHeader());
            byte[] metadata = json.writeValueAsBytes(message.metadata());
            byte[] content = json.writeValueAsBytes(message.content());
            List<byte[]> frames = new ArrayList<>(message.identities().size() + 6 + message.buffers().size());
            frames.addAll(message.identities());
            frames.add(DELIMITER);
            frames.add(signer.sign(header, parent, metadata, content).getBytes(StandardCharsets.US_ASCII));
            frames.add(header);
            frames.add(parent);
            frames.add(metadata);
            frames.add(content);
            frames.addAll(message.buffers());
            return frames;
        } catch (JsonProcessingException ex) {
            // Only our own trees are encoded; they always serialise.
            throw new IllegalStateException("Cannot serialise a message", ex);
        }
    }

    public Message decode(List<byte[]> frames) throws RejectedMessageException {
        int delimiter = -1;
        for (int i = 0; i < frames.size(); i++) {
            if (Arrays.equals(frames.get(i), DELIMITER)) {
                delimiter = i;
                break;
            }
        }
        if (delimiter < 0) {
            throw new RejectedMessageException("no <IDS|MSG> delimiter among " + frames.size() + " frames");
        }
        if (frames.size() < delimiter + 6) {
            throw new RejectedMessageException("only " + (frames.size() - delimiter - 1) + " frames after the delimiter, expected at least 5");
        }
        byte[] signature = frames.get(delimiter + 1);
        byte[] header = frames.get(delimiter + 2);
        byte[] parent = frames.get(delimiter + 3);
        byte[] metadata = frames.get(delimiter + 4);
        byte[] content = frames.get(delimiter + 5);
        if (!signer.verify(signature, header, parent, metadata, content)) {
            throw new RejectedMessageException(signature.length == 0 ? "missing signature" : "wrong signature");
        }
        if (signer.enabled()) {
            // A replayed message carries a valid signature; ipykernel refuses a signature it has seen.
            String digest = new String(signature, StandardCharsets.US_ASCII);
            if (!seen.add(digest)) {
                throw new RejectedMessageException("duplicate signature (a replayed message)");
            }
            if (seen.size() > SIGNATURES_REMEMBERED) {
                seen.remove(seen.iterator().next());
            }
        }
        ObjectNode headerNode = object(header, "header");
        if (!headerNode.path("msg_type").isTextual() || !headerNode.path("msg_id").isTextual()) {
            throw new RejectedMessageException("header without msg_type or msg_id");
        }
        return new Message(
                frames.subList(0, delimiter),
                headerNode,
                object(parent, "parent_header"),
                object(metadata, "metadata"),
                object(content, "content"),
                frames.subList(delimiter + 6, frames.size()));
    }

    private ObjectNode object(byte[] bytes, String what) throws RejectedMessageException {
        JsonNode node;
        try {
            node = json.readTree(bytes);
        } catch (IOException ex) {
            throw new RejectedMessageException(what + " is not JSON: "
                    + (ex instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : ex.getMessage()), ex);
        }
        if (node instanceof ObjectNode object) {
            return object;
        }
        throw new RejectedMessageException(what + " is not a JSON object");
    }
}

package dev.drydock.kernel.protocol;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.UUID;

/**
 * Builds the kernel's messages: fresh headers in the kernel's own session, replies addressed to the
 * requester, and IOPub messages with a topic.
 */
public final class MessageFactory {

    /** The protocol version the kernel implements and puts in every header. */
    public static final String PROTOCOL_VERSION = "5.4";

    // jupyter_client writes isoformat() with microseconds and an explicit offset.
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSxxx");

    private final ObjectMapper json;
    private final String session;
    private final String username;

    public MessageFactory(ObjectMapper json, String session, String username) {
        this.json = json;
        this.session = session;
        this.username = username;
    }

    public ObjectMapper json() {
        return json;
    }

    public String session() {
        return session;
    }

    public ObjectNode header(String msgType) {
        ObjectNode header = json.createObjectNode();
        header.put("msg_id", UUID.randomUUID().toString());
        header.put("session", session);
        header.put("username", username);
        header.put("date", DATE.format(OffsetDateTime.now(ZoneOffset.UTC)));
        header.put("msg_type", msgType);
        header.put("version", PROTOCOL_VERSION);
        return header;
    }

    /** A reply to {@code request}, routed back to the identities it came from. */
    public Message reply(Message request, String msgType, ObjectNode content) {
        return reply(request, msgType, content, json.createObjectNode());
    }

    public Message reply(Message request, String msgType, ObjectNode content, ObjectNode metadata) {
        return new Message(request.identities(), header(msgType), request.header(), metadata, content, List.of());
    }

    /**
     * An IOPub message; {@code parentHeader} ties it to the request it belongs to (an empty object for
     * none). The topic follows ipykernel's {@code kernel.<session>.<msg_type>} convention.
     */
    public Message publish(ObjectNode parentHeader, String msgType, ObjectNode content) {
        byte[] topic = ("kernel." + session + "." + msgType).getBytes(StandardCharsets.UTF_8);
        return new Message(List.of(topic), header(msgType), parentHeader, json.createObjectNode(), content, List.of());
    }

    /** A request the kernel sends (only {@code input_request} on stdin), addressed like {@code cause}. */
    public Message request(Message cause, String msgType, ObjectNode content) {
        return new Message(cause.identities(), header(msgType), cause.header(), json.createObjectNode(), content, List.of());
    }
}

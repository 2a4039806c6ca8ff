package dev.drydock.kernel.protocol;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.zeromq.SocketType;
import org.zeromq.ZFrame;
import org.zeromq.ZMQ;
import org.zeromq.ZMsg;

/**
 * A minimal Jupyter client for tests, over real sockets: DEALERs on shell, control and stdin, a SUB on
 * iopub. Not thread-safe (ZeroMQ sockets are not): use it from the test thread only.
 */
public final class WireClient implements AutoCloseable {

    private final ObjectMapper json = new ObjectMapper();
    private final ZMQ.Context context = ZMQ.context(1);
    private final Map<Channel, ZMQ.Socket> sockets = new EnumMap<>(Channel.class);
    private final ZMQ.Socket heartbeat;
    private final WireCodec codec;
    private final MessageFactory factory;
    /** Messages received while waiting for others, per channel, kept for later waits. */
    private final Map<Channel, List<Message>> stash = new EnumMap<>(Channel.class);

    public WireClient(ConnectionInfo connection) {
        this(connection, connection.key());
    }

    /** A client that signs with {@code key}, which may differ from the kernel's (a forger). */
    public WireClient(ConnectionInfo connection, String key) {
        codec = new WireCodec(json, new Signer(key, connection.signatureScheme()));
        factory = new MessageFactory(json, UUID.randomUUID().toString(), "test");
        byte[] identity = UUID.randomUUID().toString().getBytes();
        for (Channel channel : List.of(Channel.SHELL, Channel.CONTROL, Channel.STDIN)) {
            ZMQ.Socket socket = context.socket(SocketType.DEALER);
            socket.setIdentity(identity);
            socket.setLinger(0);
            socket.connect(connection.endpoint(port(connection, channel)));
            sockets.put(channel, socket);
        }
        ZMQ.Socket iopub = context.socket(SocketType.SUB);
        iopub.setLinger(0);
        iopub.subscribe(new byte[0]);
        iopub.connect(connection.endpoint(connection.iopubPort()));
        sockets.put(Channel.IOPUB, iopub);
        for (Channel channel : Channel.values()) {
            stash.put(channel, new ArrayList<>());
        }
        heartbeat = context.socket(SocketType.REQ);
        heartbeat.setLinger(0);
        heartbeat.connect(connection.endpoint(connection.hbPort()));
    }

    private static int port(ConnectionInfo c, Channel channel) {
        return switch (channel) {
            case SHELL -> c.shellPort();
            case CONTROL -> c.controlPort();
            case STDIN -> c.stdinPort();
            case IOPUB -> c.iopubPort();
        };
    }

    public ObjectMapper json() {
        return json;
    }

    public ObjectNode object() {
        return json.createObjectNode();
    }

    /**
     * Waits until IOPub is subscribed (ZeroMQ drops what a PUB sends before the SUB joins), by asking for
     * kernel_info until a status message comes back, then forgets everything received so far.
     */
    public void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String id = send(Channel.SHELL, "kernel_info_request", object());
            Message status = receive(Channel.IOPUB, Duration.ofMillis(250));
            if (status != null) {
                reply(Channel.SHELL, id, timeout);
                drainAll(Duration.ofMillis(30));
                return;
            }
        }
        throw new AssertionError("the kernel did not answer within " + timeout);
    }

    /** Sends a request; returns its msg_id. */
    public String send(Channel channel, String msgType, ObjectNode content) {
        Message message = new Message(List.of(), factory.header(msgType), object(), object(), content, List.of());
        sendFrames(channel, codec.encode(message));
        return message.msgId();
    }

    /** An execute_request with the usual defaults; {@code tweak} may change fields. */
    public String execute(String code, java.util.function.Consumer<ObjectNode> tweak) {
        ObjectNode content = object();
        content.put("code", code);
        content.put("silent", false);
        content.put("store_history", true);
        content.putObject("user_expressions");
        content.put("allow_stdin", false);
        content.put("stop_on_error", true);
        tweak.accept(content);
        return send(Channel.SHELL, "execute_request", content);
    }

    public String execute(String code) {
        return execute(code, c -> {});
    }

    /** The reply to {@code msgId} on {@code channel}, skipping other replies; fails after the timeout. */
    public Message reply(Channel channel, String msgId, Duration timeout) {
        Message reply = await(channel, m -> msgId.equals(m.parentHeader().path("msg_id").asText()), timeout);
        if (reply == null) {
            throw new AssertionError("no reply to " + msgId + " on " + channel + " within " + timeout);
        }
        return reply;
    }

    /** Every IOPub message whose parent is {@code msgId}, up to and including its idle status. */
    public List<Message> iopubUntilIdle(String msgId, Duration timeout) {
        List<Message> ofRequest = new ArrayList<>();
        while (true) {
            Message next = await(Channel.IOPUB, m -> msgId.equals(m.parentHeader().path("msg_id").asText()), timeout);
            if (next == null) {
                throw new AssertionError("no idle for " + msgId + " within " + timeout + "; got " + types(ofRequest));
            }
            ofRequest.add(next);
            if (isIdle(next)) {
                return ofRequest;
            }
        }
    }

    /** IOPub messages that arrived while waiting for others and were not asked for yet. */
    public List<Message> iopubOthers() {
        return stash.get(Channel.IOPUB);
    }

    public static List<String> types(List<Message> messages) {
        return messages.stream().map(m -> m.msgType().equals("status")
                ? "status:" + m.content().path("execution_state").asText() : m.msgType()).toList();
    }

    private static boolean isIdle(Message message) {
        return message.msgType().equals("status") && message.content().path("execution_state").asText().equals("idle");
    }

    /**
     * The first message on a channel matching {@code wanted} (looking first among those put aside by
     * earlier waits), or null after the timeout. Others are put aside.
     */
    public Message await(Channel channel, Predicate<Message> wanted, Duration timeout) {
        List<Message> aside = stash.get(channel);
        for (int i = 0; i < aside.size(); i++) {
            if (wanted.test(aside.get(i))) {
                return aside.remove(i);
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            Message next = receiveRaw(channel, Duration.ofNanos(left));
            if (next == null) {
                continue;
            }
            if (wanted.test(next)) {
                return next;
            }
            aside.add(next);
        }
    }

    /** The next message on a channel, or null after the timeout. */
    public Message receive(Channel channel, Duration timeout) {
        return receiveRaw(channel, timeout);
    }

    public void sendFrames(Channel channel, List<byte[]> frames) {
        ZMQ.Socket socket = sockets.get(channel);
        for (int i = 0; i < frames.size(); i++) {
            socket.send(frames.get(i), i < frames.size() - 1 ? ZMQ.SNDMORE : 0);
        }
    }

    /** Signs {@code content} bytes as they are (valid or not) into an otherwise proper message. */
    public List<byte[]> framesWithContent(String msgType, byte[] content, String key) throws Exception {
        byte[] header = json.writeValueAsBytes(factory.header(msgType));
        byte[] empty = "{}".getBytes();
        String signature = new Signer(key, "hmac-sha256").sign(header, empty, empty, content);
        return List.of(WireCodec.DELIMITER, signature.getBytes(), header, empty, empty, content);
    }

    public boolean heartbeat(Duration timeout) {
        heartbeat.send("ping".getBytes(), 0);
        heartbeat.setReceiveTimeOut((int) timeout.toMillis());
        byte[] echo = heartbeat.recv(0);
        return echo != null && new String(echo).equals("ping");
    }

    public void drainAll(Duration quiet) {
        for (Channel channel : List.of(Channel.IOPUB, Channel.SHELL, Channel.CONTROL, Channel.STDIN)) {
            while (receiveRaw(channel, quiet) != null) {
                // discard
            }
        }
        stash.values().forEach(List::clear);
    }

    private Message receiveRaw(Channel channel, Duration timeout) {
        ZMQ.Socket socket = sockets.get(channel);
        ZMQ.Poller poller = context.poller(1);
        try {
            poller.register(socket, ZMQ.Poller.POLLIN);
            if (poller.poll(Math.max(1, timeout.toMillis())) <= 0) {
                return null;
            }
        } finally {
            poller.close();
        }
        ZMsg frames = ZMsg.recvMsg(socket, ZMQ.DONTWAIT);
        if (frames == null) {
            return null;
        }
        List<byte[]> parts = new ArrayList<>();
        for (ZFrame frame : frames) {
            parts.add(frame.getData());
        }
        try {
            return codec.decode(parts);
        } catch (WireCodec.RejectedMessageException ex) {
            throw new AssertionError("the kernel sent a bad message: " + ex.getMessage(), ex);
        }
    }

    @Override
    public void close() {
        sockets.values().forEach(ZMQ.Socket::close);
        heartbeat.close();
        context.term();
    }
}

package dev.drydock.kernel.protocol;

import dev.drydock.kernel.protocol.WireCodec.RejectedMessageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.zeromq.SocketType;
import org.zeromq.ZFrame;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;
import org.zeromq.ZMsg;
import zmq.ZError;

/**
 * The kernel's ZeroMQ sockets. ZeroMQ sockets are not thread-safe, so one I/O thread owns shell,
 * control, stdin and iopub: it blocks in a poll that also watches a pipe, and any thread that wants to
 * send puts the message in a queue and writes one byte to the pipe to wake it. The heartbeat echoes
 * on its own thread, so a busy kernel still looks alive.
 *
 * <p>Every incoming message is decoded and verified on the I/O thread; one that is malformed or badly
 * signed is logged and dropped, and nothing a peer sends can stop the loop.
 */
public final class Transport implements Outbox, AutoCloseable {

    /** What the I/O thread hands incoming messages to; must return quickly (queue the work). */
    @FunctionalInterface
    public interface Inbox {
        void received(Channel channel, Message message);
    }

    private static final Logger LOG = Logger.getLogger(Transport.class.getName());
    private static final int LINGER_MILLIS = 1000;
    private static final int MAX_RECEIVES_PER_WAKE = 64;

    private final ConnectionInfo connection;
    private final WireCodec codec;
    private final ZMQ.Context context = ZMQ.context(1);
    private final Map<Channel, ZMQ.Socket> sockets = new EnumMap<>(Channel.class);
    private final ZMQ.Socket heartbeat;
    private final ConnectionInfo bound;
    private final Queue<Outgoing> outbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakePending = new AtomicBoolean();
    /** Replaced by the I/O thread when a writer's interrupt closed it (see {@link #wakeUp}). */
    private volatile Pipe wake;
    private volatile boolean stopping;
    private Thread ioThread;
    private Thread heartbeatThread;

    private record Outgoing(Channel channel, Message message) {}

    /**
     * Binds all five sockets. A port of 0 in the connection file binds a free port; {@link #bound()}
     * tells which.
     */
    public Transport(ConnectionInfo connection, WireCodec codec) {
        this.connection = connection;
        this.codec = codec;
        wake = openPipe();
        try {
            int shell = bind(Channel.SHELL, SocketType.ROUTER, connection.shellPort());
            int control = bind(Channel.CONTROL, SocketType.ROUTER, connection.controlPort());
            int stdin = bind(Channel.STDIN, SocketType.ROUTER, connection.stdinPort());
            int iopub = bind(Channel.IOPUB, SocketType.PUB, connection.iopubPort());
            heartbeat = context.socket(SocketType.REP);
            int hb = bindSocket(heartbeat, connection.hbPort());
            bound = new ConnectionInfo(connection.transport(), connection.ip(), shell, iopub, stdin, control, hb,
                    connection.key(), connection.signatureScheme());
        } catch (RuntimeException ex) {
            sockets.values().forEach(ZMQ.Socket::close);
            context.term();
            throw ex;
        }
    }

    /** The connection as bound: the same as the file's, with free ports filled in where it said 0. */
    public ConnectionInfo bound() {
        return bound;
    }

    /** Starts the I/O and heartbeat threads; incoming messages go to {@code inbox}. */
    public synchronized void start(Inbox inbox) {
        if (ioThread != null) {
            throw new IllegalStateException("already started");
        }
        heartbeatThread = new Thread(this::echoHeartbeats, "drydock-heartbeat");
        heartbeatThread.setDaemon(true);
        heartbeatThread.start();
        ioThread = new Thread(() -> loop(inbox), "drydock-io");
        ioThread.setDaemon(true);
        ioThread.start();
    }

    /** Queues a message; the I/O thread sends it soon, in the order of calls. Safe from any thread. */
    @Override
    public void send(Channel channel, Message message) {
        outbox.add(new Outgoing(channel, message));
        wakeUp();
    }

    /**
     * Sends what is queued, closes the sockets (waiting up to a second for queued messages to leave) and
     * ends both threads.
     */
    @Override
    public void close() {
        stopping = true;
        wakeUp();
        Thread io;
        synchronized (this) {
            io = ioThread;
        }
        if (io != null && io != Thread.currentThread()) {
            try {
                io.join(5_000);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        if (io == null) {
            sockets.values().forEach(ZMQ.Socket::close);
            heartbeat.close();
        }
        // Ends the heartbeat's blocking receive with ETERM; it closes its socket, then term returns.
        context.term();
        try {
            wake.sink().close();
            wake.source().close();
        } catch (IOException ignored) {
            // Nothing to release that closing did not.
        }
    }

    private int bind(Channel channel, SocketType type, int port) {
        ZMQ.Socket socket = context.socket(type);
        sockets.put(channel, socket);
        return bindSocket(socket, port);
    }

    private int bindSocket(ZMQ.Socket socket, int port) {
        socket.setLinger(LINGER_MILLIS);
        if (connection.ip().contains(":")) {
            socket.setIPv6(true);
        }
        if (port == 0 && connection.transport().equals("tcp")) {
            return socket.bindToRandomPort("tcp://" + connection.ip());
        }
        String endpoint = connection.endpoint(port);
        if (!socket.bind(endpoint)) {
            throw new IllegalStateException("Cannot bind " + endpoint + ": " + ZError.toString(socket.errno()));
        }
        return port;
    }

    private static Pipe openPipe() {
        try {
            Pipe pipe = Pipe.open();
            pipe.source().configureBlocking(false);
            return pipe;
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot open the wake-up pipe", ex);
        }
    }

    /**
     * An NIO channel closes itself when a thread writing to it is interrupted, and an interrupted cell
     * thread sends output. The interrupt is set aside for the write and put back after it; should one
     * still land mid-write, the source reads end-of-stream and the I/O thread opens a fresh pipe
     * ({@link #drainWake}) instead of polling a readable, closed pipe forever at full CPU.
     */
    private void wakeUp() {
        if (wakePending.compareAndSet(false, true)) {
            boolean interrupted = Thread.interrupted();
            try {
                wake.sink().write(ByteBuffer.wrap(new byte[] {1}));
            } catch (IOException ex) {
                // Closed by an interrupt (the I/O thread replaces it) or during shutdown.
                LOG.log(Level.FINE, "wake-up pipe closed", ex);
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Empties the wake-up pipe; returns a new poller when the pipe had been closed and was replaced. */
    private ZMQ.Poller drainWake(ZMQ.Poller poller, ByteBuffer drain) throws IOException {
        drain.clear();
        int read;
        while ((read = wake.source().read(drain)) > 0) {
            drain.clear();
        }
        wakePending.set(false);
        if (read >= 0 || stopping) {
            return poller;
        }
        LOG.info("The wake-up pipe was closed by an interrupted sender; opening a new one");
        Pipe broken = wake;
        wake = openPipe();
        broken.sink().close();
        broken.source().close();
        poller.close();
        return null;
    }

    /** Registers shell, control, stdin, then the wake-up pipe: indexes 0 to 3. */
    private ZMQ.Poller poller() {
        ZMQ.Poller poller = context.poller(4);
        poller.register(sockets.get(Channel.SHELL), ZMQ.Poller.POLLIN);
        poller.register(sockets.get(Channel.CONTROL), ZMQ.Poller.POLLIN);
        poller.register(sockets.get(Channel.STDIN), ZMQ.Poller.POLLIN);
        poller.register(wake.source(), ZMQ.Poller.POLLIN);
        return poller;
    }

    private void loop(Inbox inbox) {
        final int shell = 0;
        final int control = 1;
        final int stdin = 2;
        final int pipe = 3;
        ZMQ.Poller poller = poller();
        ByteBuffer drain = ByteBuffer.allocate(64);
        try {
            while (true) {
                try {
                    if (poller.pollin(pipe) || wakePending.get()) {
                        ZMQ.Poller same = drainWake(poller, drain);
                        if (same == null) {
                            poller = poller();
                            continue;
                        }
                    }
                    // Control first: an interrupt must not wait behind a burst of shell traffic.
                    if (poller.pollin(control)) {
                        receive(Channel.CONTROL, inbox);
                    }
                    if (poller.pollin(shell)) {
                        receive(Channel.SHELL, inbox);
                    }
                    if (poller.pollin(stdin)) {
                        receive(Channel.STDIN, inbox);
                    }
                    // Read before sending: whatever was queued before close() set the flag still goes out.
                    boolean last = stopping;
                    sendQueued();
                    if (last) {
                        return;
                    }
                    poller.poll(-1);
                } catch (ZMQException ex) {
                    if (ex.getErrorCode() == ZMQ.Error.ETERM.getCode()) {
                        return;
                    }
                    LOG.log(Level.WARNING, "ZeroMQ error in the I/O loop; continuing", ex);
                } catch (IOException | RuntimeException ex) {
                    LOG.log(Level.WARNING, "Error in the I/O loop; continuing", ex);
                }
            }
        } finally {
            poller.close();
            sockets.values().forEach(ZMQ.Socket::close);
        }
    }

    private void receive(Channel channel, Inbox inbox) {
        ZMQ.Socket socket = sockets.get(channel);
        for (int i = 0; i < MAX_RECEIVES_PER_WAKE; i++) {
            ZMsg frames = ZMsg.recvMsg(socket, ZMQ.DONTWAIT);
            if (frames == null) {
                return;
            }
            List<byte[]> parts = new ArrayList<>(frames.size());
            for (ZFrame frame : frames) {
                parts.add(frame.getData());
            }
            frames.destroy();
            Message message;
            try {
                message = codec.decode(parts);
            } catch (RejectedMessageException ex) {
                LOG.warning("Dropped a message on " + channel.name().toLowerCase() + ": " + ex.getMessage());
                continue;
            }
            try {
                inbox.received(channel, message);
            } catch (RuntimeException ex) {
                LOG.log(Level.WARNING, "Failed to dispatch " + message.msgType() + " on " + channel, ex);
            }
        }
    }

    private void sendQueued() {
        for (Outgoing next = outbox.poll(); next != null; next = outbox.poll()) {
            ZMQ.Socket socket = sockets.get(next.channel());
            List<byte[]> frames;
            try {
                frames = codec.encode(next.message());
            } catch (RuntimeException ex) {
                LOG.log(Level.WARNING, "Cannot encode " + next.message().msgType(), ex);
                continue;
            }
            boolean sent = true;
            for (int i = 0; i < frames.size() && sent; i++) {
                int flags = ZMQ.DONTWAIT | (i < frames.size() - 1 ? ZMQ.SNDMORE : 0);
                sent = socket.send(frames.get(i), flags);
            }
            if (!sent) {
                LOG.warning("Could not send " + next.message().msgType() + " on " + next.channel()
                        + ": " + ZError.toString(socket.errno()));
            }
        }
    }

    private void echoHeartbeats() {
        try {
            while (true) {
                byte[] ping = heartbeat.recv(0);
                if (ping == null) {
                    if (heartbeat.errno() == ZError.ETERM) {
                        return;
                    }
                    continue;
                }
                heartbeat.send(ping, 0);
            }
        } catch (ZMQException ex) {
            if (ex.getErrorCode() != ZError.ETERM) {
                LOG.log(Level.WARNING, "Heartbeat stopped", ex);
            }
        } finally {
            heartbeat.close();
        }
    }
}

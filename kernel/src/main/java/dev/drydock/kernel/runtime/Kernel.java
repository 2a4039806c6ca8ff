package dev.drydock.kernel.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.kernel.java.CellApi;
import dev.drydock.kernel.java.JShellEngine;
import dev.drydock.kernel.java.JavaEngine;
import dev.drydock.kernel.protocol.Channel;
import dev.drydock.kernel.protocol.ConnectionInfo;
import dev.drydock.kernel.protocol.Message;
import dev.drydock.kernel.protocol.MessageFactory;
import dev.drydock.kernel.protocol.Outbox;
import dev.drydock.kernel.protocol.Signer;
import dev.drydock.kernel.protocol.Transport;
import dev.drydock.kernel.protocol.WireCodec;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.SecretMasker;
import dev.drydock.magics.Session;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Drydock kernel: the sockets of a connection file, an execution thread that runs shell requests in
 * order, and a control thread that answers interrupt, shutdown and kernel_info at once.
 *
 * <p>{@link #run(Path)} is what {@code drydock.jar kernel CONNECTION_FILE} calls. Tests build a kernel
 * with their own collaborators (a fake {@link JavaEngine}, say) through the constructor, then
 * {@link #start()}, talk to {@link #connection()}'s ports, and {@link #close()}.
 */
public final class Kernel implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Kernel.class.getName());
    /** How long closing waits for an interrupted cell's clean-up (docker stop takes up to 10 s). */
    private static final long CLEAN_UP_MILLIS = 15_000;
    /** Idle seconds before the kernel returns freed memory (see {@link #scheduleIdleCollection}). */
    private static final long IDLE_COLLECTION_SECONDS = 10;

    private final Session session;
    private final JavaEngine engine;
    private final Magics magics;
    private final ObjectMapper json = new ObjectMapper();
    private final MessageFactory messages;
    private final Transport transport;
    private final OutputRouter router = new OutputRouter();
    private final InputReplies inputReplies = new InputReplies();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "drydock-stream-flush");
        thread.setDaemon(true);
        return thread;
    });
    private final BlockingQueue<Request> shellQueue = new LinkedBlockingQueue<>();
    private final BlockingQueue<Message> controlQueue = new LinkedBlockingQueue<>();
    private final AtomicLong arrivals = new AtomicLong();
    private final CountDownLatch shutdown = new CountDownLatch(1);
    private final Execution execution;
    private final ShellHandler shellHandler;
    private final ControlHandler controlHandler;
    private final Object statusLock = new Object();
    private boolean shellBusy; // guarded by statusLock
    private volatile boolean closed;
    private Thread shellThread;
    private Thread controlThread;

    /** Reads the connection file, serves until a shutdown request, then cleans up and returns. */
    public static void run(Path connectionFile) throws Exception {
        ConnectionInfo connection = ConnectionInfo.read(connectionFile);
        // Jupyter starts the kernel in the notebook's folder: relative paths in magics resolve there.
        Session session = new Session(Path.of("").toAbsolutePath());
        Magics magics = new Magics(session);
        JavaEngine engine = new StartingEngine(JShellEngine::new);
        // %maven and %classpath add reach the cells' classpath through this one seam.
        session.bindClassPath(entries -> entries.forEach(engine::addToClasspath));
        try (Kernel kernel = new Kernel(connection, session, magics, engine)) {
            kernel.start();
            Lifeline.watch(kernel);
            kernel.awaitShutdown();
        }
    }

    /** Binds the sockets (a port of 0 binds a free one); nothing is served before {@link #start()}. */
    public Kernel(ConnectionInfo connection, Session session, Magics magics, JavaEngine engine) {
        this.session = session;
        this.engine = engine;
        this.magics = magics;
        this.messages = new MessageFactory(json, UUID.randomUUID().toString(), System.getProperty("user.name", "drydock"));
        this.transport = new Transport(connection, new WireCodec(json, new Signer(connection.key(), connection.signatureScheme())));
        History history = new History();
        this.execution = new Execution(this, engine, magics, history);
        this.shellHandler = new ShellHandler(this, engine, magics, history, execution);
        this.controlHandler = new ControlHandler(this, execution);
    }

    /** The connection as bound, with the ports that were 0 filled in. */
    public ConnectionInfo connection() {
        return transport.bound();
    }

    /** The id of the kernel's own session, in the header of everything it sends. */
    public String sessionId() {
        return messages.session();
    }

    public synchronized void start() {
        if (shellThread != null) {
            throw new IllegalStateException("already started");
        }
        // JUL's console handler binds System.err when first used: bind it to the real stderr (Jupyter's
        // log) before System.err starts pointing at the notebook.
        Logger.getLogger("").getHandlers();
        router.install();
        CellApi.bind(router.notebook());
        CellApi.bindMagics(execution::runMagicLines);
        CellApi.bindVariables(session);
        shellThread = new Thread(this::serveShell, "drydock-shell");
        controlThread = new Thread(this::serveControl, "drydock-control");
        shellThread.setDaemon(true);
        controlThread.setDaemon(true);
        shellThread.start();
        controlThread.start();
        transport.start(this::received);
        publishStatus(json.createObjectNode(), "starting");
        LOG.info("Drydock kernel " + KernelInfo.version() + " listening on " + connection());
    }

    /** Blocks until a client asks the kernel to shut down. */
    public void awaitShutdown() throws InterruptedException {
        shutdown.await();
    }

    /** Whether a shutdown was requested, waiting up to {@code timeout}. */
    public boolean awaitShutdown(long timeout, TimeUnit unit) throws InterruptedException {
        return shutdown.await(timeout, unit);
    }

    /**
     * Shuts down without a request (SIGTERM, the parent process gone): the running cell is interrupted
     * and the thread in {@link #run} closes the kernel.
     */
    void requestShutdown(String why) {
        LOG.info("Shutting down: " + why);
        execution.interrupt();
        shutdown.countDown();
    }

    /** Stops the running cell like the interrupt button (SIGINT, as ipykernel takes it). */
    void interruptCell() {
        execution.interrupt();
    }

    /**
     * Stops the running cell and waits a while for its clean-up (an attached container stopped, a job
     * record ended), closes the magics' services, sends what is queued, closes the sockets and the Java
     * engine.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        execution.interrupt();
        if (!execution.awaitIdle(CLEAN_UP_MILLIS)) {
            LOG.warning("The interrupted cell did not finish its clean-up in " + CLEAN_UP_MILLIS + " ms; closing anyway");
        }
        closed = true;
        try {
            magics.close();
        } catch (RuntimeException ex) {
            LOG.log(Level.WARNING, "The magics' services did not close cleanly", ex);
        }
        if (shellThread != null) {
            shellThread.interrupt();
            controlThread.interrupt();
        }
        CellNotebook last = router.target();
        if (last != null) {
            last.flush();
        }
        transport.close();
        timer.shutdownNow();
        try {
            engine.close();
        } catch (RuntimeException ex) {
            LOG.log(Level.WARNING, "The Java engine did not close cleanly", ex);
        }
        CellApi.bind(null);
        CellApi.bindMagics(null);
        CellApi.bindVariables(null);
        router.uninstall();
        shutdown.countDown();
    }

    // --- for the handlers ---

    Outbox outbox() {
        return transport;
    }

    MessageFactory messages() {
        return messages;
    }

    SecretMasker masker() {
        return session.masker();
    }

    OutputRouter router() {
        return router;
    }

    long arrivals() {
        return arrivals.get();
    }

    CellNotebook newCell(Message request, boolean silent, boolean allowStdin) {
        return new CellNotebook(request, transport, messages, session.masker(), timer, silent, allowStdin, inputReplies);
    }

    /** Answers a shutdown request; the thread in {@link #run} then closes the kernel. */
    void shutdown(Message request, Channel channel) {
        boolean restart = request.content().path("restart").asBoolean(false);
        LOG.info("Shutdown requested" + (restart ? " (restart)" : ""));
        ObjectNode content = json.createObjectNode();
        content.put("status", "ok");
        content.put("restart", restart);
        transport.send(channel, messages.reply(request, "shutdown_reply", content));
        // ipykernel also tells every frontend on IOPub, so the ones that did not ask know too.
        transport.send(Channel.IOPUB, messages.publish(request.header(), "shutdown_reply", content.deepCopy()));
        shutdown.countDown();
    }

    // --- threads ---

    /** Runs on the I/O thread: only queues. */
    private void received(Channel channel, Message message) {
        switch (channel) {
            case SHELL -> shellQueue.add(new Request(message, arrivals.incrementAndGet()));
            case CONTROL -> controlQueue.add(message);
            case STDIN -> {
                if (message.msgType().equals("input_reply")) {
                    inputReplies.deliver(message);
                } else {
                    LOG.info("Unknown message type on stdin: " + message.msgType());
                }
            }
            default -> LOG.info("Unexpected message on " + channel + ": " + message.msgType());
        }
    }

    private void serveShell() {
        while (!closed) {
            Request request;
            try {
                request = shellQueue.take();
            } catch (InterruptedException ex) {
                continue; // an interrupt meant for a cell that already ended, or close()
            }
            Thread.interrupted();
            Message message = request.message();
            synchronized (statusLock) {
                shellBusy = true;
                publishStatus(message.header(), "busy");
            }
            try {
                shellHandler.handle(request);
            } catch (Throwable ex) {
                // Anything, InternalError and OutOfMemoryError included: the thread must serve the next request.
                LOG.log(Level.SEVERE, "Unexpected failure handling " + message.msgType(), ex);
            } finally {
                synchronized (statusLock) {
                    publishStatus(message.header(), "idle");
                    shellBusy = false;
                }
                scheduleIdleCollection(request.arrival());
            }
        }
    }

    private void serveControl() {
        while (!closed) {
            Message message;
            try {
                message = controlQueue.take();
            } catch (InterruptedException ex) {
                continue;
            }
            // busy/idle for control requests only while the shell is idle: otherwise the frontend would
            // show an idle kernel while a cell is still running.
            boolean published;
            synchronized (statusLock) {
                published = !shellBusy;
                if (published) {
                    publishStatus(message.header(), "busy");
                }
            }
            try {
                controlHandler.handle(message);
            } catch (Throwable ex) {
                // Anything, InternalError and OutOfMemoryError included: the thread must serve the next request.
                LOG.log(Level.SEVERE, "Unexpected failure handling " + message.msgType(), ex);
            } finally {
                synchronized (statusLock) {
                    if (published && !shellBusy) {
                        publishStatus(message.header(), "idle");
                    }
                }
            }
        }
    }

    /**
     * Gives memory a cell freed back to the system once the kernel has been idle a while, as G1's
     * periodic collection would: the serial collector shrinks the heap (to {@code MaxHeapFreeRatio}) only
     * after a collection, and an idle kernel allocates nothing that would start one.
     */
    private void scheduleIdleCollection(long arrival) {
        try {
            timer.schedule(() -> {
                if (!closed && arrivals.get() == arrival && shellQueue.isEmpty()) {
                    System.gc();
                }
            }, IDLE_COLLECTION_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // The kernel is shutting down.
        }
    }

    private void publishStatus(ObjectNode parent, String state) {
        ObjectNode content = json.createObjectNode();
        content.put("execution_state", state);
        transport.send(Channel.IOPUB, messages.publish(parent, "status", content));
    }
}

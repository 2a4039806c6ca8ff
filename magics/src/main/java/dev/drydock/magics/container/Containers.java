package dev.drydock.magics.container;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.ExecCreateCmd;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.Ports;
import dev.drydock.magics.Cancellation;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Utf8;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.engine.DockerEngine;
import dev.drydock.magics.engine.EngineErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What the container subcommands share: starting with readable errors, stopping, and the engine's messages. */
public final class Containers {

    /** How long a stop waits for SIGTERM before SIGKILL; short, since an interrupt should be felt at once. */
    static final int INTERRUPT_STOP_SECONDS = 1;

    private Containers() {}

    /** Starts a created container; a refused GPU request becomes the NVIDIA Container Toolkit explanation. */
    public static void start(DockerClient client, String id, String image) throws MagicException {
        try {
            client.startContainerCmd(id).exec();
        } catch (DockerException e) {
            String message = EngineErrors.message(e);
            if (message.contains(GpuRequest.NO_DRIVER)) {
                throw new MagicException(MagicException.Kind.MagicError, GpuRequest.explain(message, image), e);
            }
            throw new MagicException(MagicException.Kind.MagicError,
                    "The container from " + image + " did not start: " + message, e);
        }
    }

    /**
     * Stops a container, killing it after {@code seconds}; one that is gone or stopped already is fine. Safe
     * on the way out of an interrupt ({@link Cancellation#uninterruptibly}).
     */
    public static void stopQuietly(DockerClient client, String id, int seconds) {
        Cancellation.uninterruptibly(() -> {
            try {
                client.stopContainerCmd(id).withTimeout(seconds).exec();
            } catch (RuntimeException ignored) {
                // Gone or stopped already, or the engine is unreachable: the person can still %container rm -f it.
            }
        });
    }

    /**
     * Stops (and with {@code remove} removes) a container on the way out of an interrupt, unless the engine does
     * not answer: a frozen engine would hold the interrupt as long as it stays frozen. Every call is bounded by
     * {@link DockerEngine#CLEANUP_TIMEOUT}. Returns false when the engine did not answer and nothing was done.
     */
    public static boolean cleanUp(DockerEngine engine, String id, boolean remove, int seconds) {
        return Cancellation.uninterruptibly(() -> {
            if (!engine.answers()) {
                return false;
            }
            DockerClient client = engine.cleanupClient();
            try {
                client.stopContainerCmd(id).withTimeout(seconds).exec();
            } catch (RuntimeException ignored) {
                // Stopped or gone already, or the engine froze meanwhile: the remove below says the rest.
            }
            if (remove) {
                try {
                    client.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
                } catch (RuntimeException ignored) {
                    // Gone already (AutoRemove), or the engine froze meanwhile.
                }
            }
            return true;
        });
    }

    /** Removes a container and its anonymous volumes, also a running one; safe on the way out of an interrupt. */
    public static void removeQuietly(DockerClient client, String id) {
        Cancellation.uninterruptibly(() -> {
            try {
                client.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
            } catch (RuntimeException ignored) {
                // Gone already, or the engine is busy removing it (AutoRemove): nothing left to do.
            }
        });
    }

    /**
     * Runs a command in a running container with its output streaming into the cell, as {@code docker exec}
     * does, and returns its exit status; an interrupt stops the command in the container, not only the stream.
     */
    public static long exec(DockerEngine engine, String container, List<String> command, String user, String workdir,
            List<String> env, Notebook notebook) throws MagicException {
        DockerClient client = engine.client();
        String execId = createExec(client, container, command, user, workdir, env, true);
        boolean ended = false;
        try {
            DockerEngine.await(client.execStartCmd(execId).exec(new FrameOutput(notebook)), notebook.cancellation());
            ended = true;
        } catch (DockerException e) {
            throw failed("Running a command in", container, e);
        } finally {
            // However the interrupt surfaced (the cancellation, or the thread's interrupt inside the client),
            // closing the stream alone would leave the command running in the container.
            if (!ended && notebook.cancellation().isCancelled()) {
                ExecProcess.stop(client, engine.config().host(), execId).ifPresent(why -> notebook.err(
                        "The command may still be running in " + container + ": " + why + ". Stop it there, or"
                                + " stop the container with %container stop " + container + ".\n"));
            }
        }
        Long status = client.inspectExecCmd(execId).exec().getExitCodeLong();
        return status == null ? 0 : status;
    }

    /** Starts a command in a running container and returns at once, as {@code docker exec -d}. */
    static void execDetached(DockerClient client, String container, List<String> command, String user, String workdir,
            List<String> env) throws MagicException {
        String execId = createExec(client, container, command, user, workdir, env, false);
        try {
            client.execStartCmd(execId).withDetach(true).exec(new ResultCallback.Adapter<Frame>()).awaitCompletion();
        } catch (DockerException e) {
            throw failed("Running a command in", container, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw MagicException.interrupted();
        }
    }

    private static String createExec(DockerClient client, String container, List<String> command, String user,
            String workdir, List<String> env, boolean attach) throws MagicException {
        try {
            ExecCreateCmd create = client.execCreateCmd(container).withAttachStdout(attach).withAttachStderr(attach)
                    .withCmd(command.toArray(String[]::new));
            if (user != null) {
                create.withUser(user);
            }
            if (workdir != null) {
                create.withWorkingDir(workdir);
            }
            if (env != null && !env.isEmpty()) {
                create.withEnv(env);
            }
            return create.exec().getId();
        } catch (DockerException e) {
            throw failed("Running a command in", container, e);
        }
    }

    /** A failure of an engine call that names a container: "no such container" gets a hint. */
    static MagicException failed(String what, String container, DockerException e) {
        String message = EngineErrors.message(e);
        if (e instanceof NotFoundException) {
            return new MagicException(MagicException.Kind.MagicError, what + " " + container + " failed: " + message
                    + ". %container ls -a lists the containers there are.", e);
        }
        return new MagicException(MagicException.Kind.MagicError, what + " " + container + " failed: " + message, e);
    }

    /** Published ports as the docker CLI prints them: {@code 127.0.0.1:8080->80/tcp}. */
    static String ports(Ports ports) {
        if (ports == null) {
            return "";
        }
        List<String> published = new ArrayList<>();
        for (Map.Entry<ExposedPort, Ports.Binding[]> entry : ports.getBindings().entrySet()) {
            if (entry.getValue() == null) {
                continue;
            }
            for (Ports.Binding binding : entry.getValue()) {
                published.add(binding.getHostIp() + ":" + binding.getHostPortSpec() + "->" + entry.getKey());
            }
        }
        published.sort(null);
        return String.join(", ", published);
    }

    static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }

    /** A container's last 20 lines of output, for an error message that says why it stopped or never got ready. */
    public static String lastLogLines(DockerClient client, String id) {
        StringBuilder text = new StringBuilder();
        Utf8 decoder = new Utf8();
        try {
            client.logContainerCmd(id).withStdOut(true).withStdErr(true).withTail(20)
                    .exec(new ResultCallback.Adapter<Frame>() {
                        @Override
                        public void onNext(Frame frame) {
                            synchronized (text) {
                                text.append(decoder.decode(frame.getPayload()));
                            }
                        }
                    }).awaitCompletion(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            return "(its log could not be read: " + e.getMessage() + ")";
        }
        synchronized (text) {
            return text.toString().strip();
        }
    }
}

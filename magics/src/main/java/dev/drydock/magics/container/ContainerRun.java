package dev.drydock.magics.container;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.WaitContainerResultCallback;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.engine.DockerEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code %container run}: {@code docker run} in a cell. Attached, the container's output streams into the cell
 * and a non-zero exit is an error; an interrupt stops the container (and removes it with {@code --rm}).
 */
@Command(name = "run", modelTransformer = StopAtImage.class,
        description = {
            "Run a command in a new container; attached, its output streams into the cell.",
            "",
            "Everything after IMAGE is the container's command, passed on untouched.",
            "Examples:",
            "  %%container run --rm -v ./data:/data -e SEED=1 IMAGE python train.py --epochs 3",
            "  %%container run -d --name web -p 8080:80 IMAGE httpd -f -p 80",
            "  %%container run --rm --gpus all IMAGE nvidia-smi"
        })
public final class ContainerRun extends ContainerMagic.Verb {

    @Mixin
    ContainerOptions options;

    @Mixin
    Interactive interactive;

    @Option(names = {"-d", "--detach"}, description = "Start it in the background and print its id.")
    boolean detach;

    @Option(names = "--rm", description = "Remove the container when it exits.")
    boolean remove;

    @Option(names = "--entrypoint", paramLabel = "PROGRAM", description = "Override the image's entrypoint.")
    String entrypoint;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "The image (or a %%env environment's name).")
    String image;

    @Parameters(index = "1..*", paramLabel = "CMD", description = "The command and its arguments.")
    List<String> command = new ArrayList<>();

    @Override
    protected void run() throws MagicException {
        interactive.refuse("%container run", Interactive.RUN_INSTEAD);
        String resolved = family.image(image);
        DockerEngine engine = family.docker.engine();
        DockerClient client = engine.client();
        ContainerRequest request = family.request(engine, options, resolved);
        CreateContainerCmd create = request.apply(client.createContainerCmd(resolved), options);
        if (!command.isEmpty()) {
            create.withCmd(command);
        }
        if (entrypoint != null) {
            create.withEntrypoint(entrypoint);
        }
        if (detach) {
            create.getHostConfig().withAutoRemove(remove);
        } else {
            create.withAttachStdout(true).withAttachStderr(true);
        }
        String id = family.create(engine, request, create, resolved);
        String name = options.name != null ? options.name : Containers.shortId(id);
        if (detach) {
            Containers.start(client, id, resolved);
            InspectContainerResponse inspect = client.inspectContainerCmd(id).exec();
            String ports = Containers.ports(inspect.getNetworkSettings().getPorts());
            family.notebook.out("Started " + inspect.getName().replaceFirst("^/", "") + " (" + Containers.shortId(id) + ")"
                    + (ports.isEmpty() ? "" : ", ports " + ports) + ".\n");
            return;
        }
        attached(engine, id, name, resolved);
    }

    // "try": the cancel hook is a registration, held only for the try's scope and never read inside it.
    @SuppressWarnings("try")
    private void attached(DockerEngine engine, String id, String name, String resolved) throws MagicException {
        DockerClient client = engine.client();
        Notebook notebook = family.notebook;
        FrameOutput output = new FrameOutput(notebook);
        boolean finished = false;
        try (AutoCloseable hook = notebook.cancellation().onCancel(() -> closeQuietly(output))) {
            // Attached before the start, as the docker CLI does, so not a byte of early output is lost. Like the
            // CLI, without logs=true: the engine then replays what it already streamed, and lines come twice.
            client.attachContainerCmd(id).withStdOut(true).withStdErr(true).withFollowStream(true).exec(output);
            if (!output.awaitStarted(10, TimeUnit.SECONDS)) {
                throw MagicException.failed("Attaching to the container " + name + " took over 10 s; it was not started.");
            }
            Containers.start(client, id, resolved);
            WaitContainerResultCallback wait = DockerEngine.await(
                    client.waitContainerCmd(id).exec(new WaitContainerResultCallback()), notebook.cancellation());
            int status = wait.awaitStatusCode();
            // The exit is known; the last frames may still be on their way.
            output.awaitCompletion(5, TimeUnit.SECONDS);
            finished = true;
            if (remove) {
                Containers.removeQuietly(client, id);
            }
            if (status != 0) {
                throw MagicException.failed("The container " + name + " (" + resolved + ") exited with status " + status
                        + (status == 137 ? " (killed: out of memory, or stopped)" : "") + ".");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw MagicException.interrupted();
        } catch (MagicException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new MagicException(MagicException.Kind.MagicError, e.getMessage(), e);
        } finally {
            closeQuietly(output);
            if (!finished) {
                // Interrupted, or the start failed: an attached container does not outlive its cell.
                if (!Containers.cleanUp(engine, id, remove, Containers.INTERRUPT_STOP_SECONDS)) {
                    notebook.err("The Docker engine does not answer, so " + name + " may still be running: remove it "
                            + "with %container rm -f " + name + " once the engine answers again.\n");
                }
            }
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // The stream may be gone already.
        }
    }
}

package dev.drydock.magics.container;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.drydock.magics.MagicCommand;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.engine.Docker;
import dev.drydock.magics.engine.DockerEngine;
import dev.drydock.magics.engine.EngineErrors;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code %container}: run and manage containers on the Docker engine, with the docker CLI's flags. */
@Command(name = "container",
        description = {
            "Run and manage containers on the Docker engine, as the docker CLI does.",
            "",
            "Ports bind to 127.0.0.1 unless an address is given, relative host paths are the notebook's folder's,",
            "and containers run as your uid:gid unless --user says otherwise. Examples:",
            "  %%container run --rm -v ./data:/data IMAGE python train.py --epochs 3",
            "  %%container run -d --name web -p 8080:80 IMAGE httpd -f -p 80",
            "  %%container ls --notebook",
            "  %%container rm -f --notebook"
        },
        subcommands = {
            ContainerRun.class,
            ContainerCommands.Ls.class,
            ContainerCommands.Logs.class,
            ContainerCommands.Exec.class,
            ContainerCommands.Stop.class,
            ContainerCommands.Start.class,
            ContainerCommands.Rm.class,
            ContainerCommands.Commit.class,
            ContainerJupyter.class
        })
public final class ContainerMagic extends MagicCommand {

    final Docker docker;
    final Session session;
    final Notebook notebook;
    private final ImageResolver images;
    private final HostUser hostUser;
    private final GpuHost gpuHost;

    /** The family's collaborators, once; each verb reads them through {@link Verb#family}. */
    public ContainerMagic(Docker docker, Session session, Notebook notebook, ImageResolver images, HostUser hostUser) {
        this(docker, session, notebook, images, hostUser, GpuHost.local());
    }

    /** {@code gpuHost}: the machine --gpus looks at; tests describe one with files. */
    public ContainerMagic(Docker docker, Session session, Notebook notebook, ImageResolver images, HostUser hostUser,
            GpuHost gpuHost) {
        this.docker = docker;
        this.session = session;
        this.notebook = notebook;
        this.images = images;
        this.hostUser = hostUser;
        this.gpuHost = gpuHost;
    }

    /** A verb of {@code %container}; picocli sets {@link #family} to the command it runs under. */
    abstract static class Verb extends MagicCommand {
        @ParentCommand
        ContainerMagic family;
    }

    @Override
    protected void run() throws MagicException {
        throw MagicException.usage("Specify a subcommand: run, ls, logs, exec, stop, start, rm, commit or jupyter. "
                + "%container --help says more.");
    }

    /**
     * The image to run for what was typed: an empty name is an error, not "the newest environment of any name",
     * which is what a lookup by an empty name would find.
     */
    String image(String typed) throws MagicException {
        if (typed == null || typed.isBlank()) {
            throw MagicException.usage("The image name is empty. Name an image (such as drydock/python:bookworm) "
                    + "or an environment that %env build made (%env ls lists them).");
        }
        return images.resolve(typed.strip(), session);
    }

    /** A new container's request for {@code image} on {@code engine}, with --gpus decided on the family's host. */
    ContainerRequest request(DockerEngine engine, ContainerOptions options, String image) {
        ContainerRequest request = new ContainerRequest(session, hostUser, engine.config().remoteMachine());
        if (options.gpus != null) {
            request.gpus(gpuHost, engine.client(), image);
        }
        return request;
    }

    /**
     * Creates the container {@code request} was applied to: says how --gpus went, makes missing bind sources,
     * and warns that the bind sources of a remote engine are that machine's folders.
     */
    String create(DockerEngine engine, ContainerRequest request, CreateContainerCmd create, String image)
            throws MagicException {
        request.gpuDecision().ifPresent(decision -> notebook.err(decision + "\n"));
        request.createMissingBindSources();
        if (!request.remoteBinds().isEmpty()) {
            notebook.err("The engine runs on " + engine.config().remoteMachine().orElseThrow() + ": "
                    + String.join(", ", request.remoteBinds()) + " are folders of that machine, not of this one.\n");
        }
        try {
            return create.exec().getId();
        } catch (NotFoundException e) {
            throw new MagicException(MagicException.Kind.MagicError, "The image " + image + " is not on the Docker "
                    + "engine: pull it with %docker pull " + image + ", or build it (%env build). The engine said: "
                    + EngineErrors.message(e), e);
        } catch (DockerException e) {
            throw new MagicException(MagicException.Kind.MagicError, "Creating a container from " + image
                    + " failed: " + EngineErrors.message(e), e);
        }
    }
}

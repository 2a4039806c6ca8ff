package dev.drydock.magics.container;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.MagicCommand;
import picocli.CommandLine.Command;

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

    @Override
    protected void run() throws MagicException {
        throw MagicException.usage("Specify a subcommand: run, ls, logs, exec, stop, start, rm, commit or jupyter. "
                + "%container --help says more.");
    }
}

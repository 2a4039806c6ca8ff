package dev.drydock.magics.container;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options {@code %container run} and {@code %container jupyter} share, with the docker CLI's meaning. */
public final class ContainerOptions {

    @Option(names = "--name", description = "Name the container.")
    String name;

    @Option(names = {"-p", "--publish"}, paramLabel = "[IP:]HOST:CONTAINER",
            description = "Publish a port; on 127.0.0.1 unless IP is given (0.0.0.0 for every interface).")
    List<String> publish = new ArrayList<>();

    @Option(names = {"-v", "--volume"}, paramLabel = "SRC:DST[:ro]",
            description = "Bind a host folder (relative to the notebook's folder; created when missing) or a named "
                    + "volume.")
    List<String> volumes = new ArrayList<>();

    @Option(names = {"-e", "--env"}, paramLabel = "KEY[=VALUE]",
            description = "Set a variable; KEY alone passes the session's (%%dotenv, %%setenv) or the kernel's value.")
    List<String> env = new ArrayList<>();

    @Option(names = "--env-file", paramLabel = "FILE",
            description = "Read KEY=VALUE lines, as docker run does (no quoting; # starts a comment).")
    List<String> envFiles = new ArrayList<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "The working directory inside.")
    String workdir;

    @Option(names = {"-u", "--user"}, paramLabel = "USER[:GROUP]",
            description = "Run as this user; by default the kernel's uid:gid, so bind-mounted files stay yours.")
    String user;

    @Option(names = "--group-add", paramLabel = "GROUP",
            description = "Add a supplementary group (a gid or a name in the image). A bind-mounted socket, such as "
                    + "the engine's docker.sock, adds its own group by itself.")
    List<String> groups = new ArrayList<>();

    @Option(names = "--gpus", paramLabel = "all|N|device=ID",
            description = "Give the container GPUs: through the NVIDIA Container Toolkit where the engine has it, "
                    + "else (engine on this machine) the driver's /dev/nvidia* devices, libraries and nvidia-smi.")
    String gpus;

    @Option(names = "--shm-size", paramLabel = "SIZE", description = "Size of /dev/shm, such as 2g (PyTorch's "
            + "DataLoader workers need more than the default 64m).")
    String shmSize;
}

package dev.drydock.magics.container;

import dev.drydock.magics.MagicException;
import picocli.CommandLine.Option;

/**
 * The docker CLI's {@code -i}/{@code -t} ({@code -it}), which ask for a terminal that a notebook cell does not
 * have. Accepted by the parser so the answer is what works in a notebook instead of a bare "Unknown option".
 */
public final class Interactive {

    @Option(names = {"-i", "--interactive"}, hidden = true)
    boolean interactive;

    @Option(names = {"-t", "--tty"}, hidden = true)
    boolean tty;

    @Option(names = {"-a", "--attach"}, hidden = true)
    boolean attach;

    /** Fails with {@code instead} when a terminal was asked for; {@code flags} is how the person wrote it. */
    void refuse(String command, String instead) throws MagicException {
        if (!interactive && !tty && !attach) {
            return;
        }
        String flags = attach ? "-a/-i" : interactive && tty ? "-it" : interactive ? "-i" : "-t";
        throw MagicException.usage("A notebook cell has no terminal to type into, so " + command + " " + flags
                + " cannot work here. " + instead);
    }

    static final String RUN_INSTEAD = "Start the container in the background and run each command in it from a "
            + "cell: %container run -d --name NAME IMAGE sleep infinity, then %container exec NAME CMD (its output "
            + "streams into the cell; %container exec -d NAME CMD starts a server without waiting). For an "
            + "interactive Python session in the image, %container jupyter IMAGE opens Jupyter in it.";

    static final String EXEC_INSTEAD = "Run the command without a terminal: %container exec CONTAINER CMD streams "
            + "its output into the cell, and %container exec -d CONTAINER CMD starts a server without waiting. For "
            + "an interactive Python session, %container jupyter IMAGE opens Jupyter in a container.";

    static final String START_INSTEAD = "Start it in the background with %container start CONTAINER, then follow "
            + "its output with %container logs -f CONTAINER or run commands in it with %container exec CONTAINER CMD.";
}

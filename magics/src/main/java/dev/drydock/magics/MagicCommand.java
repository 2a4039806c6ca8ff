package dev.drydock.magics;

import java.util.concurrent.Callable;
import picocli.CommandLine.Option;

/**
 * The base of every magic family: a picocli command with {@code --help}. A family takes what it needs
 * ({@code Session}, {@code Notebook}, services) as constructor parameters, once; its verbs reach them through
 * picocli's {@code @ParentCommand} (as {@code EnvMagic.EnvCommand}, {@code DockerMagic.Verb} and
 * {@code ContainerMagic.Verb} do) and have no constructor of their own. {@code Magics} builds fresh objects
 * for every invocation, so no option value survives into the next cell (picocli#1531, #1733).
 *
 * <p>Failures are thrown as {@code MagicException}; anything else thrown becomes a {@code MagicError}
 * with its message.
 */
public abstract class MagicCommand implements Callable<Integer> {

    // Only the long form: short letters stay free for the families (docker's -h is --hostname).
    @Option(names = "--help", usageHelp = true, description = "Show this help.")
    boolean helpRequested;

    @Override
    public final Integer call() throws Exception {
        run();
        return 0;
    }

    protected abstract void run() throws Exception;
}

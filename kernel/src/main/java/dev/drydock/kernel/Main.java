package dev.drydock.kernel;

import dev.drydock.kernel.install.Installer;
import dev.drydock.kernel.runtime.Kernel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code java -jar drydock.jar (install | kernel CONNECTION_FILE)}. */
@Command(
        name = "drydock",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A Jupyter kernel in Java whose notebooks orchestrate reproducible ML environments.",
        subcommands = {Main.Install.class, Main.RunKernel.class, Main.Warm.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main());
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Specify a command: install or kernel");
    }

    @Command(name = "install", description = "Registers the `drydock` kernelspec with Jupyter, pointing at this jar.")
    static final class Install implements Callable<Integer> {

        @CommandLine.ArgGroup(exclusive = true)
        Target target = new Target();

        static final class Target {
            @Option(names = "--user", description = "Install for this user (the default).")
            boolean user;

            @Option(names = "--sys-prefix", description = "Install into the Python environment's prefix (sys.prefix of python3 on PATH, or $CONDA_PREFIX / $VIRTUAL_ENV).")
            boolean sysPrefix;

            @Option(names = "--prefix", paramLabel = "DIR", description = "Install into DIR/share/jupyter/kernels.")
            Path prefix;
        }

        @Override
        public Integer call() throws Exception {
            Installer installer = Installer.forRunningJar();
            Path kernelsDir = target.prefix != null ? Installer.prefixKernelsDir(target.prefix)
                    : target.sysPrefix ? Installer.sysPrefixKernelsDir()
                    : Installer.userKernelsDir();
            Path installed = installer.install(kernelsDir);
            System.out.println("Installed kernelspec drydock in " + installed);
            return 0;
        }
    }

    @Command(name = "kernel", description = "Runs the kernel on a Jupyter connection file (Jupyter calls this).")
    static final class RunKernel implements Callable<Integer> {

        @Parameters(paramLabel = "CONNECTION_FILE", description = "The connection file Jupyter wrote.")
        Path connectionFile;

        @Override
        public Integer call() throws Exception {
            Kernel.run(connectionFile);
            return 0;
        }
    }

    @Command(name = "warmup", hidden = true,
            description = "Loads what a kernel loads, for the class-data-sharing archive `install` records.")
    static final class Warm implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            dev.drydock.kernel.install.Warmup.run();
            return 0;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"drydock " + (version == null ? "development build" : version)};
        }
    }
}

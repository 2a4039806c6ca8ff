package dev.drydock.magics.commands;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.process.ProcessRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dev.drydock.magics.CellMagicCommand;

/**
 * {@code %%bash} and {@code %%sh}: the body runs as a script, with the session's variables in its
 * environment (so {@code $NAME} works, and {@code ${NAME}} is the shell's own, not Drydock's).
 */
public final class ScriptMagics {

    private ScriptMagics() {}

    abstract static class Script extends CellMagicCommand {

        @Option(names = "--no-raise-error", description = "Do not make a non-zero exit status an error.")
        boolean noRaiseError;

        private final Session session;
        private final Notebook notebook;
        private final String shell;

        Script(Session session, Notebook notebook, String shell) {
            this.session = session;
            this.notebook = notebook;
            this.shell = shell;
        }

        /**
         * The body goes to the shell as a script file, not as an argument: Linux refuses one argument over
         * 128 KiB ("Argument list too long"), and a cell can be longer. The file is private to the user
         * and removed when the script ends.
         */
        @Override
        protected void run() throws MagicException {
            Path script;
            try {
                script = Files.createTempFile("drydock-cell-", ".sh",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(script, body());
            } catch (IOException ex) {
                throw MagicException.failed("Cannot write the cell's script to a temporary file: " + ex.getMessage());
            }
            try {
                run(List.of(shell, script.toString()), session, notebook, !noRaiseError);
            } finally {
                try {
                    Files.deleteIfExists(script);
                } catch (IOException ignored) {
                    // In the temporary folder; the system clears it.
                }
            }
        }

        static void run(List<String> command, Session session, Notebook notebook, boolean raise) throws MagicException {
            int status = ProcessRunner.run(command, session.workingDirectory(), session.subprocessEnvironment(), notebook);
            if (status != 0 && raise) {
                throw MagicException.failed("Command exited with status " + status + ".");
            }
        }
    }

    @Command(name = "bash", description = {
        "Run the cell with bash; output streams live, an interrupt kills it and what it started.",
        "",
        "Example:",
        "  %%%%bash",
        "  ls -l \"$DATA_DIR\""
    })
    public static final class Bash extends Script {
        public Bash(Session session, Notebook notebook) {
            super(session, notebook, "/bin/bash");
        }
    }

    @Command(name = "sh", description = {
        "Run the cell with /bin/sh; output streams live, an interrupt kills it and what it started."
    })
    public static final class Sh extends Script {
        public Sh(Session session, Notebook notebook) {
            super(session, notebook, "/bin/sh");
        }
    }

    /** {@code !command}: one line through {@code /bin/sh -c}, as in IPython. */
    public static void shellLine(String command, Session session, Notebook notebook) throws MagicException {
        Script.run(List.of("/bin/sh", "-c", command), session, notebook, true);
    }
}

package dev.drydock.magics.commands;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import dev.drydock.magics.MagicCommand;

/** {@code %setenv NAME=VALUE} or {@code %setenv NAME VALUE}: a session variable that is not a secret. */
@Command(name = "setenv",
        description = {
            "Set a variable for $${NAME} in magic arguments and for %%%%bash, %%%%sh and !commands.",
            "",
            "Unlike %%dotenv values it is not a secret. Quote values with spaces.",
            "",
            "Examples:",
            "  %%setenv DATA_DIR=/data/run1",
            "  %%setenv GREETING \"hello world\""
        })
public final class SetenvMagic extends MagicCommand {

    @Parameters(index = "0", paramLabel = "NAME[=VALUE]", description = "The variable, or NAME=VALUE.")
    String assignment;

    @Parameters(index = "1", arity = "0..1", paramLabel = "VALUE", description = "The value, when not given as NAME=VALUE.")
    String value;

    private final Session session;
    private final Notebook notebook;

    public SetenvMagic(Session session, Notebook notebook) {
        this.session = session;
        this.notebook = notebook;
    }

    @Override
    protected void run() throws MagicException {
        int eq = assignment.indexOf('=');
        String name = eq < 0 ? assignment : assignment.substring(0, eq);
        if (eq >= 0 && value != null) {
            throw MagicException.usage("Give NAME=VALUE or NAME VALUE, not both (got " + assignment + " and "
                    + value + "). Quote a value that holds spaces: %setenv " + name + "=\"a b\"");
        }
        if (eq < 0 && value == null) {
            throw MagicException.usage("Missing the value of " + name + ": %setenv " + name + "=VALUE");
        }
        if (!Session.VARIABLE_NAME.matcher(name).matches()) {
            throw MagicException.usage("Bad variable name '" + name + "': use letters, digits and _, not"
                    + " starting with a digit (for example DATA_DIR).");
        }
        String resolved = eq < 0 ? value : assignment.substring(eq + 1);
        session.setVariable(name, resolved);
        // IPython's %env echo; the notebook masks it if the value carries a secret.
        notebook.out("env: " + name + "=" + resolved + "\n");
    }
}

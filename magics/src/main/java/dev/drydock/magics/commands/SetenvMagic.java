package dev.drydock.magics.commands;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.SecretNames;
import dev.drydock.magics.Session;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import dev.drydock.magics.MagicCommand;

/** {@code %setenv [--secret|--public] NAME=VALUE} or {@code NAME VALUE}: a session variable, a secret if its name or --secret says so. */
@Command(name = "setenv",
        description = {
            "Set a variable for $${NAME} in magic arguments and for %%%%bash, %%%%sh and !commands.",
            "",
            "As with %%dotenv, the value is a secret (masked as **** in all output) when the name says so"
                    + " (PASSWORD, TOKEN, KEY, ...) or with --secret; --public shows it in clear. Quote values"
                    + " with spaces.",
            "",
            "Examples:",
            "  %%setenv DATA_DIR=/data/run1",
            "  %%setenv GREETING \"hello world\"",
            "  %%setenv --secret HF_READ=hf_xxx"
        })
public final class SetenvMagic extends MagicCommand {

    @Option(names = "--secret", description = "Mask the value in all output, whatever the name says.")
    boolean secret;

    @Option(names = "--public", description = "Show the value in clear although the name looks secret.")
    boolean open;

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
        if (secret && open) {
            throw MagicException.usage("Give --secret or --public, not both.");
        }
        session.setVariable(name, resolved, secret || (!open && SecretNames.isSecret(name)));
        // IPython's %env echo; the notebook masks it if the value is or carries a secret.
        notebook.out("env: " + name + "=" + resolved + "\n");
    }
}

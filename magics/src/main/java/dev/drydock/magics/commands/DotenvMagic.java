package dev.drydock.magics.commands;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.SecretNames;
import dev.drydock.magics.Session;
import dev.drydock.magics.files.DotenvFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import dev.drydock.magics.MagicCommand;

/** {@code %dotenv [FILE] [--override] [--secret NAME] [--public NAME]}: loads variables; says which are secret, never a value. */
@Command(name = "dotenv",
        description = {
            "Load variables from a .env file, written as python-dotenv reads it (quotes, export, # comments,"
                    + " multi-line \"values\", $${OTHER} expansion).",
            "",
            "Values whose name says they are secret (PASSWORD, PASSWD, PWD, SECRET, TOKEN, KEY, CREDENTIAL, AUTH,"
                    + " SAS, CONNECTION_STRING, PRIVATE, CERT) are masked as **** in all output; other values"
                    + " (user names, hosts, workspace names) are settings and show in clear. --secret and --public"
                    + " change that per name.",
            "",
            "They are visible to $${NAME} in magic arguments, to env(\"NAME\") in Java cells and to %%%%bash,"
                    + " %%%%sh and !commands. Names already set keep their value unless --override is given.",
            "",
            "Examples:",
            "  %%dotenv",
            "  %%dotenv registry.env --secret DOCKER_USERNAME",
            "  %%dotenv config/prod.env --override --public TOKEN_URL"
        })
public final class DotenvMagic extends MagicCommand {

    @Parameters(paramLabel = "FILE", arity = "0..1", defaultValue = ".env",
            description = "The file to load, relative to the notebook's folder (default: ${DEFAULT-VALUE}).")
    String file;

    @Option(names = "--override", description = "Replace the value of names that are already set.")
    boolean override;

    @Option(names = "--secret", paramLabel = "NAME", split = ",",
            description = "Treat NAME as a secret whatever its name says (repeatable, or NAME,NAME).")
    List<String> secret = new ArrayList<>();

    @Option(names = "--public", paramLabel = "NAME", split = ",",
            description = "Show NAME's value in clear although its name looks secret (repeatable, or NAME,NAME).")
    List<String> open = new ArrayList<>();

    private final Session session;
    private final Notebook notebook;

    public DotenvMagic(Session session, Notebook notebook) {
        this.session = session;
        this.notebook = notebook;
    }

    @Override
    protected void run() throws MagicException {
        Set<String> both = new LinkedHashSet<>(secret);
        both.retainAll(open);
        if (!both.isEmpty()) {
            throw MagicException.usage("A name is either --secret or --public, not both: " + String.join(", ", both) + ".");
        }
        Path path = session.resolve(file);
        if (!Files.isRegularFile(path)) {
            throw MagicException.failed("No such file: " + file + " (looked for " + path + "). Create it with"
                    + " %%writefile " + file + ", or name the file to load: %dotenv path/to/file.env");
        }
        DotenvFile parsed = read(path);
        if (!parsed.errorLines().isEmpty()) {
            // The line itself is not shown: it may hold a secret.
            List<Integer> lines = parsed.errorLines();
            throw MagicException.failed("Cannot load " + file + ": line" + (lines.size() == 1 ? " " : "s ")
                    + lines.stream().map(String::valueOf).reduce((a, b) -> a + ", " + b).orElseThrow()
                    + " cannot be read as NAME=VALUE (python-dotenv would skip " + (lines.size() == 1 ? "it" : "them")
                    + "; Drydock loads nothing rather than half a file). Check for a quote that is not closed, or"
                    + " text after a closing quote; comment a line out with #.");
        }
        Map<String, String> values = parsed.expand(name -> session.variable(name).orElse(null));
        List<String> loaded = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        List<String> secrets = new ArrayList<>();
        List<String> bare = new ArrayList<>();
        for (DotenvFile.Entry entry : parsed.entries()) {
            String name = entry.name();
            String value = values.get(name);
            if (value == null) {
                bare.add(String.valueOf(entry.line()));
                continue;
            }
            if (loaded.contains(name) || kept.contains(name)) {
                continue;
            }
            boolean isSecret = !open.contains(name) && (secret.contains(name) || SecretNames.isSecret(name));
            if (isSecret) {
                // Masked even when kept: the value is a secret wherever it turns up.
                session.masker().add(value);
                secrets.add(name);
            }
            if (!override && session.variable(name).isPresent()) {
                kept.add(name);
            } else {
                session.setVariable(name, value, isSecret);
                loaded.add(name);
            }
        }
        StringBuilder report = new StringBuilder("Loaded " + loaded.size() + " variable"
                + (loaded.size() == 1 ? "" : "s") + " from " + file + (loaded.isEmpty() ? "." : ": " + String.join(", ", loaded)));
        if (!secrets.isEmpty()) {
            report.append("\nSecret (masked as ****): ").append(String.join(", ", secrets))
                    .append(". Change with --secret NAME or --public NAME.");
        }
        if (!kept.isEmpty()) {
            report.append("\nKept the value already set for ").append(String.join(", ", kept))
                    .append(" (use --override to replace it).");
        }
        if (!bare.isEmpty()) {
            report.append("\nSkipped line").append(bare.size() == 1 ? " " : "s ").append(String.join(", ", bare))
                    .append(": a name without =VALUE sets nothing, as in python-dotenv.");
        }
        List<String> unknown = new ArrayList<>(secret);
        unknown.addAll(open);
        unknown.removeAll(values.keySet());
        if (!unknown.isEmpty()) {
            report.append("\nNot in ").append(file).append(": ").append(String.join(", ", unknown)).append('.');
        }
        notebook.out(report.append('\n').toString());
    }

    private DotenvFile read(Path path) throws MagicException {
        try {
            return DotenvFile.parse(Files.readString(path, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw MagicException.failed("Cannot read " + file + " (" + path + "): " + e.getMessage());
        }
    }
}

package dev.drydock.magics.commands;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import io.github.cdimascio.dotenv.Dotenv;
import io.github.cdimascio.dotenv.DotenvEntry;
import io.github.cdimascio.dotenv.DotenvException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import dev.drydock.magics.MagicCommand;

/** {@code %dotenv [FILE] [--override]}: loads secrets; says which names, never which values. */
@Command(name = "dotenv",
        description = {
            "Load variables from a .env file as secrets (masked as **** in all output).",
            "",
            "They are visible to $${NAME} in magic arguments and to %%%%bash, %%%%sh and !commands."
                    + " Names already set keep their value unless --override is given.",
            "",
            "Examples:",
            "  %%dotenv",
            "  %%dotenv config/prod.env --override"
        })
public final class DotenvMagic extends MagicCommand {

    @Parameters(paramLabel = "FILE", arity = "0..1", defaultValue = ".env",
            description = "The file to load, relative to the notebook's folder (default: ${DEFAULT-VALUE}).")
    String file;

    @Option(names = "--override", description = "Replace the value of names that are already set.")
    boolean override;

    private final Session session;
    private final Notebook notebook;

    public DotenvMagic(Session session, Notebook notebook) {
        this.session = session;
        this.notebook = notebook;
    }

    @Override
    protected void run() throws MagicException {
        Path path = session.resolve(file);
        if (!Files.isRegularFile(path)) {
            throw MagicException.failed("No such file: " + file + " (looked for " + path + "). Create it with"
                    + " %%writefile " + file + ", or name the file to load: %dotenv path/to/file.env");
        }
        List<DotenvEntry> entries = load(path);
        List<String> loaded = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        for (DotenvEntry entry : entries) {
            // Masked even when kept: the value is a secret wherever it turns up.
            session.masker().add(entry.getValue());
            if (!override && session.variable(entry.getKey()).isPresent()) {
                kept.add(entry.getKey());
            } else {
                session.setSecret(entry.getKey(), entry.getValue());
                loaded.add(entry.getKey());
            }
        }
        StringBuilder report = new StringBuilder("Loaded " + loaded.size() + " variable"
                + (loaded.size() == 1 ? "" : "s") + " from " + file + (loaded.isEmpty() ? "." : ": " + String.join(", ", loaded)));
        if (!kept.isEmpty()) {
            report.append("\nKept the value already set for ").append(String.join(", ", kept))
                    .append(" (use --override to replace it).");
        }
        notebook.out(report.append('\n').toString());
    }

    private List<DotenvEntry> load(Path path) throws MagicException {
        try {
            Dotenv dotenv = Dotenv.configure()
                    .directory(path.getParent().toString())
                    .filename(path.getFileName().toString())
                    .load();
            // dotenv-java hands back a hash set; sorted names make the report the same every time.
            return dotenv.entries(Dotenv.Filter.DECLARED_IN_ENV_FILE).stream()
                    .sorted(java.util.Comparator.comparing(DotenvEntry::getKey))
                    .toList();
        } catch (DotenvException e) {
            throw MagicException.failed("Cannot load " + file + ": " + describe(path, e.getMessage()));
        }
    }

    /**
     * dotenv-java quotes the whole bad line, value included; the value may be a secret, so say where the
     * line is and show only the part before {@code =}.
     */
    private static String describe(Path path, String message) {
        String prefix = "Malformed entry ";
        if (message == null || !message.startsWith(prefix)) {
            return message;
        }
        String entry = message.substring(prefix.length());
        int line = lineOf(path, entry);
        String name = entry.contains("=") ? entry.substring(0, entry.indexOf('=')).strip() : "";
        return (line > 0 ? "line " + line : "a line") + (name.isEmpty() ? "" : " (" + name + "=...)")
                + " is not NAME=VALUE. Fix it or comment it out with #; quote values that hold spaces"
                + " or # (NAME=\"a b\").";
    }

    private static int lineOf(Path path, String entry) {
        try {
            List<String> lines = Files.readAllLines(path);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).strip().equals(entry.strip())) {
                    return i + 1;
                }
            }
        } catch (IOException ignored) {
            // The line number is a courtesy; the error stands without it.
        }
        return 0;
    }
}

package dev.drydock.magics.commands;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.files.AtomicFiles;
import dev.drydock.magics.files.OutboundFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import dev.drydock.magics.CellMagicCommand;

/** {@code %%writefile [-a] FILE}: IPython's magic, written atomically and careful with secrets. */
@Command(name = "writefile",
        description = {
            "Write the cell's body to FILE (atomically; parent folders are created).",
            "",
            "A file named .env (or .env.*, *.env) gets mode 0600, and a warning when the folder's"
                    + " .gitignore or .dockerignore does not ignore it. Any other file gets the body as typed,"
                    + " with a warning when it holds a secret value.",
            "",
            "Example:",
            "  %%%%writefile -a notes/run.txt"
        })
public final class WriteFileMagic extends CellMagicCommand {

    @Option(names = {"-a", "--append"}, description = "Append to FILE instead of replacing it.")
    boolean append;

    @Parameters(paramLabel = "FILE", description = "The file to write, relative to the notebook's folder.")
    String file;

    private final Session session;
    private final Notebook notebook;

    public WriteFileMagic(Session session, Notebook notebook) {
        this.session = session;
        this.notebook = notebook;
    }

    @Override
    protected void run() throws MagicException {
        Path target = session.resolve(file);
        String name = target.getFileName() == null ? "" : target.getFileName().toString();
        boolean secrets = isEnvFile(name);
        // IPython's newline at the end, and otherwise the cell's bytes as typed: the source is in the notebook
        // anyway, and a file rewritten with **** breaks the YAML, Dockerfile or script it is.
        String content = body().endsWith("\n") || body().isEmpty() ? body() : body() + "\n";
        int secretValues = secrets ? 0 : session.masker().maskCounting(content).count();
        boolean existed = Files.exists(target);
        try {
            AtomicFiles.write(target, content.getBytes(StandardCharsets.UTF_8), append,
                    secrets ? AtomicFiles.OWNER_ONLY : null);
        } catch (IOException e) {
            throw failure(file, target, e);
        }
        // IPython's exact words, with the name as typed.
        notebook.out((existed ? (append ? "Appending to " : "Overwriting ") : "Writing ") + file + "\n");
        if (secretValues > 0) {
            notebook.err("Warning: " + file + " holds " + secretValues + " secret value" + (secretValues == 1 ? "" : "s")
                    + " (written as typed). Keep secrets in a .env file and refer to them as ${NAME}, or leave "
                    + file + " out of git and images with .gitignore / .dockerignore.\n");
        }
        if (secrets) {
            warnIfNotIgnored(target, name);
        }
    }

    /** Files that hold {@code %dotenv} secrets on purpose: {@code .env}, {@code .env.local}, {@code prod.env}. */
    static boolean isEnvFile(String name) {
        return OutboundFiles.isSecretFile(name);
    }

    private void warnIfNotIgnored(Path target, String name) {
        List<String> silent = new ArrayList<>();
        try {
            if (!OutboundFiles.gitIgnores(target)) {
                Path root = OutboundFiles.repositoryRoot(target.getParent());
                silent.add(".gitignore" + (root == null ? "" : " (any up to the repository root " + root + ")"));
            }
        } catch (IOException e) {
            silent.add(".gitignore (unreadable: " + e.getMessage() + ")");
        }
        try {
            if (!OutboundFiles.dockerIgnores(target.resolveSibling(".dockerignore"), name)) {
                silent.add(".dockerignore");
            }
        } catch (IOException e) {
            silent.add(".dockerignore (unreadable: " + e.getMessage() + ")");
        }
        if (!silent.isEmpty()) {
            notebook.err("Warning: " + name + " holds secrets but is not ignored by " + String.join(" or ", silent)
                    + " in " + target.getParent() + ". Add a line `" + name + "` to "
                    + (silent.size() == 1 ? "it" : "each") + " so it stays out of git and of images built by other"
                    + " tools (Drydock leaves it out of everything it sends or builds).\n");
        }
    }

    /** One paragraph that says what failed and what to do; {@code typed} is the name as the person wrote it. */
    static MagicException failure(String typed, Path target, IOException e) {
        String where = e instanceof FileSystemException fse && fse.getFile() != null ? fse.getFile() : target.toString();
        String reason;
        if (e instanceof AccessDeniedException) {
            reason = "permission denied on " + where + ". Choose a folder you can write to, or fix its"
                    + " permissions (ls -ld " + target.getParent() + ").";
        } else if (e instanceof FileAlreadyExistsException || e instanceof NotDirectoryException) {
            reason = where + " is a file, so it cannot be a folder on the way to " + target + ".";
        } else if (e instanceof FileSystemException fse && fse.getReason() != null) {
            reason = where + ": " + fse.getReason() + ".";
        } else {
            reason = (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()) + ".";
        }
        return new MagicException(MagicException.Kind.MagicError,
                "Cannot write " + typed + ": " + reason + " An existing " + typed + " is left as it was.", e);
    }
}

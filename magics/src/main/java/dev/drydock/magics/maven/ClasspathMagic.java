package dev.drydock.magics.maven;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.MagicCommand;
import dev.drydock.magics.render.Table;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code %classpath} lists what was added to the Java cells' classpath; {@code %classpath add PATH...} adds jars or folders. */
@Command(name = "classpath",
        description = {
            "List the jars %%maven and %%classpath add put on the Java cells' classpath, or add jars and class folders.",
            "",
            "Examples:",
            "  %%classpath",
            "  %%classpath add lib/tool.jar build/classes",
            "  %%classpath add lib/*.jar"
        },
        subcommands = ClasspathMagic.Add.class)
public final class ClasspathMagic extends MagicCommand {

    private final Session session;
    private final Notebook notebook;
    private final LoadedJars loaded;

    /** The family's collaborators, once; {@code add} reads them through its {@code @ParentCommand}. */
    public ClasspathMagic(Session session, Notebook notebook, LoadedJars loaded) {
        this.session = session;
        this.notebook = notebook;
        this.loaded = loaded;
    }

    @Override
    protected void run() {
        List<LoadedJars.Entry> entries = loaded.entries();
        if (entries.isEmpty()) {
            notebook.out("Nothing added to the classpath yet: %maven GROUP:ARTIFACT:VERSION or %classpath add PATH.\n");
            return;
        }
        notebook.display(table(entries).bundle(), null);
    }

    static Table table(List<LoadedJars.Entry> entries) {
        List<List<String>> rows = new ArrayList<>();
        for (LoadedJars.Entry entry : entries) {
            rows.add(List.of(entry.key().isEmpty() ? "-" : entry.key(), entry.version().isEmpty() ? "-" : entry.version(),
                    entry.key().isEmpty() ? entry.path().toString() : entry.path().getFileName().toString(),
                    Files.isDirectory(entry.path()) ? "folder" : Table.size(LoadedJars.size(entry.path()))));
        }
        return new Table(List.of("artifact", "version", "jar", "size"), rows);
    }

    /** {@code %classpath add PATH...}: jars or class folders; {@code *} in a file name matches as in a shell. */
    @Command(name = "add", description = "Add jars or class folders (a * in the last part of a path matches files).")
    static final class Add extends MagicCommand {

        @Parameters(paramLabel = "PATH", arity = "1..*", description = "A jar, a folder of classes, or dir/*.jar.")
        List<String> paths;

        @ParentCommand
        ClasspathMagic family;

        @Override
        protected void run() throws MagicException {
            List<Path> found = new ArrayList<>();
            for (String path : paths) {
                found.addAll(expand(path));
            }
            List<Path> added = family.loaded.addPaths(found);
            List<LoadedJars.Entry> shown = added.stream().map(p -> new LoadedJars.Entry("", "", p)).toList();
            if (shown.isEmpty()) {
                family.notebook.out("Already on the classpath: " + String.join(" ", paths) + "\n");
                return;
            }
            family.notebook.display(table(shown).bundle(), null);
        }

        private List<Path> expand(String typed) throws MagicException {
            Path path = family.session.resolve(typed);
            String name = path.getFileName() == null ? "" : path.getFileName().toString();
            if (!name.contains("*") && !name.contains("?")) {
                if (!Files.isDirectory(path) && !(Files.isRegularFile(path) && isJar(path))) {
                    throw MagicException.failed("No jar or class folder at " + typed + " (looked for " + path + ")."
                            + (Files.isRegularFile(path) ? " %classpath add takes .jar files and folders of classes." : ""));
                }
                return List.of(path);
            }
            List<Path> matches = new ArrayList<>();
            try (DirectoryStream<Path> files = Files.newDirectoryStream(path.getParent(), name)) {
                files.forEach(file -> {
                    if (Files.isRegularFile(file) && isJar(file)) {
                        matches.add(file);
                    }
                });
            } catch (IOException e) {
                throw MagicException.failed("Cannot list " + path.getParent() + " for " + typed + ": " + e.getMessage());
            }
            if (matches.isEmpty()) {
                throw MagicException.failed("No jar matches " + typed + " (in " + path.getParent() + ").");
            }
            matches.sort(null);
            return matches;
        }

        private static boolean isJar(Path path) {
            String name = path.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
            return name.endsWith(".jar") || name.endsWith(".zip");
        }
    }
}

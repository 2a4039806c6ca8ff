package dev.drydock.magics.aml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.files.OutboundFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotTest {

    @TempDir
    Path dir;

    private int trees;

    /** Whether a .gitignore of {@code patterns} leaves {@code path} out of a copy, as JGit's rules decide. */
    private boolean ignored(String patterns, String path, boolean folder) {
        try {
            Path tree = dir.resolve("tree" + trees++);
            write(tree.resolve(".gitignore"), patterns);
            write(folder ? tree.resolve(path).resolve("inside.txt") : tree.resolve(path), "x");
            Path out = dir.resolve("out" + trees);
            OutboundFiles.copy(tree, out, OutboundFiles.Rules.GIT, List.of());
            return !Files.exists(out.resolve(path));
        } catch (IOException | MagicException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void namesMatchAtAnyDepth() {
        assertTrue(ignored("*.pyc", "a.pyc", false));
        assertTrue(ignored("*.pyc", "pkg/sub/a.pyc", false));
        assertTrue(ignored("__pycache__", "pkg/__pycache__", true));
        assertFalse(ignored("*.pyc", "a.py", false));
        assertTrue(ignored(".env*", ".envrc", false), "a * matches dot files too, as in git");
    }

    @Test
    void slashesAnchorToTheIgnoreFilesFolder() {
        assertTrue(ignored("/data", "data", true));
        assertFalse(ignored("/data", "src/data", true));
        assertTrue(ignored("docs/*.md", "docs/a.md", false));
        assertFalse(ignored("docs/*.md", "x/docs/a.md", false));
        assertFalse(ignored("docs/*.md", "docs/sub/a.md", false), "a * does not cross a /");
    }

    @Test
    void trailingSlashMeansFoldersOnly() {
        assertTrue(ignored("build/", "build", true));
        assertFalse(ignored("build/", "build", false));
        assertFalse(ignored("build/", "x/build", false));
        assertTrue(ignored("build/", "a/build", true));
    }

    @Test
    void doubleStars() {
        assertTrue(ignored("**/logs", "logs", true), "a leading **/ also matches at the top");
        assertTrue(ignored("**/logs", "a/b/logs", true));
        assertTrue(ignored("a/**/b", "a/b", true), "a middle /**/ matches no folder as well");
        assertTrue(ignored("a/**/b", "a/x/y/b", true));
        assertTrue(ignored("data/**", "data/x/y.csv", false));
    }

    @Test
    void lastMatchWinsAndNegationReincludes() {
        String patterns = "*.csv\n!keep.csv\n";
        assertTrue(ignored(patterns, "a.csv", false));
        assertFalse(ignored(patterns, "keep.csv", false));
        assertTrue(ignored("!keep.csv\n*.csv\n", "keep.csv", false));
    }

    @Test
    void commentsEscapesAndBraces() {
        assertFalse(ignored("# a.txt\n", "# a.txt", false));
        assertTrue(ignored("\\#a.txt\n", "#a.txt", false));
        assertTrue(ignored("\\!a.txt\n", "!a.txt", false));
        assertTrue(ignored("x{1}.txt\n", "x{1}.txt", false), "braces are literal in git");
        assertTrue(ignored("file[0-9].txt\n", "file7.txt", false));
        assertFalse(ignored("file[!0-9].txt\n", "file7.txt", false));
    }

    @Test
    void copiesWithAmlignoreBeforeGitignoreAndNeverEnv() throws IOException, MagicException {
        Path code = dir.resolve("code");
        write(code.resolve("main.py"), "print(1)");
        write(code.resolve("pkg/util.py"), "x = 1");
        write(code.resolve("pkg/__pycache__/util.cpython.pyc"), "bytes");
        write(code.resolve("data/big.csv"), "1,2");
        write(code.resolve("notes.md"), "notes");
        write(code.resolve(".env"), "TOKEN=secret");
        write(code.resolve("pkg/.env"), "TOKEN=secret");
        write(code.resolve(".git/HEAD"), "ref");
        write(code.resolve("runs/old/job.json"), "{}");
        write(code.resolve(".gitignore"), "*.md\n");
        write(code.resolve(".amlignore"), "__pycache__/\n/data\n");
        Path target = dir.resolve("snapshot/code");

        Snapshot.Copied copied = Snapshot.copy(code, target, code.resolve("runs"));

        assertEquals(new TreeSet<>(List.of(".amlignore", ".gitignore", "main.py", "notes.md", "pkg/util.py")),
                files(target), ".amlignore wins over .gitignore, so notes.md stays");
        assertEquals(".amlignore", copied.ignoreFile());
        assertEquals(List.of(".env", "pkg/.env"), copied.skippedSecrets().stream().sorted().toList());
        assertEquals(5, copied.files());
    }

    @Test
    void gitignoreWhenThereIsNoAmlignore() throws IOException, MagicException {
        Path code = dir.resolve("code");
        write(code.resolve("main.py"), "print(1)");
        write(code.resolve("notes.md"), "notes");
        write(code.resolve(".gitignore"), "*.md\n");
        Snapshot.Copied copied = Snapshot.copy(code, dir.resolve("out"), null);
        assertEquals(new TreeSet<>(List.of(".gitignore", "main.py")), files(dir.resolve("out")));
        assertEquals(".gitignore", copied.ignoreFile());
    }

    @Test
    void noIgnoreFileCopiesEverythingButSecrets() throws IOException, MagicException {
        Path code = dir.resolve("code");
        write(code.resolve("a.txt"), "a");
        Snapshot.Copied copied = Snapshot.copy(code, dir.resolve("out"), null);
        assertNull(copied.ignoreFile());
        assertEquals(1, copied.files());
    }

    @Test
    void missingCodeFolderIsAnError() {
        MagicException e = assertThrows(MagicException.class, () -> Snapshot.copy(dir.resolve("nope"), dir.resolve("o"), null));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private static TreeSet<String> files(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).map(p -> root.relativize(p).toString())
                    .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }
}

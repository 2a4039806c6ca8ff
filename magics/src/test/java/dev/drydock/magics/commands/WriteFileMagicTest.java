package dev.drydock.magics.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.AsUser;
import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteFileMagicTest {

    @TempDir Path dir;

    private Session session;
    private Magics magics;
    private RecordingNotebook notebook;

    private void writefile(String args, String body) throws MagicException {
        if (session == null) {
            session = new Session(dir, Map.of());
            magics = new Magics(session);
            notebook = new RecordingNotebook(session.masker());
        }
        magics.run(new MagicCall("writefile", args, body), notebook);
    }

    private List<String> leftovers() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
        }
    }

    @Test
    void writesOverwritesAndAppendsWithIPythonsMessages() throws Exception {
        writefile("out.txt", "one");
        writefile("out.txt", "two\n");
        writefile("-a out.txt", "three");
        writefile("--append new.txt", "four");
        assertEquals("Writing out.txt\nOverwriting out.txt\nAppending to out.txt\nWriting new.txt\n", notebook.out());
        assertEquals("two\nthree\n", Files.readString(dir.resolve("out.txt")));
        assertEquals("four\n", Files.readString(dir.resolve("new.txt")));
        assertEquals(List.of(), leftovers());
    }

    @Test
    void createsParentFoldersAndKeepsTheNameAsTyped() throws Exception {
        writefile("\"deep/er folder/x.py\"", "print(1)");
        assertEquals("Writing deep/er folder/x.py\n", notebook.out());
        assertEquals("print(1)\n", Files.readString(dir.resolve("deep/er folder/x.py")));
    }

    @Test
    void emptyBodyWritesAnEmptyFile() throws Exception {
        writefile("empty.txt", "");
        assertEquals("", Files.readString(dir.resolve("empty.txt")));
    }

    @Test
    void bodyIsNotExpanded() throws Exception {
        writefile("script.sh", "echo ${HOME} $${X}");
        assertEquals("echo ${HOME} $${X}\n", Files.readString(dir.resolve("script.sh")));
    }

    @Test
    void targetNameIsExpanded() throws Exception {
        writefile("x", "");
        session.setVariable("OUT", "made");
        writefile("${OUT}/y.txt", "y");
        assertTrue(Files.exists(dir.resolve("made/y.txt")));
    }

    @Test
    void overwriteKeepsTheFilesMode() throws Exception {
        Path script = dir.resolve("run.sh");
        Files.writeString(script, "old");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-x---"));
        writefile("run.sh", "new");
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(script)));
    }

    @Test
    void failureLeavesTheOldFileAndNoTempFile() throws Exception {
        // As root no permission is ever denied, so force a failure that hits root too: the target's
        // parent "folder" is a regular file.
        Files.writeString(dir.resolve("blocker"), "I am a file");
        MagicException e = assertThrows(MagicException.class, () -> writefile("blocker/x.txt", "data"));
        assertEquals(MagicException.Kind.MagicError, e.kind());
        assertTrue(e.getMessage().startsWith("Cannot write blocker/x.txt: "), e.getMessage());
        assertTrue(e.getMessage().contains("is a file"), e.getMessage());
        assertEquals("I am a file", Files.readString(dir.resolve("blocker")));
        assertEquals(List.of(), leftovers());
        assertEquals("", notebook.out(), "no Writing message for a file that was not written");
    }

    @Test
    void targetThatIsAFolderFailsCleanly() throws Exception {
        Files.createDirectories(dir.resolve("folder/inside"));
        MagicException e = assertThrows(MagicException.class, () -> writefile("folder", "data"));
        assertTrue(e.getMessage().contains("is a folder"), e.getMessage());
        assertTrue(Files.isDirectory(dir.resolve("folder/inside")));
        assertEquals(List.of(), leftovers());
    }

    @Test
    void unwritableFolderFailsWithAClearParagraph() throws Exception {
        Path locked = Files.createDirectories(dir.resolve("locked"));
        Files.writeString(locked.resolve("keep.txt"), "old");
        if (AsUser.root()) {
            // Root writes anywhere, and CI runs as root: the magic runs as nobody, the owner of the folder.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            AsUser.giveToNobody(dir);
        }
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            String outcome;
            if (AsUser.root()) {
                outcome = AsUser.runAsNobody(WriteFileProbe.class, dir.toString(), "locked/keep.txt", "new");
            } else {
                MagicException e = assertThrows(MagicException.class, () -> writefile("locked/keep.txt", "new"));
                outcome = e.kind() + ": " + e.getMessage();
            }
            assertTrue(outcome.startsWith("MagicError: Cannot write locked/keep.txt: permission denied"), outcome);
            assertEquals("old", Files.readString(locked.resolve("keep.txt")));
            assertEquals(List.of(), leftovers());
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void permissionDeniedIsExplained() {
        Path target = Path.of("/srv/data/out.txt");
        MagicException e = WriteFileMagic.failure("data/out.txt", target, new AccessDeniedException("/srv/data"));
        assertEquals(MagicException.Kind.MagicError, e.kind());
        assertEquals("Cannot write data/out.txt: permission denied on /srv/data. Choose a folder you can write to,"
                + " or fix its permissions (ls -ld /srv/data). An existing data/out.txt is left as it was.", e.getMessage());
    }

    @Test
    void envFileGetsOwnerOnlyModeAndAWarningWhenNotIgnored() throws Exception {
        writefile(".env", "TOKEN=abcdefgh");
        Path env = dir.resolve(".env");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(env)));
        assertEquals("TOKEN=abcdefgh\n", Files.readString(env));
        assertTrue(notebook.err().contains("not ignored by .gitignore or .dockerignore"), notebook.err());
        assertEquals(List.of(), leftovers());
    }

    @Test
    void noWarningWhenBothIgnoreFilesIgnoreIt() throws Exception {
        Files.writeString(dir.resolve(".gitignore"), "target/\n/.env\n");
        Files.writeString(dir.resolve(".dockerignore"), "*.env\n");
        writefile(".env", "A=1");
        assertEquals("", notebook.err());
    }

    @Test
    void noFalseAlarmWhenTheRepositoryRootIgnoresIt() throws Exception {
        Files.createDirectories(dir.resolve(".git"));
        Files.writeString(dir.resolve(".gitignore"), "**/.env\n");
        Files.createDirectories(dir.resolve("notebooks/01-eo"));
        Files.writeString(dir.resolve("notebooks/01-eo/.dockerignore"), ".env\n");
        writefile("notebooks/01-eo/.env", "A=1");
        assertEquals("", notebook.err(), "git check-ignore says the root's .gitignore ignores it");

        Files.writeString(dir.resolve("notebooks/.gitignore"), "!.env\n");
        writefile("notebooks/01-eo/.env", "A=1");
        assertTrue(notebook.err().contains("not ignored by .gitignore (any up to the repository root " + dir), notebook.err());
    }

    @Test
    void warningNamesOnlyTheFileThatDoesNotIgnoreIt() throws Exception {
        Files.writeString(dir.resolve(".gitignore"), ".env*\n");
        writefile(".env", "A=1");
        assertTrue(notebook.err().contains("not ignored by .dockerignore in"), notebook.err());
    }

    @Test
    void filesGetTheCellAsTypedWithAWarningForSecretValues() throws Exception {
        writefile("seed.txt", "");
        session.setSecret("API_KEY", "sk-live-123456");
        session.setVariable("DOCKER_USERNAME", "georgedockeraccount");
        writefile("config.yaml", "key: sk-live-123456\nimage: georgedockeraccount/ss:1");
        assertEquals("key: sk-live-123456\nimage: georgedockeraccount/ss:1\n", Files.readString(dir.resolve("config.yaml")));
        assertTrue(notebook.err().contains("Warning: config.yaml holds 1 secret value (written as typed)"), notebook.err());
        assertFalse(notebook.err().contains("sk-live-123456"), notebook.err());

        writefile(".env.local", "API_KEY=sk-live-123456");
        assertEquals("API_KEY=sk-live-123456\n", Files.readString(dir.resolve(".env.local")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(".env.local"))));
    }

    @Test
    void envFileNames() {
        assertTrue(WriteFileMagic.isEnvFile(".env"));
        assertTrue(WriteFileMagic.isEnvFile(".env.prod"));
        assertTrue(WriteFileMagic.isEnvFile("prod.env"));
        assertFalse(WriteFileMagic.isEnvFile("environment.yml"));
        assertFalse(WriteFileMagic.isEnvFile("envfile"));
    }

    @Test
    void missingFileArgumentIsAUsageError() {
        MagicException e = assertThrows(MagicException.class, () -> writefile("", "x"));
        assertEquals(MagicException.Kind.UsageError, e.kind());
        assertTrue(e.getMessage().contains("Missing required parameter: 'FILE'"), e.getMessage());
    }

    @Test
    void followsASymlinkInsteadOfReplacingIt() throws Exception {
        Path real = dir.resolve("real.txt");
        Files.writeString(real, "old");
        Files.createSymbolicLink(dir.resolve("link.txt"), real);
        writefile("link.txt", "new");
        assertTrue(Files.isSymbolicLink(dir.resolve("link.txt")));
        assertEquals("new\n", Files.readString(real));
    }
}

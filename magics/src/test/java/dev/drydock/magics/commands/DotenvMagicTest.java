package dev.drydock.magics.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DotenvMagicTest {

    @TempDir Path dir;

    private Session session;
    private Magics magics;
    private RecordingNotebook notebook;

    @BeforeEach
    void setUp() {
        session = new Session(dir, Map.of("USER", "process-user"));
        magics = new Magics(session);
        notebook = new RecordingNotebook(session.masker());
    }

    private void line(String name, String args) throws MagicException {
        magics.run(new MagicCall(name, args, null), notebook);
    }

    @Test
    void reportsNamesNeverValuesAndMasksThem() throws Exception {
        Files.writeString(dir.resolve(".env"), "API_KEY=sk-abcdef123\n# comment\nDB_PASS=\"hunter2 hunter2\"\nDEBUG=1\n");
        line("dotenv", "");
        assertEquals("Loaded 3 variables from .env: API_KEY, DB_PASS, DEBUG\n"
                + "Secret (masked as ****): API_KEY. Change with --secret NAME or --public NAME.\n", notebook.out());
        assertEquals(Optional.of("hunter2 hunter2"), session.variable("DB_PASS"));
        // DB_PASS does not say PASSWORD: a setting unless marked.
        assertEquals("**** and hunter2 hunter2", session.masker().mask("sk-abcdef123 and hunter2 hunter2"));

        line("setenv", "ECHO=${API_KEY}");
        assertFalse(notebook.out().contains("sk-abcdef123"), notebook.out());
        assertTrue(notebook.out().endsWith("env: ECHO=****\n"), notebook.out());
    }

    @Test
    void keepsNamesAlreadySetUnlessOverride() throws Exception {
        Files.writeString(dir.resolve("prod.env"), "USER=env-user\nNEW_ONE=value-1\n");
        line("dotenv", "prod.env --secret USER");
        assertEquals(Optional.of("process-user"), session.variable("USER"));
        assertEquals("Loaded 1 variable from prod.env: NEW_ONE\n"
                + "Secret (masked as ****): USER. Change with --secret NAME or --public NAME.\n"
                + "Kept the value already set for USER (use --override to replace it).\n", notebook.out());
        // A kept value is still a secret that came from a .env.
        assertEquals("****", session.masker().mask("env-user"));

        line("dotenv", "prod.env --override");
        assertEquals(Optional.of("env-user"), session.variable("USER"));
        assertTrue(notebook.out().endsWith("Loaded 2 variables from prod.env: USER, NEW_ONE\n"), notebook.out());
    }

    @Test
    void loadedValuesReachExpansionAndSubprocesses() throws Exception {
        Files.writeString(dir.resolve(".env"), "REGION=westeurope\n");
        line("dotenv", "");
        assertEquals("westeurope", session.expand("${REGION}"));
        assertEquals("westeurope", session.subprocessEnvironment().get("REGION"));
    }

    @Test
    void missingFileIsAClearError() {
        MagicException e = assertThrows(MagicException.class, () -> line("dotenv", "nope.env"));
        assertEquals(MagicException.Kind.MagicError, e.kind());
        assertTrue(e.getMessage().startsWith("No such file: nope.env (looked for " + dir.resolve("nope.env")),
                e.getMessage());
    }

    @Test
    void malformedLineIsNamedWithoutItsValue() throws Exception {
        Files.writeString(dir.resolve(".env"), "GOOD=1\n\nBROKEN=\"secretvalue99\nLATER=2\n");
        MagicException e = assertThrows(MagicException.class, () -> line("dotenv", ""));
        assertTrue(e.getMessage().startsWith("Cannot load .env: line 3 cannot be read as NAME=VALUE"), e.getMessage());
        assertFalse(e.getMessage().contains("secretvalue99"), e.getMessage());
        assertEquals(Optional.empty(), session.variable("GOOD"), "nothing is loaded from a broken file");
    }

    @Test
    void pythonDotenvSyntaxSecretsByNameAndSettingsInClear() throws Exception {
        Files.writeString(dir.resolve(".env"), "export DOCKER_USERNAME=georgedockeraccount\n"
                + "DOCKER_PASSWORD='s3cr#t pa ss'\nREGISTRY=127.0.0.1:5000 # local\nIMAGE=\"${REGISTRY}/ss\"\nBARE\n");
        line("dotenv", "");
        assertEquals("Loaded 4 variables from .env: DOCKER_USERNAME, DOCKER_PASSWORD, REGISTRY, IMAGE\n"
                + "Secret (masked as ****): DOCKER_PASSWORD. Change with --secret NAME or --public NAME.\n"
                + "Skipped line 5: a name without =VALUE sets nothing, as in python-dotenv.\n", notebook.out());
        assertEquals(Optional.of("s3cr#t pa ss"), session.variable("DOCKER_PASSWORD"));
        assertEquals(Optional.of("127.0.0.1:5000/ss"), session.variable("IMAGE"));
        assertEquals("georgedockeraccount at 127.0.0.1:5000 with ****",
                session.masker().mask("georgedockeraccount at 127.0.0.1:5000 with s3cr#t pa ss"));
    }

    @Test
    void publicAndSecretOverrideTheName() throws Exception {
        Files.writeString(dir.resolve(".env"), "TOKEN_URL=https://login.example/token\nOWNER=someone-private\n");
        line("dotenv", "--public TOKEN_URL --secret OWNER,MISSING");
        assertEquals("https://login.example/token ****", session.masker().mask("https://login.example/token someone-private"));
        assertTrue(notebook.out().contains("Secret (masked as ****): OWNER."), notebook.out());
        assertTrue(notebook.out().contains("Not in .env: MISSING."), notebook.out());
        assertThrows(MagicException.class, () -> line("dotenv", "--public OWNER --secret OWNER"));
    }

    @Test
    void emptyFileLoadsNothing() throws Exception {
        Files.writeString(dir.resolve(".env"), "# nothing yet\n");
        line("dotenv", "");
        assertEquals("Loaded 0 variables from .env.\n", notebook.out());
    }
}

package dev.drydock.magics.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.engine.Docker;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The family's wiring in the kernel's registry; nothing here needs an engine. */
class EnvMagicTest {

    @TempDir
    Path dir;

    private RecordingNotebook run(Magics magics, String args) throws MagicException {
        RecordingNotebook notebook = new RecordingNotebook();
        magics.run(new MagicCall("env", args, null), notebook);
        return notebook;
    }

    @Test
    void isRegisteredAndAnswersHelpWithTheEnvironmentsYmlSchema() throws Exception {
        Magics magics = new Magics(new Session(dir));
        assertTrue(magics.list().stream().anyMatch(m -> m.name().equals("env") && !m.cellMagic()));
        String help = run(magics, "build --help").out();
        assertTrue(help.contains("%env build"), help);
        assertTrue(help.contains("      secrets: [PIP_INDEX_URL]"), help);
        assertTrue(help.contains("--locked"), help);
        for (String sub : new String[] {"ls", "show", "verify", "lock", "diff", "push"}) {
            assertTrue(run(magics, sub + " --help").out().startsWith("Usage: %env " + sub), sub);
        }
    }

    @Test
    void aBareFamilyOrSpecOptionsWithoutABaseAreUsageErrors() {
        Magics magics = new Magics(new Session(dir));
        MagicException typo = assertThrows(MagicException.class, () -> run(magics, "buld train"));
        assertEquals(MagicException.Kind.UsageError, typo.kind());
        assertTrue(typo.getMessage().startsWith("Unknown subcommand buld: use build, ls,"), typo.getMessage());
        // No engine is reached: the options are checked first.
        Magics offline = new Magics(new Session(dir), java.util.List.of(EnvMagic.class),
                java.util.List.of(new Docker(() -> {
                    throw MagicException.failed("no engine in this test");
                }), new ImageBuilder(), new dev.drydock.magics.registry.RegistryCredentials()));
        MagicException noBase = assertThrows(MagicException.class, () -> run(offline, "build train --pip r.txt"));
        assertEquals(MagicException.Kind.UsageError, noBase.kind());
        assertTrue(noBase.getMessage().contains("together with --base IMAGE"), noBase.getMessage());
        MagicException missing = assertThrows(MagicException.class,
                () -> run(offline, "build train --base python:3.11 --pip nowhere.txt"));
        assertTrue(missing.getMessage().contains(dir.resolve("nowhere.txt") + " (the options of %env build)"),
                missing.getMessage());
    }

    @Test
    void ipythonsEnvSetsEmptiesShowsAndListsVariablesThatShellCommandsSee() throws Exception {
        Session session = new Session(dir, java.util.Map.of("PATH", System.getenv("PATH"), "HOST_API_TOKEN", "t0k3n-host"));
        Magics magics = new Magics(session);
        assertEquals("env: FOO=bar\n", run(magics, "FOO=bar").out());
        assertEquals("bar\n", run(magics, "FOO").out());
        RecordingNotebook shell = new RecordingNotebook();
        magics.shell("echo \"[$FOO]\"", shell);
        assertEquals("[bar]\n", shell.out());
        assertEquals("env: FOO=\n", run(magics, "FOO=").out());
        RecordingNotebook emptied = new RecordingNotebook();
        magics.shell("echo \"[$FOO]\"", emptied);
        assertEquals("[]\n", emptied.out());
        assertEquals("env: GREETING=a=b c\n", run(magics, "'GREETING=a=b c'").out());

        String listed = run(magics, "").out();
        assertTrue(listed.contains("FOO=\n") && listed.contains("GREETING=a=b c\n"), listed);
        assertTrue(listed.contains("HOST_API_TOKEN=<hidden>\n") && !listed.contains("t0k3n-host"), listed);

        MagicException unset = assertThrows(MagicException.class, () -> run(magics, "NEVER_SET"));
        assertTrue(unset.getMessage().startsWith("Environment does not have key: NEVER_SET"), unset.getMessage());
        assertEquals(MagicException.Kind.UsageError, assertThrows(MagicException.class, () -> run(magics, "1X=2")).kind());
        assertTrue(run(magics, "ls --help").out().startsWith("Usage: %env ls"), "subcommands keep their names");
        assertEquals(List.of("build"), magics.complete("%env bu", 7).matches(), "Tab still offers the subcommands");
        assertTrue(magics.complete("%env build x --dock", 19).matches().contains("--dockerfile"));
    }
}

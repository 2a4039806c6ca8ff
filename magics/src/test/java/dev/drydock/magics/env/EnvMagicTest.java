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
        MagicException bare = assertThrows(MagicException.class, () -> run(magics, ""));
        assertEquals(MagicException.Kind.UsageError, bare.kind());
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
}

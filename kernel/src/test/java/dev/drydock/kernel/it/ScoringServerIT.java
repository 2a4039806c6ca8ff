package dev.drydock.kernel.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scoring server of docker/score/ (the one notebooks/03-score.ipynb runs in a container), tested by its
 * Python unittest module over real HTTP: valid requests, malformed JSON, wrong shapes, a script that raises,
 * health before and after init(), the size limit and a graceful SIGTERM.
 */
class ScoringServerIT {

    @TempDir
    Path temp;

    @Test
    void scoringServerPassesItsPythonTests() throws Exception {
        JupyterHarness.Result result = JupyterHarness.install(temp).unittest("score_server_test", 120);
        assertEquals(0, result.exitCode(), "the scoring server's tests failed:\n" + result.output());
        // unittest prints "OK" only when every test ran and passed; a module that found no tests says "Ran 0".
        assertTrue(result.output().matches("(?s).*\\nRan (\\d{2,}) tests? in .*\\nOK\\s*$"), result.output());
    }
}

package dev.drydock.kernel.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scoring server of docker/score/ (the one notebooks/03-score.ipynb runs in a container), tested by its
 * Python unittest module over real HTTP: valid requests, malformed JSON, wrong shapes, a script that raises,
 * health before and after init(), the size limit and a graceful SIGTERM. Also the dependency walk that
 * makes its image slim (runtime_closure.py), on this machine's dpkg database.
 */
@Tag("integration")
class ScoringServerIT {

    @TempDir
    Path temp;

    @Test
    void scoringServerPassesItsPythonTests() throws Exception {
        assertPasses("score_server_test");
    }

    @Test
    void theSlimImagesDependencyWalkPassesItsPythonTests() throws Exception {
        assertPasses("runtime_closure_test");
    }

    private void assertPasses(String module) throws Exception {
        JupyterHarness.Result result = JupyterHarness.install(temp).unittest(module, 120);
        assertEquals(0, result.exitCode(), module + " failed:\n" + result.output());
        // unittest prints "OK" only when every test ran and passed (no skips); one that found no tests says "Ran 0".
        assertTrue(result.output().matches("(?s).*\\nRan ([1-9]\\d*) tests? in .*\\nOK\\s*$"), result.output());
    }
}

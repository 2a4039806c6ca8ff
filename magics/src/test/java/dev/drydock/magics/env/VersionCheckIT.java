package dev.drydock.magics.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.engine.Docker;
import dev.drydock.magics.registry.RegistryCredentials;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PEP 440 as pip decides it, inside a real image ({@code drydock/python:bookworm}, whose Python has pip's
 * vendored {@code packaging}): the cases the hand-written checker got wrong, and the rest of the rules.
 */
@Tag("integration")
@Tag("docker")
class VersionCheckIT {

    @TempDir
    Path dir;

    /** spec, installed version, whether packaging accepts it. */
    private static final Object[][] TABLE = {
        {"==2.1.0+cu121", "2.1.0+cpu", false},  // a CPU build of torch against a CUDA pin
        {"==2.1.0+cu121", "2.1.0+cu121", true},
        {"==2.1.0", "2.1.0+cpu", true},          // a pin without a local label accepts any local build
        {"==1.0", "1!1.0", false},               // epochs
        {">=2.0", "1!0.5", true},
        {"<2.0", "2.0rc1", false},               // < excludes pre-releases of the version itself
        {">=1.0", "1.0.dev1", false},            // dev releases sort before the release
        {">1.0", "1.0.post1", false},            // > excludes post-releases of the version itself
        {">=1.0", "1.0.post1", true},
        {"<=2.0", "2.0.post1", false},
        {"~=2.2", "2.9", true},                  // compatible release
        {"~=2.2", "3.0", false},
        {"~=1.4.5", "1.4.9", true},
        {"~=1.4.5", "1.5.0", false},
        {"!=1.1.*", "1.1.3", false},             // wildcards
        {"!=1.1.*", "1.2", true},
        {"==1.1.*", "1.1.0a1", true},
        {"==1.0", "1.0.0", true},                // zero padding
        {"===1.0", "1.0.0", false},              // arbitrary equality compares strings
        {"==1.0rc1", "1.0c1", true},             // normalized spellings
        {">=1.0,<2.0", "1.5", true},
        {">=1.0,<2.0", "2.0", false},
    };

    @Test
    void theImagesOwnPackagingDecidesEveryCaseOfTheTable() throws Exception {
        Docker docker = new Docker();
        try {
            Session session = new Session(dir);
            Environments environments = new Environments(session, docker.engine(), new ImageBuilder(),
                    new RegistryCredentials());
            List<VersionCheck.Question> questions = new ArrayList<>();
            for (Object[] row : TABLE) {
                questions.add(new VersionCheck.Question(Pin.Manager.PIP, (String) row[0], (String) row[1]));
            }
            // Conda's "=1.2" is "1.2 or 1.2.*", never 1.20.
            questions.add(new VersionCheck.Question(Pin.Manager.CONDA, "=1.2", "1.2.5"));
            questions.add(new VersionCheck.Question(Pin.Manager.CONDA, "=1.2", "1.20"));
            questions.add(new VersionCheck.Question(Pin.Manager.APT, "=23.0.1+dfsg-1", "23.0.1+dfsg-1"));
            VersionCheck.Answers answers = VersionCheck.decide(questions,
                    script -> environments.capture("drydock/python:bookworm", script, new RecordingNotebook()));
            assertTrue(answers.decidedBy().contains("packaging"), answers.decidedBy());
            for (int i = 0; i < TABLE.length; i++) {
                assertEquals(TABLE[i][2], answers.ok().get(i), TABLE[i][0] + " against " + TABLE[i][1] + " "
                        + answers.notes().get(i));
            }
            assertEquals(List.of(true, false, true), answers.ok().subList(TABLE.length, TABLE.length + 3));
            // Something that is no version at all is a mismatch that says why, not an exception.
            VersionCheck.Answers bad = VersionCheck.decide(List.of(new VersionCheck.Question(Pin.Manager.PIP,
                    "==1.0", "not a version")), script -> environments.capture("drydock/python:bookworm", script,
                    new RecordingNotebook()));
            assertEquals(List.of(false), bad.ok());
            assertTrue(bad.notes().get(0).startsWith("InvalidVersion"), bad.notes().get(0));
        } finally {
            docker.close();
        }
    }
}

package dev.drydock.magics.env;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.env.Pin.Manager;
import org.junit.jupiter.api.Test;

class EnvVersionsTest {

    @Test
    void comparesByPep440() {
        assertTrue(Versions.compare("1.10", "1.9") > 0);
        assertTrue(Versions.compare("1.0", "1.0.0") == 0);
        assertTrue(Versions.compare("1.0a1", "1.0") < 0);
        assertTrue(Versions.compare("1.0rc1", "1.0b2") > 0);
        assertTrue(Versions.compare("1.0.post1", "1.0") > 0);
        assertTrue(Versions.compare("1.0.dev1", "1.0a1") < 0);
        assertTrue(Versions.compare("2!0.1", "9.9") > 0);
    }

    @Test
    void pipSpecifiers() {
        assertTrue(Versions.satisfies(Manager.PIP, "==23.0.1", "23.0.1"));
        assertFalse(Versions.satisfies(Manager.PIP, "==23.0", "23.0.1"));
        assertTrue(Versions.satisfies(Manager.PIP, "==23.0.*", "23.0.1"));
        assertTrue(Versions.satisfies(Manager.PIP, ">=1.3,<1.5", "1.4.2"));
        assertFalse(Versions.satisfies(Manager.PIP, ">=1.3,<1.5", "1.5"));
        assertTrue(Versions.satisfies(Manager.PIP, "~=2.31", "2.32.3"));
        assertFalse(Versions.satisfies(Manager.PIP, "~=2.31", "3.0"));
        assertTrue(Versions.satisfies(Manager.PIP, "!=1.0", "1.1"));
        assertTrue(Versions.satisfies(Manager.PIP, "", "0.1"));
        assertFalse(Versions.satisfies(Manager.PIP, "", null));
    }

    @Test
    void condaFuzzyAndExactPins() {
        assertTrue(Versions.satisfies(Manager.CONDA, "=3.11", "3.11.9"));
        assertFalse(Versions.satisfies(Manager.CONDA, "=3.1", "3.11.9"));
        assertTrue(Versions.satisfies(Manager.CONDA, "==1.26.4", "1.26.4"));
        assertFalse(Versions.satisfies(Manager.CONDA, "==1.26", "1.26.4"));
        assertTrue(Versions.satisfies(Manager.CONDA, ">=1.20", "1.26.4"));
    }

    @Test
    void aptPinsAreExactDebianVersions() {
        assertTrue(Versions.satisfies(Manager.APT, "=23.0.1+dfsg-1", "23.0.1+dfsg-1"));
        assertFalse(Versions.satisfies(Manager.APT, "=23.0.1+dfsg-2", "23.0.1+dfsg-1"));
        assertTrue(Versions.satisfies(Manager.APT, "", "1"));
    }

    @Test
    void pipNamesNormalize() {
        assertTrue(Pin.pip("Scikit_Learn.Extra==1").orElseThrow().name().equals("scikit-learn-extra"));
        assertTrue(Pin.pip("--index-url https://x").isEmpty());
        assertTrue(Pin.pip("pkg @ https://x/pkg.whl").isEmpty());
    }
}

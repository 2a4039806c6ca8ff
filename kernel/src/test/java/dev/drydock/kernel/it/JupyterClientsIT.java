package dev.drydock.kernel.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel as Jupyter's own clients see it: the official conformance suite and protocol probes. */
@Tag("integration")
class JupyterClientsIT {

    @TempDir
    static Path temp;

    static JupyterHarness jupyter;

    @BeforeAll
    static void install() throws Exception {
        jupyter = JupyterHarness.install(temp);
        JupyterHarness.requirePythonModule("jupyter_kernel_test", "python3-jupyter-kernel-test");
    }

    @Test
    void installRecordsAClassDataSharingArchiveForFastStartup() throws Exception {
        Path kernelDir = temp.resolve("prefix/share/jupyter/kernels/drydock");
        String spec = java.nio.file.Files.readString(kernelDir.resolve("kernel.json"));

        assertTrue(java.nio.file.Files.size(kernelDir.resolve("drydock.jsa")) > 1_000_000, "archive too small");
        assertTrue(spec.contains("-XX:SharedArchiveFile=" + kernelDir.resolve("drydock.jsa")), spec);
    }

    @Test
    void officialConformanceSuitePassesWithNothingSkipped() {
        JupyterHarness.Result result = jupyter.unittest("conformance", 600);

        assertEquals(0, result.exitCode(), "jupyter_kernel_test failed:\n" + result.output());
        Matcher ran = Pattern.compile("Ran (\\d+) tests?").matcher(result.output());
        assertTrue(ran.find(), result.output());
        assertTrue(Integer.parseInt(ran.group(1)) >= 12, "the suite ran only " + ran.group(1) + " tests");
        assertFalse(result.output().contains("skipped"), "a conformance test was skipped:\n" + result.output());
    }

    @Test
    void protocolProbesThroughJupyterClient() {
        JupyterHarness.Result result = jupyter.unittest("probes", 600);

        assertEquals(0, result.exitCode(), "protocol probes failed:\n" + result.output());
        assertFalse(result.output().contains("skipped"), result.output());
    }

    @Test
    void systemExitEndsTheCellNotTheKernel() {
        JupyterHarness.Result result = jupyter.unittest("exits", 300);

        assertEquals(0, result.exitCode(), "exit probes failed:\n" + result.output());
    }

    /** JDK 24 removed the SecurityManager; the guard must not depend on it. */
    @Test
    void systemExitEndsTheCellNotTheKernelOnJava25() throws Exception {
        Path java25 = Path.of(System.getProperty("drydock.java25", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin", "java");
        assertTrue(java.nio.file.Files.isExecutable(java25), "no Java 25 at " + java25 + " (-Ddrydock.java25=JAVA_HOME)");
        JupyterHarness on25 = JupyterHarness.install(temp.resolve("prefix-25"), java25);

        JupyterHarness.Result result = on25.unittest("exits", 300);

        assertEquals(0, result.exitCode(), "exit probes on Java 25 failed:\n" + result.output());
    }

    @Test
    void theKernelDiesWithItsParentAndShutsDownCleanlyOnSigterm() {
        JupyterHarness.requirePythonModule("psutil", "python3-psutil");
        JupyterHarness.Result result = jupyter.unittest("lifeline", 300);

        assertEquals(0, result.exitCode(), "lifeline probes failed:\n" + result.output());
    }
}

package dev.drydock.magics.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.RecordingNotebook;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import dev.drydock.magics.render.Table;

/** Verification tables, package diffs, the package listing from inside an image and the build progress. */
class EnvReportsTest {

    @Test
    void parsesThePackageListingFromInsideAnImage() throws Exception {
        Map<Pin.Manager, Map<String, String>> packages = Environments.parsePackages("""
                @@pip
                [{"name": "Drydock_Dummy", "version": "1.0"}, {"name": "pip", "version": "23.0.1"}]

                @@conda

                @@dpkg
                python3-pip\t23.0.1+dfsg-1
                """);
        assertEquals(Map.of("drydock-dummy", "1.0", "pip", "23.0.1"), packages.get(Pin.Manager.PIP));
        assertEquals(Map.of(), packages.get(Pin.Manager.CONDA));
        assertEquals(Map.of("python3-pip", "23.0.1+dfsg-1"), packages.get(Pin.Manager.APT));
    }

    @Test
    void verificationMarksMismatchesAndMissingPackages() throws Exception {
        Map<Pin.Manager, Map<String, String>> packages = Map.of(
                Pin.Manager.PIP, Map.of("pip", "23.0.1", "numpy", "1.26.4"),
                Pin.Manager.APT, Map.of("curl", "7.88.1-10"));
        List<Verification.Row> rows = Verification.check(List.of(
                new Pin(Pin.Manager.PIP, "pip", "==23.0.1"),
                new Pin(Pin.Manager.PIP, "numpy", "==1.25.0"),
                new Pin(Pin.Manager.PIP, "pandas", ""),
                new Pin(Pin.Manager.APT, "curl", ""),
                new Pin(Pin.Manager.APT, "curl", "=7.88.1-9")), packages, EnvReportsTest::hostShell).rows();
        assertEquals(List.of(
                List.of("pip", "pip", "==23.0.1", "23.0.1", "ok"),
                List.of("pip", "numpy", "==1.25.0", "1.26.4", "MISMATCH"),
                List.of("pip", "pandas", "any", "missing", "MISSING"),
                List.of("apt", "curl", "any", "7.88.1-10", "ok"),
                List.of("apt", "curl", "=7.88.1-9", "7.88.1-10", "MISMATCH")), Verification.cells(rows));
    }

    /** The version check's script run by this machine's Python (an image's, in VersionCheckIT). */
    static String hostShell(String script) throws dev.drydock.magics.MagicException {
        try {
            Process process = new ProcessBuilder("/bin/sh", "-c", script).redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            process.waitFor();
            return out;
        } catch (java.io.IOException | InterruptedException e) {
            throw dev.drydock.magics.MagicException.failed(e.toString());
        }
    }

    @Test
    void diffListsOnlyDifferences() {
        var a = Map.of(Pin.Manager.PIP, Map.of("pip", "23.0.1", "x", "1.0"));
        var b = Map.of(Pin.Manager.PIP, Map.of("pip", "23.0.1", "x", "2.0", "y", "0.1"));
        assertEquals(List.of(List.of("pip", "x", "1.0", "2.0"), List.of("pip", "y", "—", "0.1")), Verification.diff(a, b));
    }

    @Test
    void tablesRenderAsTextAndEscapedHtml() {
        Map<String, Object> bundle = new Table(List.of("name", "tag", "size"),
                List.of(List.of("a<b", "drydock/a:1"))).bundle();
        assertEquals("name  tag          size\na<b   drydock/a:1\n", bundle.get("text/plain"));
        assertTrue(((String) bundle.get("text/html")).contains("<td>a&lt;b</td>"));
    }

    @Test
    void buildProgressIsOneDisplayWithStepsAndAFailureNamesTheStepAndItsLastLines() {
        RecordingNotebook notebook = new RecordingNotebook();
        try (BuildLog log = new BuildLog("train (drydock/train:abc)", notebook)) {
            log.append("Step 1/3 : FROM drydock/python:bookworm\n ---> 66652f8d6eaa\nStep 2/3 : RUN ech");
            log.append("o hi && exit 3\n ---> Running in 1234\nhi\n");
            assertEquals(2, log.step());
            assertEquals(3, log.steps());
            MagicException e = log.failure("The command '/bin/sh -c echo hi && exit 3' returned a non-zero code: 3");
            assertEquals("train (drydock/train:abc) failed at step 2 of 3 (RUN echo hi && exit 3): The command"
                    + " '/bin/sh -c echo hi && exit 3' returned a non-zero code: 3\nLast lines of the step:\n"
                    + "   ---> Running in 1234\n  hi", e.getMessage());
            assertTrue(log.fullLog().startsWith("Step 1/3 : FROM"));
        }
        List<RecordingNotebook.Display> displays = notebook.displays();
        String id = displays.get(0).displayId();
        assertTrue(displays.stream().allMatch(d -> d.displayId().equals(id)), "one display, updated in place");
        assertEquals(1, displays.stream().filter(d -> !d.update()).count());
        String last = (String) displays.get(displays.size() - 1).bundle().get("text/plain");
        assertTrue(last.startsWith("Failed train (drydock/train:abc) — step 2 of 3: RUN echo hi && exit 3 ("), last);
    }

    @Test
    void buildKitPlainProgressCountsStepsToo() {
        RecordingNotebook notebook = new RecordingNotebook();
        try (BuildLog log = new BuildLog("x", notebook)) {
            log.append("#1 [internal] load build definition from Dockerfile\n#5 [2/4] COPY pip/ /tmp/drydock/pip/\n");
            log.append("#6 [3/4] RUN --mount=type=secret,id=PIP_INDEX_URL cd /tmp/drydock/pip\n#6 0.3 Looking in indexes\n");
            assertEquals(3, log.step());
            assertEquals(4, log.steps());
        }
    }

    @Test
    void lockReadsItsSectionsAndNamesOutputWithoutThem() throws Exception {
        EnvMagic.Lock.Captured both = EnvMagic.Lock.Captured.parse("img", "@@freeze\nx==1\ny==2\n@@explicit\n@EXPLICIT\nhttps://c/x\n");
        assertEquals("x==1\ny==2", both.freeze());
        assertEquals("@EXPLICIT\nhttps://c/x", both.explicit());
        assertEquals(new EnvMagic.Lock.Captured("", ""), EnvMagic.Lock.Captured.parse("img", "@@freeze\n@@explicit\n"));
        // Each of these threw StringIndexOutOfBoundsException from substring before.
        for (String out : List.of("", "@@freeze\nx==1\n", "@@explicit\n@@freeze\n", "sh: echo: not found\n")) {
            dev.drydock.magics.MagicException e = org.junit.jupiter.api.Assertions.assertThrows(
                    dev.drydock.magics.MagicException.class, () -> EnvMagic.Lock.Captured.parse("drydock/x:1", out));
            assertTrue(e.getMessage().startsWith("Reading the packages inside drydock/x:1 gave unexpected output"),
                    e.getMessage());
        }
    }
}

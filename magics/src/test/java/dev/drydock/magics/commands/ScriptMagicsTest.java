package dev.drydock.magics.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.RecordingNotebook.Chunk;
import dev.drydock.magics.RecordingNotebook.Stream;
import dev.drydock.magics.Session;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScriptMagicsTest {

    @TempDir Path dir;

    private Session session;
    private Magics magics;
    private RecordingNotebook notebook;

    private void cell(String name, String args, String body) throws MagicException {
        if (session == null) {
            session = new Session(dir, Map.of("PATH", "/usr/bin:/bin", "FROM_PROCESS", "p"));
            magics = new Magics(session);
            notebook = new RecordingNotebook(session.masker());
        }
        magics.run(new MagicCall(name, args, body), notebook);
    }

    @Test
    void bashRunsInTheWorkingDirectoryWithSessionVariables() throws Exception {
        cell("bash", "", "true");
        session.setVariable("MINE", "m");
        cell("bash", "", "echo \"$PWD $FROM_PROCESS $MINE\"; echo oops >&2");
        assertEquals(dir.toRealPath() + " p m\n", notebook.out());
        assertEquals("oops\n", notebook.err());
    }

    @Test
    void shIsPosixShell() throws Exception {
        cell("sh", "", "readlink -f /proc/$$/exe");
        assertEquals(java.nio.file.Path.of("/bin/sh").toRealPath() + "\n", notebook.out());
    }

    @Test
    void aBodyOverTheArgumentLimitRuns() throws Exception {
        cell("bash", "", "echo start\n: " + "x".repeat(200_000) + "\necho done");
        assertEquals("start\ndone\n", notebook.out());
    }

    @Test
    void outputStreamsBeforeTheProcessEnds() throws Exception {
        cell("bash", "", "true");
        // The script waits for a file the test creates only after it has seen the first line: no clock involved.
        CompletableFuture<MagicException> run = CompletableFuture.supplyAsync(() -> {
            try {
                cell("bash", "", "echo a; while [ ! -e go ]; do sleep 0.05; done; echo b");
                return null;
            } catch (MagicException e) {
                return e;
            }
        });
        waitFor(() -> notebook.out().equals("a\n"));
        Files.createFile(dir.resolve("go"));
        assertNull(run.get(60, TimeUnit.SECONDS));
        assertEquals("a\nb\n", notebook.out());
        List<Chunk> out = notebook.chunks().stream().filter(c -> c.stream() == Stream.OUT).toList();
        assertEquals("a\n", out.get(0).text(), "the first line comes as its own chunk");
    }

    @Test
    void outputWithoutNewlineStreamsToo() throws Exception {
        cell("bash", "", "true");
        CompletableFuture<MagicException> run = CompletableFuture.supplyAsync(() -> {
            try {
                cell("bash", "", "printf 'progress 50%%'; while [ ! -e go ]; do sleep 0.05; done; printf ' 100%%\\n'");
                return null;
            } catch (MagicException e) {
                return e;
            }
        });
        waitFor(() -> notebook.out().equals("progress 50%"));
        Files.createFile(dir.resolve("go"));
        assertNull(run.get(60, TimeUnit.SECONDS));
        assertEquals("progress 50%", notebook.chunks().get(0).text());
        assertEquals("progress 50% 100%\n", notebook.out());
    }

    @Test
    void largeOutputArrivesWhole() throws Exception {
        cell("bash", "", "seq 1 200000");
        String out = notebook.out();
        assertEquals(200000, out.lines().count());
        assertTrue(out.endsWith("\n199999\n200000\n"));
    }

    @Test
    void secretsAreNotCutInTwoBetweenChunks() throws Exception {
        cell("bash", "", "true");
        session.setSecret("TOKEN", "tok-0123456789-abcdefghij");
        // Far more than one read buffer, so lines straddle buffer boundaries; masking is per chunk.
        cell("bash", "", "for i in $(seq 1 5000); do echo \"line $i $TOKEN\"; done");
        String out = notebook.out();
        assertEquals(5000, out.lines().count());
        assertEquals(5000, out.lines().filter(l -> l.endsWith(" ****")).count());
    }

    @Test
    void nonZeroExitIsAnErrorAfterTheOutput() {
        MagicException e = assertThrows(MagicException.class, () -> cell("bash", "", "echo before; exit 3"));
        assertEquals(MagicException.Kind.MagicError, e.kind());
        assertEquals("Command exited with status 3.", e.getMessage());
        assertEquals("before\n", notebook.out());
    }

    @Test
    void noRaiseErrorKeepsQuiet() throws Exception {
        cell("bash", "--no-raise-error", "echo before; exit 4");
        assertEquals("before\n", notebook.out());
        assertEquals("", notebook.err(), "a failed status is neither raised nor reported");
        assertTrue(notebook.displays().isEmpty(), "nothing else shown");
    }

    @Test
    void stdinIsEmptySoReadDoesNotHang() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> cell("bash", "", "read x; echo \"got[$x]\""));
        assertEquals("got[]\n", notebook.out());
    }

    @Test
    void secretsInOutputAreMaskedByTheNotebook() throws Exception {
        cell("bash", "", "true");
        session.setSecret("TOKEN", "tok-abcdef-99");
        cell("bash", "", "echo \"token is $TOKEN\"");
        assertEquals("token is ****\n", notebook.out());
    }

    @Test
    void interruptKillsTheWholeTreeWithinASecond() throws Exception {
        Path pids = dir.resolve("pids");
        cell("bash", "", "true");
        // A child that forks a grandchild, and an orphan whose parent exits at once: descendants() cannot
        // see the orphan, only its process group can.
        String body = "bash -c 'sleep 60 & echo $! >> " + pids + "; wait' &\n"
                + "( sleep 61 & echo $! >> " + pids + " )\n"
                + "echo $$ >> " + pids + "\n"
                + "echo started\n"
                + "sleep 62\n";
        CompletableFuture<MagicException> run = CompletableFuture.supplyAsync(() -> {
            try {
                cell("bash", "", body);
                return null;
            } catch (MagicException e) {
                return e;
            }
        });
        waitFor(() -> notebook.out().contains("started") && lines(pids) == 3);
        notebook.cancellation().cancel();
        MagicException e = run.get(60, TimeUnit.SECONDS);
        assertEquals(MagicException.Kind.KeyboardInterrupt, e.kind());
        waitFor(() -> Files.readAllLines(pids).stream().mapToLong(Long::parseLong)
                .noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)));
        for (String pid : Files.readAllLines(pids)) {
            assertFalse(ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false), pid);
        }
    }

    @Test
    void threadInterruptAlsoKills() throws Exception {
        cell("bash", "", "true");
        Thread runner = new Thread(() -> {
            try {
                cell("bash", "", "echo started; sleep 60");
            } catch (MagicException e) {
                notebook.err("[" + e.kind() + "]");
            }
        });
        runner.start();
        waitFor(() -> notebook.out().contains("started"));
        runner.interrupt();
        runner.join(2000);
        assertFalse(runner.isAlive());
        assertTrue(notebook.err().contains("[KeyboardInterrupt]"), notebook.err());
    }

    @Test
    void shellLineRunsThroughSh() throws Exception {
        cell("bash", "", "true");
        magics.shell("echo $((6 * 7)) | tr -d '\\n'; echo", notebook);
        assertEquals("42\n", notebook.out());
        MagicException e = assertThrows(MagicException.class, () -> magics.shell("exit 2", notebook));
        assertEquals("Command exited with status 2.", e.getMessage());
    }

    @Test
    void backgroundJobLeftRunningDoesNotHangTheCell() throws Exception {
        cell("bash", "", "true");
        cell("bash", "", "sleep 30 & echo $! > bg.pid; echo done");
        assertEquals("done\n", notebook.out());
        ProcessHandle.of(Long.parseLong(Files.readString(dir.resolve("bg.pid")).strip()))
                .ifPresent(ProcessHandle::destroyForcibly);
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private static void waitFor(Check check) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!check.ok()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 60 s");
            }
            Thread.sleep(20);
        }
    }

    private static int lines(Path file) throws Exception {
        return Files.exists(file) ? Files.readAllLines(file).size() : 0;
    }
}

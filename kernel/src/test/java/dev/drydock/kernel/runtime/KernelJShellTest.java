package dev.drydock.kernel.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.kernel.java.JShellEngine;
import dev.drydock.kernel.protocol.Channel;
import dev.drydock.kernel.protocol.ConnectionInfo;
import dev.drydock.kernel.protocol.Message;
import dev.drydock.kernel.protocol.WireClient;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.Session;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel with the real JShell engine: values, printing, display calls, interrupts, threads. */
class KernelJShellTest {

    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path folder;

    static Kernel kernel;
    static WireClient client;

    @BeforeAll
    static void start() {
        Session session = new Session(folder, Map.of());
        kernel = new Kernel(new ConnectionInfo("tcp", "127.0.0.1", 0, 0, 0, 0, 0, "jshell-test-key", "hmac-sha256"),
                session, new Magics(session), new StartingEngine(JShellEngine::new));
        kernel.start();
        client = new WireClient(kernel.connection());
        client.awaitReady(WAIT);
    }

    @AfterAll
    static void stop() {
        client.close();
        kernel.close();
    }

    @BeforeEach
    void quiet() {
        client.drainAll(Duration.ofMillis(50));
    }

    @Test
    void expressionValueIsTheExecuteResultBetweenBusyAndIdle() {
        String id = client.execute("1 + 1");
        Message reply = client.reply(Channel.SHELL, id, WAIT);
        List<Message> iopub = client.iopubUntilIdle(id, WAIT);

        assertEquals("ok", reply.content().path("status").asText(), reply.content().toString());
        assertEquals(List.of("status:busy", "execute_input", "execute_result", "status:idle"), WireClient.types(iopub));
        assertEquals("2", iopub.get(2).content().path("data").path("text/plain").asText());
        assertEquals(reply.content().path("execution_count").asInt(), iopub.get(2).content().path("execution_count").asInt());
    }

    @Test
    void systemOutBecomesAStdoutStream() {
        String id = client.execute("System.out.println(\"hello, world\");");
        client.reply(Channel.SHELL, id, WAIT);
        List<Message> streams = streams(client.iopubUntilIdle(id, WAIT));

        assertEquals(1, streams.size());
        assertEquals("stdout", streams.get(0).content().path("name").asText());
        assertEquals("hello, world\n", streams.get(0).content().path("text").asText());
    }

    @Test
    void displayCallsBecomeDisplayAndUpdateMessages() {
        String id = client.execute("var id = display(\"text/html\", \"<b>dry</b>\");\n"
                + "updateDisplay(id, \"text/plain\", \"dock\");\nclearOutput();");
        Message reply = client.reply(Channel.SHELL, id, WAIT);
        List<Message> iopub = client.iopubUntilIdle(id, WAIT);

        assertEquals("ok", reply.content().path("status").asText(), reply.content().toString());
        Message display = iopub.stream().filter(m -> m.msgType().equals("display_data")).findFirst().orElseThrow();
        Message update = iopub.stream().filter(m -> m.msgType().equals("update_display_data")).findFirst().orElseThrow();
        assertEquals("<b>dry</b>", display.content().path("data").path("text/html").asText());
        String displayId = display.content().path("transient").path("display_id").asText();
        assertEquals(displayId, update.content().path("transient").path("display_id").asText());
        assertTrue(iopub.stream().anyMatch(m -> m.msgType().equals("clear_output")));
    }

    @Test
    void hundredThousandLinesArriveWhole() {
        String id = client.execute("for (int i = 0; i < 100_000; i++) System.out.println(\"line \" + i);");
        client.reply(Channel.SHELL, id, WAIT);
        List<Message> streams = streams(client.iopubUntilIdle(id, WAIT));

        assertTrue(streams.size() <= 50, streams.size() + " stream messages");
        List<String> lines = streams.stream().map(m -> m.content().path("text").asText())
                .collect(Collectors.joining()).lines().toList();
        assertEquals(100_000, lines.size());
        assertEquals("line 99999", lines.get(99_999));
    }

    @Test
    void interruptStopsASleepingCellAndTheNextCellRuns() {
        String sleeping = client.execute("Thread.sleep(60000);");
        assertNotNull(client.await(Channel.IOPUB, m -> m.msgType().equals("execute_input")
                && m.parentHeader().path("msg_id").asText().equals(sleeping), WAIT));
        sleepQuietly(300);

        String interrupt = client.send(Channel.CONTROL, "interrupt_request", client.object());
        Message interruptReply = client.reply(Channel.CONTROL, interrupt, WAIT);
        Message cellReply = client.reply(Channel.SHELL, sleeping, WAIT);

        assertEquals("ok", interruptReply.content().path("status").asText());
        assertEquals("error", cellReply.content().path("status").asText());
        assertEquals("KeyboardInterrupt", cellReply.content().path("ename").asText());

        String next = client.execute("40 + 2");
        assertEquals("ok", client.reply(Channel.SHELL, next, WAIT).content().path("status").asText());
    }

    @Test
    void threadOutputAfterTheCellEndedGoesToThatCell() {
        String id = client.execute("new Thread(() -> { try { Thread.sleep(300); } catch (InterruptedException e) { }"
                + " System.out.println(\"late hello\"); }).start();");
        client.reply(Channel.SHELL, id, WAIT);
        client.iopubUntilIdle(id, WAIT);

        Message late = client.await(Channel.IOPUB, m -> m.msgType().equals("stream"), WAIT);
        assertNotNull(late);
        assertEquals(id, late.parentHeader().path("msg_id").asText());
        assertEquals("late hello\n", late.content().path("text").asText());
    }

    @Test
    void compileErrorIsAnErrorReply() {
        String id = client.execute("int x = ;");
        Message reply = client.reply(Channel.SHELL, id, WAIT);
        List<Message> iopub = client.iopubUntilIdle(id, WAIT);

        assertEquals("error", reply.content().path("status").asText());
        assertTrue(iopub.stream().anyMatch(m -> m.msgType().equals("error")));
    }

    @Test
    void javaRunsMagicsInALoopWithTheCellsOutputAndVariables() throws Exception {
        String id = client.execute("""
                for (String n : List.of("one", "two")) {
                    magic("%setenv ITEM=" + n);
                    magic("!echo item $ITEM");
                }
                magic("%%writefile from-java.txt\\nwritten by a loop");
                """);
        Message reply = client.reply(Channel.SHELL, id, WAIT);
        String out = streams(client.iopubUntilIdle(id, WAIT)).stream().map(m -> m.content().path("text").asText())
                .collect(Collectors.joining());

        assertEquals("ok", reply.content().path("status").asText(), reply.content().toString());
        assertTrue(out.indexOf("item one\n") < out.indexOf("item two\n") && out.contains("item one\n"), out);
        assertEquals("written by a loop", java.nio.file.Files.readString(folder.resolve("from-java.txt")).strip());
    }

    @Test
    void aFailingMagicIsAMagicFailureThatJavaCanCatch() {
        String id = client.execute("magic(\"%contaner ls\");");
        Message reply = client.reply(Channel.SHELL, id, WAIT);
        assertEquals("dev.drydock.kernel.java.MagicFailure", reply.content().path("ename").asText(), reply.content().toString());
        assertTrue(reply.content().path("evalue").asText().contains("%container"), reply.content().toString());
        String traceback = reply.content().path("traceback").toString();
        assertTrue(traceback.contains("cell line 1") && !traceback.contains("picocli") && !traceback.contains("Caused by")
                && !traceback.contains("CellApi"), "only the cell's frames: " + traceback);

        String caught = client.execute("""
                String kind;
                try { magic("%contaner ls"); kind = "none"; } catch (MagicFailure e) { kind = e.kind().name(); }
                kind""");
        assertEquals("ok", client.reply(Channel.SHELL, caught, WAIT).content().path("status").asText());
        assertEquals("UsageError", client.iopubUntilIdle(caught, WAIT).stream()
                .filter(m -> m.msgType().equals("execute_result")).findFirst().orElseThrow()
                .content().path("data").path("text/plain").asText());

        String fromThread = client.execute("""
                String[] outcome = new String[1];
                Thread t = new Thread(() -> { try { magic("%lsmagic"); outcome[0] = "ran"; }
                                              catch (IllegalStateException e) { outcome[0] = e.getMessage(); } });
                t.start(); t.join();
                outcome[0]""");
        client.reply(Channel.SHELL, fromThread, WAIT);
        assertTrue(client.iopubUntilIdle(fromThread, WAIT).stream().filter(m -> m.msgType().equals("execute_result"))
                .findFirst().orElseThrow().content().path("data").path("text/plain").asText()
                .contains("the cell's own thread"));

        String java = client.execute("magic(\"int y = 1;\");");
        Message javaReply = client.reply(Channel.SHELL, java, WAIT);
        assertTrue(javaReply.content().path("evalue").asText().contains("this is Java"), javaReply.content().toString());
    }

    @Test
    void interruptStopsAShellCommandAJavaLoopStartedAndTheNextCellRuns() {
        String running = client.execute("magic(\"%%bash\\nsleep 60\");");
        assertNotNull(client.await(Channel.IOPUB, m -> m.msgType().equals("execute_input")
                && m.parentHeader().path("msg_id").asText().equals(running), WAIT));
        sleepQuietly(500);

        client.reply(Channel.CONTROL, client.send(Channel.CONTROL, "interrupt_request", client.object()), WAIT);
        Message cellReply = client.reply(Channel.SHELL, running, WAIT);

        assertEquals("KeyboardInterrupt", cellReply.content().path("ename").asText(), cellReply.content().toString());
        String next = client.execute("40 + 2");
        assertEquals("ok", client.reply(Channel.SHELL, next, WAIT).content().path("status").asText());
    }

    private static List<Message> streams(List<Message> iopub) {
        return iopub.stream().filter(m -> m.msgType().equals("stream")).toList();
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}

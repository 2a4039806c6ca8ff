package dev.drydock.kernel.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.kernel.protocol.Channel;
import dev.drydock.kernel.protocol.ConnectionInfo;
import dev.drydock.kernel.protocol.Message;
import dev.drydock.kernel.protocol.WireClient;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.Session;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wire protocol over real sockets, with a scripted engine standing in for JShell. */
class KernelProtocolTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final String KEY = "a0436f6c-1916-498b-8eb9-e81ab9368e84";

    @TempDir
    Path folder;

    ScriptedEngine engine;
    Session session;
    Kernel kernel;
    WireClient client;
    java.io.PrintStream consoleOut;

    @BeforeEach
    void start() {
        consoleOut = System.out;
        engine = new ScriptedEngine();
        session = new Session(folder, Map.of());
        kernel = new Kernel(new ConnectionInfo("tcp", "127.0.0.1", 0, 0, 0, 0, 0, KEY, "hmac-sha256"),
                session, new Magics(session), engine);
        kernel.start();
        client = new WireClient(kernel.connection());
        client.awaitReady(WAIT);
    }

    @AfterEach
    void stop() {
        client.close();
        kernel.close();
    }

    @Test
    void kernelInfoReplyHasStatusLanguageAndKernelHeaders() {
        String id = client.send(Channel.SHELL, "kernel_info_request", client.object());
        Message reply = client.reply(Channel.SHELL, id, WAIT);

        JsonNode content = reply.content();
        assertEquals("kernel_info_reply", reply.msgType());
        assertEquals("ok", content.path("status").asText());
        assertEquals("5.4", content.path("protocol_version").asText());
        assertEquals("drydock", content.path("implementation").asText());
        assertEquals("java", content.path("language_info").path("name").asText());
        assertEquals(".java", content.path("language_info").path("file_extension").asText());
        assertEquals("text/x-java-source", content.path("language_info").path("mimetype").asText());
        assertTrue(content.path("help_links").size() >= 2);
        assertEquals(kernel.sessionId(), reply.header().path("session").asText());
        assertEquals(id, reply.parentHeader().path("msg_id").asText());
        assertTrue(reply.header().path("date").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}\\+00:00"),
                reply.header().path("date").asText());
        assertEquals(List.of("status:busy", "status:idle"), WireClient.types(client.iopubUntilIdle(id, WAIT)));
    }

    @Test
    void executePublishesInputStreamsResultAndReplyInOrder() {
        String id = client.execute("out hello\nerr oops\nvalue 2");
        Message reply = client.reply(Channel.SHELL, id, WAIT);
        List<Message> iopub = client.iopubUntilIdle(id, WAIT);

        assertEquals("ok", reply.content().path("status").asText());
        assertEquals(1, reply.content().path("execution_count").asInt());
        assertEquals(0, reply.content().path("payload").size());
        assertEquals(List.of("status:busy", "execute_input", "stream", "stream", "execute_result", "status:idle"),
                WireClient.types(iopub));
        assertEquals("stdout", iopub.get(2).content().path("name").asText());
        assertEquals("hello\n", iopub.get(2).content().path("text").asText());
        assertEquals("stderr", iopub.get(3).content().path("name").asText());
        assertEquals("2", iopub.get(4).content().path("data").path("text/plain").asText());
        assertEquals(1, iopub.get(4).content().path("execution_count").asInt());
    }

    @Test
    void messageSignedWithWrongKeyIsNotExecutedAndShellSurvives() throws Exception {
        try (WireClient forger = new WireClient(kernel.connection(), "not-the-key")) {
            forger.execute("out forged");
            assertNull(forger.await(Channel.SHELL, m -> true, Duration.ofMillis(700)), "a forged message was answered");
        }
        assertTrue(engine.evaluated.isEmpty(), "a forged message was executed: " + engine.evaluated);

        assertExecutes("value alive", "alive");
    }

    @Test
    void unsignedMalformedAndTruncatedFramesAreDroppedAndKernelSurvives() throws Exception {
        client.sendFrames(Channel.SHELL, client.framesWithContent("execute_request",
                "{not json".getBytes(StandardCharsets.UTF_8), KEY));
        client.sendFrames(Channel.SHELL, client.framesWithContent("execute_request",
                "[1, 2]".getBytes(StandardCharsets.UTF_8), KEY));
        client.sendFrames(Channel.SHELL, client.framesWithContent("execute_request",
                "{\"code\": \"out unsigned\"}".getBytes(StandardCharsets.UTF_8), ""));
        client.sendFrames(Channel.SHELL, List.of("no delimiter".getBytes(StandardCharsets.UTF_8)));
        client.sendFrames(Channel.CONTROL, client.framesWithContent("shutdown_request",
                "{oops".getBytes(StandardCharsets.UTF_8), KEY));

        assertNull(client.await(Channel.SHELL, m -> true, Duration.ofMillis(500)));
        assertTrue(engine.evaluated.isEmpty());
        assertFalse(kernel.awaitShutdown(0, TimeUnit.MILLISECONDS));
        assertTrue(client.heartbeat(WAIT));
        assertExecutes("value still here", "still here");
    }

    @Test
    void silentRequestPublishesNothingButStatusAndDoesNotCount() {
        String silent = client.execute("out hidden\nvalue 7", c -> c.put("silent", true));
        Message reply = client.reply(Channel.SHELL, silent, WAIT);

        assertEquals("ok", reply.content().path("status").asText());
        assertEquals(0, reply.content().path("execution_count").asInt());
        assertEquals(List.of("status:busy", "status:idle"), WireClient.types(client.iopubUntilIdle(silent, WAIT)));
        assertEquals(1, countOf("value x"));
    }

    @Test
    void storeHistoryFalseDoesNotIncrementTheCountOrTheHistory() {
        String id = client.execute("value 1", c -> c.put("store_history", false));
        assertEquals(0, client.reply(Channel.SHELL, id, WAIT).content().path("execution_count").asInt());
        client.iopubUntilIdle(id, WAIT);
        assertEquals(1, countOf("value a"));
        assertEquals(2, countOf("value b"));

        JsonNode history = history(c -> c.put("hist_access_type", "tail").put("n", 10)).path("history");
        assertEquals(2, history.size());
        assertEquals("value a", history.get(0).get(2).asText());
    }

    @Test
    void errorPublishesTracebackAbortsQueuedRequestsAndNextCellRuns() {
        String failing = client.execute("sleep 300\nfail boom");
        String queued = client.execute("value never");
        String queuedInfo = client.send(Channel.SHELL, "kernel_info_request", client.object());

        Message failed = client.reply(Channel.SHELL, failing, WAIT);
        List<Message> iopub = client.iopubUntilIdle(failing, WAIT);
        Message aborted = client.reply(Channel.SHELL, queued, WAIT);

        assertEquals("error", failed.content().path("status").asText());
        assertEquals("java.lang.IllegalStateException", failed.content().path("ename").asText());
        assertEquals("boom", failed.content().path("evalue").asText());
        Message error = iopub.stream().filter(m -> m.msgType().equals("error")).findFirst().orElseThrow();
        // The error's name is red, as a magic error's.
        assertEquals(Execution.RED + "java.lang.IllegalStateException" + Execution.RESET + ": boom",
                error.content().path("traceback").get(0).asText());
        assertEquals("aborted", aborted.content().path("status").asText());
        assertEquals("ok", client.reply(Channel.SHELL, queuedInfo, WAIT).content().path("status").asText());
        assertEquals(List.of("sleep 300\nfail boom"), engine.evaluated);
        assertExecutes("value after", "after");
    }

    @Test
    void stopOnErrorFalseLetsQueuedRequestsRun() {
        String failing = client.execute("sleep 200\nfail boom", c -> c.put("stop_on_error", false));
        String queued = client.execute("value runs");
        assertEquals("error", client.reply(Channel.SHELL, failing, WAIT).content().path("status").asText());
        assertEquals("ok", client.reply(Channel.SHELL, queued, WAIT).content().path("status").asText());
    }

    @Test
    void userExpressionsAreEvaluatedAfterTheCell() {
        String id = client.execute("value 1", c -> {
            ObjectNode expressions = c.putObject("user_expressions");
            expressions.put("good", "value 42");
            expressions.put("bad", "fail nope");
        });
        JsonNode results = client.reply(Channel.SHELL, id, WAIT).content().path("user_expressions");

        assertEquals("ok", results.path("good").path("status").asText());
        assertEquals("42", results.path("good").path("data").path("text/plain").asText());
        assertEquals("error", results.path("bad").path("status").asText());
        assertEquals("nope", results.path("bad").path("evalue").asText());
    }

    @Test
    void historyTailRangeAndSearch() {
        countOf("value 6 * 7");
        countOf("value dry");
        countOf("value 6 * 7");

        JsonNode tail = history(c -> c.put("hist_access_type", "tail").put("n", 2).put("output", true)).path("history");
        assertEquals(2, tail.size());
        int session = tail.get(0).get(0).asInt();
        assertEquals(2, tail.get(0).get(1).asInt());
        assertEquals("value dry", tail.get(0).get(2).get(0).asText());
        assertEquals("dry", tail.get(0).get(2).get(1).asText());

        JsonNode range = history(c -> c.put("hist_access_type", "range").put("session", session)
                .put("start", 2).put("stop", 3)).path("history");
        assertEquals(1, range.size());
        assertEquals(session, range.get(0).get(0).asInt());
        assertEquals(2, range.get(0).get(1).asInt());
        assertEquals(3, history(c -> c.put("hist_access_type", "range").put("session", 0).put("start", 1)).path("history").size());

        assertEquals(2, history(c -> c.put("hist_access_type", "search").put("pattern", "value 6 ?*")).path("history").size());
        JsonNode unique = history(c -> c.put("hist_access_type", "search").put("pattern", "value 6 ?*").put("unique", true)).path("history");
        assertEquals(1, unique.size());
        assertEquals(3, unique.get(0).get(1).asInt());
        assertEquals(1, history(c -> c.put("hist_access_type", "search").put("pattern", "*").put("n", 1)).path("history").size());
        assertEquals(0, history(c -> c.put("hist_access_type", "search").put("pattern", "VALUE*")).path("history").size());
    }

    @Test
    void interruptAnswersAtOnceAndStopsTheCell() {
        String sleeping = client.execute("sleep 60000");
        client.await(Channel.IOPUB, m -> m.msgType().equals("execute_input"), WAIT);

        String interrupt = client.send(Channel.CONTROL, "interrupt_request", client.object());
        Message interruptReply = client.reply(Channel.CONTROL, interrupt, WAIT);
        Message cellReply = client.reply(Channel.SHELL, sleeping, WAIT);

        assertEquals("ok", interruptReply.content().path("status").asText());
        assertEquals("KeyboardInterrupt", cellReply.content().path("ename").asText());
        assertExecutes("value next", "next");
    }

    @Test
    void kernelInfoAndCommInfoOnControlWhileACellRuns() {
        String sleeping = client.execute("sleep 2000");
        client.await(Channel.IOPUB, m -> m.msgType().equals("execute_input"), WAIT);

        String info = client.send(Channel.CONTROL, "kernel_info_request", client.object());
        Message reply = client.reply(Channel.CONTROL, info, WAIT);
        assertNull(client.await(Channel.SHELL, m -> sleeping.equals(m.parentHeader().path("msg_id").asText()),
                Duration.ofMillis(50)), "control answered while the cell still ran, not after it");
        assertEquals("ok", reply.content().path("status").asText());
        String comms = client.send(Channel.CONTROL, "comm_info_request", client.object());
        assertEquals("ok", client.reply(Channel.CONTROL, comms, WAIT).content().path("status").asText());
        assertEquals("ok", client.reply(Channel.SHELL, sleeping, WAIT).content().path("status").asText());
        client.iopubUntilIdle(sleeping, WAIT);
        // The frontend must not see "idle" while the cell still runs: control requests stay quiet then.
        assertNull(client.await(Channel.IOPUB, m -> List.of(info, comms).contains(m.parentHeader().path("msg_id").asText()),
                Duration.ofMillis(300)));
    }

    @Test
    void backgroundOutputAfterTheCellGoesToThatCell() {
        String first = client.execute("later 300 from the background");
        client.reply(Channel.SHELL, first, WAIT);
        client.iopubUntilIdle(first, WAIT);

        Message late = client.await(Channel.IOPUB, m -> m.msgType().equals("stream"), WAIT);
        assertNotNull(late);
        assertEquals(first, late.parentHeader().path("msg_id").asText());
        assertEquals("from the background\n", late.content().path("text").asText());
    }

    @Test
    void outputIsCoalescedAndComplete() {
        String id = client.execute("lines 100000");
        client.reply(Channel.SHELL, id, WAIT);
        List<Message> streams = client.iopubUntilIdle(id, WAIT).stream().filter(m -> m.msgType().equals("stream")).toList();

        assertTrue(streams.size() <= 50, streams.size() + " stream messages");
        String text = streams.stream().map(m -> m.content().path("text").asText()).collect(Collectors.joining());
        List<String> lines = text.lines().toList();
        assertEquals(100_000, lines.size());
        assertEquals("line 0", lines.get(0));
        assertEquals("line 99999", lines.get(99_999));
    }

    @Test
    void secretsAreMaskedInStreamsResultsAndErrors() {
        session.setSecret("PASSWORD", "hunter2-secret");
        String id = client.execute("out pw=hunter2-secret\nvalue hunter2-secret\nfail hunter2-secret",
                c -> c.put("stop_on_error", false));
        Message reply = client.reply(Channel.SHELL, id, WAIT);
        List<Message> iopub = client.iopubUntilIdle(id, WAIT);

        String everything = reply.content().toString() + iopub.stream().map(m -> m.content().toString()).collect(Collectors.joining());
        assertFalse(everything.contains("hunter2-secret"), everything);
        assertTrue(everything.contains("pw=****"), everything);
    }

    @Test
    void aSecretWrittenInTwoHalvesThatLeaveInTwoMessagesIsMasked() {
        session.setSecret("PASSWORD", "hunter2-secret");
        // Longer than two coalescing intervals apart, so the halves leave as separate messages.
        String id = client.execute("part pw=hunter2\nsleep " + (3 * StreamCoalescer.INTERVAL_MILLIS)
                + "\npart -secret!\nout  done");
        client.reply(Channel.SHELL, id, WAIT);
        List<Message> streams = client.iopubUntilIdle(id, WAIT).stream().filter(m -> m.msgType().equals("stream")).toList();
        String text = streams.stream().map(m -> m.content().path("text").asText()).collect(Collectors.joining());
        // Normally "pw=" and "****! done" leave apart (per-message masking let "hunter2" out then); a slow timer
        // can join them, which proves less but must mask all the same.
        assertEquals("pw=****! done\n", text);
    }

    @Test
    void magicsRunInOrderWithJavaParts() {
        String id = client.execute("out before\n%setenv GREETING=hi\nvalue after");
        JsonNode reply = client.reply(Channel.SHELL, id, WAIT).content();
        assertEquals("ok", reply.path("status").asText(), reply.toString());
        assertEquals("hi", session.variable("GREETING").orElseThrow());
        assertEquals(List.of("out before", "value after"), engine.evaluated);
    }

    @Test
    void failingMagicStopsTheCellWithItsKind() {
        String id = client.execute("%nosuchmagic\nvalue never", c -> c.put("stop_on_error", false));
        Message reply = client.reply(Channel.SHELL, id, WAIT);

        assertEquals("error", reply.content().path("status").asText());
        assertEquals("UsageError", reply.content().path("ename").asText());
        assertTrue(reply.content().path("traceback").get(0).asText().contains("UsageError"));
        assertTrue(engine.evaluated.isEmpty());
    }

    @Test
    void inputGoesThroughStdinWhenAllowed() {
        String id = client.execute("readline", c -> c.put("allow_stdin", true));
        Message request = client.await(Channel.STDIN, m -> m.msgType().equals("input_request"), WAIT);
        assertNotNull(request);
        assertEquals(id, request.parentHeader().path("msg_id").asText());
        ObjectNode answer = client.object().put("value", "typed");
        client.send(Channel.STDIN, "input_reply", answer);

        client.reply(Channel.SHELL, id, WAIT);
        List<Message> iopub = client.iopubUntilIdle(id, WAIT);
        assertTrue(iopub.stream().anyMatch(m -> m.content().path("data").path("text/plain").asText().equals("read typed")));

        String refused = client.execute("readline", c -> c.put("allow_stdin", false).put("stop_on_error", false));
        Message reply = client.reply(Channel.SHELL, refused, WAIT);
        assertEquals("error", reply.content().path("status").asText());
        assertTrue(reply.content().path("evalue").asText().contains("does not support input"));
    }

    @Test
    void interruptEndsAWaitForInput() {
        String id = client.execute("readline", c -> c.put("allow_stdin", true));
        assertNotNull(client.await(Channel.STDIN, m -> m.msgType().equals("input_request"), WAIT));
        client.send(Channel.CONTROL, "interrupt_request", client.object());
        Message reply = client.reply(Channel.SHELL, id, Duration.ofSeconds(2));
        assertEquals("KeyboardInterrupt", reply.content().path("ename").asText());
    }

    @Test
    void completeInspectAndIsComplete() {
        JsonNode magic = request("complete_request", "complete_reply", c -> c.put("code", "%lsmag").put("cursor_pos", 6));
        assertEquals("ok", magic.path("status").asText());
        assertEquals("%lsmagic", magic.path("matches").get(0).asText());
        assertEquals(0, magic.path("cursor_start").asInt());
        assertEquals(6, magic.path("cursor_end").asInt());

        // Cursor positions count code points: the emoji is one, not two UTF-16 units.
        JsonNode java = request("complete_request", "complete_reply", c -> c.put("code", "\uD83D\uDE00 pr").put("cursor_pos", 4));
        assertEquals("println", java.path("matches").get(0).asText());
        assertEquals(2, java.path("cursor_start").asInt());
        assertEquals(4, java.path("cursor_end").asInt());

        JsonNode found = request("inspect_request", "inspect_reply", c -> c.put("code", "known").put("cursor_pos", 5).put("detail_level", 1));
        assertEquals("ok", found.path("status").asText());
        assertTrue(found.path("found").asBoolean());
        assertEquals("docs of known at 1", found.path("data").path("text/plain").asText());
        assertFalse(request("inspect_request", "inspect_reply", c -> c.put("code", "x").put("cursor_pos", 1)).path("found").asBoolean());

        // A cell magic's body ends at a blank line, as in IPython.
        assertEquals("incomplete", isComplete("%%bash\nfor i in 1 2; do"));
        assertEquals("complete", isComplete("%%bash\nfor i in 1 2; do echo $i; done\n\n"));
        assertEquals("complete", isComplete("%lsmagic"));
        assertEquals("incomplete", isComplete("%lsmagic\nfor (;;) {"));
        assertEquals("complete", isComplete("for (;;) {\n%lsmagic\nvalue x"));
    }

    @Test
    void helpSyntaxReturnsAPagePayload() {
        String id = client.execute("known.thing?");
        JsonNode reply = client.reply(Channel.SHELL, id, WAIT).content();
        assertEquals("ok", reply.path("status").asText());
        assertEquals(1, reply.path("payload").size());
        assertEquals("page", reply.path("payload").get(0).path("source").asText());
        assertEquals("docs of known.thing at 0", reply.path("payload").get(0).path("data").path("text/plain").asText());
    }

    @Test
    void commsAreRefusedPolitely() {
        assertEquals("ok", request("comm_info_request", "comm_info_reply", c -> {}).path("status").asText());
        ObjectNode open = client.object().put("comm_id", "c1").put("target_name", "nobody");
        open.putObject("data");
        String id = client.send(Channel.SHELL, "comm_open", open);
        List<Message> iopub = client.iopubUntilIdle(id, WAIT);
        assertTrue(iopub.stream().anyMatch(m -> m.msgType().equals("comm_close") && m.content().path("comm_id").asText().equals("c1")));
        assertExecutes("value alive", "alive");
    }

    @Test
    void unknownRequestsAreIgnoredWithBusyIdle() {
        String id = client.send(Channel.SHELL, "usage_request", client.object());
        assertEquals(List.of("status:busy", "status:idle"), WireClient.types(client.iopubUntilIdle(id, WAIT)));
        assertExecutes("value alive", "alive");
    }

    @Test
    void shutdownOnControlRepliesAndEndsTheKernel() throws Exception {
        String id = client.send(Channel.CONTROL, "shutdown_request", client.object().put("restart", true));
        Message reply = client.reply(Channel.CONTROL, id, WAIT);

        assertEquals("ok", reply.content().path("status").asText());
        assertTrue(reply.content().path("restart").asBoolean());
        assertTrue(kernel.awaitShutdown(5, TimeUnit.SECONDS));
        kernel.close();
        assertTrue(System.out == consoleOut, "System.out was not restored");
    }

    @Test
    void shutdownOnShellStillWorksForOlderClients() throws Exception {
        String id = client.send(Channel.SHELL, "shutdown_request", client.object().put("restart", false));
        Message reply = client.reply(Channel.SHELL, id, WAIT);

        assertEquals("ok", reply.content().path("status").asText());
        assertFalse(reply.content().path("restart").asBoolean());
        assertTrue(kernel.awaitShutdown(5, TimeUnit.SECONDS));
    }

    // --- helpers ---

    private void assertExecutes(String code, String value) {
        String id = client.execute(code);
        Message reply = client.reply(Channel.SHELL, id, WAIT);
        assertEquals("ok", reply.content().path("status").asText(), reply.content().toString());
        List<Message> iopub = client.iopubUntilIdle(id, WAIT);
        assertTrue(iopub.stream().anyMatch(m -> m.msgType().equals("execute_result")
                && m.content().path("data").path("text/plain").asText().equals(value)), WireClient.types(iopub).toString());
    }

    private int countOf(String code) {
        String id = client.execute(code);
        int count = client.reply(Channel.SHELL, id, WAIT).content().path("execution_count").asInt();
        client.iopubUntilIdle(id, WAIT);
        return count;
    }

    private JsonNode history(java.util.function.Consumer<ObjectNode> fill) {
        return request("history_request", "history_reply", c -> {
            c.put("output", false).put("raw", true);
            fill.accept(c);
        });
    }

    private String isComplete(String code) {
        return request("is_complete_request", "is_complete_reply", c -> c.put("code", code)).path("status").asText();
    }

    private JsonNode request(String type, String replyType, java.util.function.Consumer<ObjectNode> fill) {
        ObjectNode content = client.object();
        fill.accept(content);
        String id = client.send(Channel.SHELL, type, content);
        Message reply = client.reply(Channel.SHELL, id, WAIT);
        assertEquals(replyType, reply.msgType());
        client.iopubUntilIdle(id, WAIT);
        return reply.content();
    }
}

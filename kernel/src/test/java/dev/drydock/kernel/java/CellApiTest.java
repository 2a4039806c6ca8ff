package dev.drydock.kernel.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.kernel.java.JavaEngine.JavaException;
import dev.drydock.kernel.java.TestNotebook.Call;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CellApiTest {

    private static JShellEngine engine;
    private final TestNotebook notebook = new TestNotebook();

    @BeforeAll
    static void start() {
        engine = new JShellEngine();
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @BeforeEach
    void bind() {
        CellApi.bind(notebook);
    }

    @AfterEach
    void unbind() {
        CellApi.bind(null);
    }

    @Test
    void aCellDisplaysUpdatesAndClearsThroughTheBoundNotebook() throws Exception {
        engine.eval("""
                var id = display("text/html", "<b>hi</b>");
                updateDisplay(id, "text/html", "<b>bye</b>");
                clearOutput(true);
                clearOutput();""", 1);

        List<Call> calls = notebook.calls;
        assertEquals(4, calls.size(), calls::toString);
        String id = calls.get(0).displayId();
        assertNotNull(id);
        assertEquals(new Call("display", id, Map.of("text/html", "<b>hi</b>")), calls.get(0));
        assertEquals(new Call("update", id, Map.of("text/html", "<b>bye</b>")), calls.get(1));
        assertEquals(new Call("clear-wait", null, Map.of()), calls.get(2));
        assertEquals(new Call("clear", null, Map.of()), calls.get(3));
    }

    @Test
    void displayOfAnObjectRendersItAndReturnsItsId() throws Exception {
        Map<String, Object> id = engine.eval("var shown = display(List.of(1, 2));\nupdateDisplay(shown, \"done\");\nshown", 1);

        List<Call> calls = notebook.calls;
        assertEquals(id.get("text/plain"), calls.get(0).displayId());
        assertEquals(Map.of("text/plain", "[1, 2]"), calls.get(0).bundle());
        assertEquals(new Call("update", calls.get(0).displayId(), Map.of("text/plain", "done")), calls.get(1));
    }

    @Test
    void envReadsWhatDotenvAndSetenvLoadedThenTheProcessEnvironment() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("cellapi-env");
        java.nio.file.Files.writeString(dir.resolve(".env"), "DOCKER_USERNAME=george\nDOCKER_PASSWORD='pa ss#1'\n");
        dev.drydock.magics.Session session = new dev.drydock.magics.Session(dir, Map.of("HOME_REGION", "westeurope"));
        dev.drydock.magics.api.Magics magics = new dev.drydock.magics.api.Magics(session);
        magics.run(new dev.drydock.magics.MagicCall("dotenv", "", null), notebook);
        magics.run(new dev.drydock.magics.MagicCall("setenv", "DATA=/data", null), notebook);
        CellApi.bindVariables(session);
        try {
            Map<String, Object> value = engine.eval("env(\"DOCKER_USERNAME\") + \"|\" + env(\"DOCKER_PASSWORD\") + \"|\""
                    + " + env(\"DATA\") + \"|\" + env(\"HOME_REGION\") + \"|\" + env(\"NOPE\") + \"|\""
                    + " + env().get(\"DATA\") + \"|\" + env().containsKey(\"DOCKER_PASSWORD\")", 1);
            assertEquals("george|pa ss#1|/data|westeurope|null|/data|true", value.get("text/plain"));
            assertEquals("/data", session.expand("${DATA}"), "the same lookup as ${NAME}");
        } finally {
            CellApi.bindVariables(null);
        }
        JavaException unbound = assertThrows(JavaException.class, () -> engine.eval("env(\"DATA\")", 1));
        assertTrue(unbound.getMessage().contains("env() works only in cells"), unbound.getMessage());
    }

    @Test
    void everyDisplayGetsItsOwnId() {
        DisplayHandle first = CellApi.display("a");
        DisplayHandle second = CellApi.display("text/plain", "b");
        assertTrue(!first.equals(second));
        assertEquals(notebook.calls.get(0).displayId(), first.toString());
        assertEquals(notebook.calls.get(1).displayId(), second.id());
    }

    @Test
    void jsonTypesTakeJsonTextAndSendTheParsedValue() {
        CellApi.display("application/vnd.vega.v5+json", "{\"width\": 3, \"data\": [1, 2]}");
        assertEquals(Map.of("application/vnd.vega.v5+json", Map.of("width", 3, "data", List.of(1, 2))),
                notebook.calls.get(0).bundle());

        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> CellApi.display("application/json", "{not json"));
        assertTrue(bad.getMessage().startsWith("application/json needs JSON text"), bad.getMessage());
    }

    @Test
    void threadsACellStartsReachTheNotebookToo() throws Exception {
        engine.eval("""
                Thread worker = new Thread(() -> display("text/plain", "from a thread"));
                worker.start();
                worker.join();""", 1);
        assertEquals(Map.of("text/plain", "from a thread"), notebook.calls.get(0).bundle());
    }

    @Test
    void withoutABoundNotebookACellGetsAClearError() {
        CellApi.bind(null);
        JavaException error = assertThrows(JavaException.class, () -> engine.eval("display(\"text/html\", \"<p>\")", 1));
        assertEquals("java.lang.IllegalStateException", error.ename());
        assertTrue(error.evalue().startsWith("No notebook is bound"), error.evalue());
    }
}

package dev.drydock.kernel.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import jdk.jshell.JShell;
import jdk.jshell.Snippet.Status;
import jdk.jshell.SnippetEvent;
import jdk.jshell.VarSnippet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** javac, through a plain JShell, is the oracle: a literal read without it must be the value and type javac gives. */
class LiteralTest {

    private static JShell javac;

    @BeforeAll
    static void start() {
        javac = JShell.builder().executionEngine("local").build();
    }

    @AfterAll
    static void stop() {
        javac.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "1", "-1", "-0", "42", "1_000_000", "1__0", "2147483647", "-2147483648",
            "2147483648L", "9223372036854775807L", "-9223372036854775808L", "7l", "true", "false",
            "\"\"", "\"text with spaces\"", "\"héllo ✓\""})
    void readsWhatJavacReads(String code) {
        Literal literal = Literal.of(code);
        assertNotNull(literal, code);
        SnippetEvent event = javac.eval(code).get(0);
        assertEquals(Status.VALID, event.status(), code);
        Object value = literal.value();
        String shown = value instanceof String text ? '"' + text + '"' : String.valueOf(value);
        assertEquals(event.value(), shown, code);
        String type = ((VarSnippet) event.snippet()).typeName();
        String literalType = value instanceof Integer ? "int" : value instanceof Long ? "long"
                : value instanceof Boolean ? "boolean" : "String";
        assertEquals(type, literalType, code);
    }

    @ParameterizedTest
    @ValueSource(strings = {"2147483648", "-2147483649", "9223372036854775808L", "1_", "_1", "01", "0x10", "1.0",
            "'a'", "null", "\"tab\\t\"", "\"a\" + \"b\"", "1;", "1 + 1", "- 1", "--1", "+1", "\"open", "True", ""})
    void leavesEverythingElseToJavac(String code) {
        assertNull(Literal.of(code), code);
    }

    @ParameterizedTest
    @ValueSource(strings = {"2147483648", "-2147483649", "1_"})
    void whatItLeavesIncludesWhatJavacRejects(String code) {
        List<SnippetEvent> events = javac.eval(code);
        assertEquals(Status.REJECTED, events.get(0).status(), code);
    }
}

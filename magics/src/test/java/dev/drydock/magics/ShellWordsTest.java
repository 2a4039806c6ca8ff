package dev.drydock.magics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShellWordsTest {

    @Test
    void splitsOnBlanksAndKeepsQuotedBlanks() throws MagicException {
        assertEquals(List.of("-a", "my file.txt", "x y", "z"), ShellWords.split("  -a \"my file.txt\"\t'x y' z "));
    }

    @Test
    void joinsAdjacentParts() throws MagicException {
        assertEquals(List.of("NAME=a b", "pre'fix"), ShellWords.split("NAME=\"a b\" pre\"'\"fix"));
    }

    @Test
    void keepsWindowsBackslashesOutsideAndInsideDoubleQuotes() throws MagicException {
        assertEquals(List.of("C:\\data\\in.csv", "C:\\Program Files\\x"),
                ShellWords.split("C:\\data\\in.csv \"C:\\Program Files\\x\""));
    }

    @Test
    void doubleQuotesEscapeQuoteAndBackslashOnly() throws MagicException {
        assertEquals(List.of("say \"hi\" \\ \\n"), ShellWords.split("\"say \\\"hi\\\" \\\\ \\n\""));
    }

    @Test
    void singleQuotesAreLiteral() throws MagicException {
        assertEquals(List.of("a\\\"b"), ShellWords.split("'a\\\"b'"));
    }

    @Test
    void emptyQuotesAreAnEmptyWord() throws MagicException {
        assertEquals(List.of("", "x"), ShellWords.split("\"\" x"));
        assertEquals(List.of(), ShellWords.split("   "));
    }

    @Test
    void unterminatedQuoteIsAUsageError() {
        MagicException e = assertThrows(MagicException.class, () -> ShellWords.split("a \"b c"));
        assertEquals(MagicException.Kind.UsageError, e.kind());
        assertThrows(MagicException.class, () -> ShellWords.split("'oops"));
    }

    @Test
    void expandsOutsideSingleQuotesAndNeverResplitsValues() throws MagicException {
        Session session = new Session(java.nio.file.Path.of("/tmp"), Map.of("V", "two words"));
        assertEquals(List.of("two words", "${V}", "x-two words"),
                ShellWords.split("${V} '${V}' \"x-${V}\"", session::expand));
    }
}

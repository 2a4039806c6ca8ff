package dev.drydock.kernel.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RuntimeHistoryTest {

    @Test
    void globMatchesWholeInputsCaseSensitively() {
        assertTrue(History.globToRegex("6 ?*").matcher("6 * 7").matches());
        assertTrue(History.globToRegex("a.b*").matcher("a.b(1)").matches());
        assertFalse(History.globToRegex("a.b*").matcher("axb").matches());
        assertFalse(History.globToRegex("x?").matcher("X1").matches());
        assertTrue(History.globToRegex("*").matcher("two\nlines").matches());
    }

    @Test
    void tailRangeAndSearch() {
        History history = new History();
        history.add(1, "a", "1");
        history.add(2, "b", null);
        history.add(3, "a", "3");

        assertEquals(List.of(2, 3), history.tail(2).stream().map(History.Entry::line).toList());
        assertEquals(List.of(2), history.range(History.SESSION, 2, 3).stream().map(History.Entry::line).toList());
        assertEquals(List.of(1, 2, 3), history.range(0, 1, 0).stream().map(History.Entry::line).toList());
        assertTrue(history.range(-1, 1, 0).isEmpty());
        assertEquals(List.of(1, 3), history.search("a", 0, false).stream().map(History.Entry::line).toList());
        assertEquals(List.of(3), history.search("a", 0, true).stream().map(History.Entry::line).toList());
        assertEquals(List.of(3), history.search("*", 1, false).stream().map(History.Entry::line).toList());
    }
}

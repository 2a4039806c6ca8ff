package dev.drydock.magics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Utf8Test {

    @Test
    void aCharacterSplitAcrossChunksComesOutWhole() {
        byte[] bytes = "né ✓".getBytes(StandardCharsets.UTF_8);
        Utf8 decoder = new Utf8();
        StringBuilder text = new StringBuilder();
        // Every split point, including inside the two- and three-byte characters.
        for (int i = 0; i < bytes.length; i++) {
            text.append(decoder.decode(Arrays.copyOfRange(bytes, i, i + 1)));
        }
        assertEquals("né ✓", text.toString());
    }

    @Test
    void onlyTheGivenLengthCounts() {
        byte[] buffer = "abcXYZ".getBytes(StandardCharsets.UTF_8);
        assertEquals("abc", new Utf8().decode(buffer, 3));
    }

    @Test
    void malformedBytesBecomeReplacementCharacters() {
        assertEquals("a\uFFFDb", new Utf8().decode(new byte[] {'a', (byte) 0xFF, 'b'}));
    }
}

package dev.drydock.magics;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * UTF-8 across chunk boundaries: a chunk of a stream (a Docker frame, a read of a growing log) may end
 * inside a character, so the unfinished bytes wait for the next chunk. One per stream.
 */
public final class Utf8 {

    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pending = ByteBuffer.allocate(0);

    public String decode(byte[] bytes) {
        return decode(bytes, bytes.length);
    }

    /** The text the first {@code length} bytes complete, after what earlier chunks left unfinished. */
    public synchronized String decode(byte[] bytes, int length) {
        ByteBuffer input = ByteBuffer.allocate(pending.remaining() + length);
        input.put(pending).put(bytes, 0, length).flip();
        CharBuffer chars = CharBuffer.allocate(input.remaining());
        decoder.decode(input, chars, false);
        pending = input.slice();
        return chars.flip().toString();
    }
}

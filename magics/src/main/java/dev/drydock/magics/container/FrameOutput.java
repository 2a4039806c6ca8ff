package dev.drydock.magics.container;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import dev.drydock.magics.Notebook;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Streams a container's stdout and stderr frames into the cell as they arrive. A frame may end inside a
 * multi-byte character, so each stream keeps its own decoder and carries the unfinished bytes over.
 */
final class FrameOutput extends ResultCallback.Adapter<Frame> {

    private final Notebook notebook;
    private final Decoder out = new Decoder();
    private final Decoder err = new Decoder();

    FrameOutput(Notebook notebook) {
        this.notebook = notebook;
    }

    @Override
    public void onNext(Frame frame) {
        if (frame.getStreamType() == StreamType.STDERR) {
            emitErr(err.decode(frame.getPayload()));
        } else {
            emitOut(out.decode(frame.getPayload()));
        }
    }

    private void emitOut(String text) {
        if (!text.isEmpty()) {
            notebook.out(text);
        }
    }

    private void emitErr(String text) {
        if (!text.isEmpty()) {
            notebook.err(text);
        }
    }

    private static final class Decoder {
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        private ByteBuffer pending = ByteBuffer.allocate(0);

        synchronized String decode(byte[] payload) {
            ByteBuffer input = ByteBuffer.allocate(pending.remaining() + payload.length);
            input.put(pending).put(payload).flip();
            CharBuffer chars = CharBuffer.allocate(input.remaining());
            decoder.decode(input, chars, false);
            pending = input.slice();
            return chars.flip().toString();
        }
    }
}

package dev.drydock.magics.container;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Utf8;

/**
 * Streams a container's stdout and stderr frames into the cell as they arrive. A frame may end inside a
 * multi-byte character, so each stream keeps its own {@link Utf8} decoder.
 */
final class FrameOutput extends ResultCallback.Adapter<Frame> {

    private final Notebook notebook;
    private final Utf8 out = new Utf8();
    private final Utf8 err = new Utf8();

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
}

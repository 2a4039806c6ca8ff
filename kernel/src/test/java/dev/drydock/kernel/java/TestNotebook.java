package dev.drydock.kernel.java;

import dev.drydock.magics.Cancellation;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records what cells send to the notebook, one line per call. */
final class TestNotebook implements Notebook {

    record Call(String kind, String displayId, Map<String, Object> bundle) {}

    final List<Call> calls = new CopyOnWriteArrayList<>();
    private final Cancellation cancellation = new Cancellation();

    @Override
    public void out(String text) {
        calls.add(new Call("out", null, Map.of("text/plain", text)));
    }

    @Override
    public void err(String text) {
        calls.add(new Call("err", null, Map.of("text/plain", text)));
    }

    @Override
    public void display(Map<String, Object> bundle, String displayId) {
        calls.add(new Call("display", displayId, bundle));
    }

    @Override
    public void update(String displayId, Map<String, Object> bundle) {
        calls.add(new Call("update", displayId, bundle));
    }

    @Override
    public void clear(boolean wait) {
        calls.add(new Call(wait ? "clear-wait" : "clear", null, Map.of()));
    }

    @Override
    public String input(String prompt, boolean password) throws MagicException {
        throw MagicException.failed("no input in these tests");
    }

    @Override
    public Cancellation cancellation() {
        return cancellation;
    }
}

package dev.drydock.magics.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.RecordingNotebook.Display;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LiveDisplayTest {

    private final RecordingNotebook notebook = new RecordingNotebook();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final LiveDisplay display = new LiveDisplay(notebook, "test", now::get);

    private List<String> texts() {
        return notebook.displays().stream().map(d -> (String) d.bundle().get("text/plain")).toList();
    }

    @Test
    void oneDisplayThenUpdatesOfIt() {
        display.show("a");
        display.show("b");
        List<Display> displays = notebook.displays();
        assertFalse(displays.get(0).update());
        assertTrue(displays.get(1).update());
        assertEquals(displays.get(0).displayId(), displays.get(1).displayId());
    }

    @Test
    void updatesWithinTheIntervalAreSkippedAndShowAlwaysGoesOut() {
        display.update("event 1");
        display.update("event 2");
        now.addAndGet(LiveDisplay.MIN_UPDATE_NANOS - 1);
        display.update("event 3");
        now.addAndGet(1);
        display.update("event 4");
        display.update("event 5");
        display.show("done");
        assertEquals(List.of("event 1", "event 4", "done"), texts());
    }

    @Test
    void anUnchangedTextIsNotSentAgain() {
        display.show("same");
        now.addAndGet(LiveDisplay.MIN_UPDATE_NANOS);
        display.update("same");
        display.show("same");
        assertEquals(List.of("same"), texts());
    }

    @Test
    void htmlIsEscaped() {
        display.show("a <b> & c");
        assertEquals("<pre>a &lt;b&gt; &amp; c</pre>", notebook.displays().get(0).bundle().get("text/html"));
    }
}

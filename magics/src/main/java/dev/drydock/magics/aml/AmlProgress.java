package dev.drydock.magics.aml;

import dev.drydock.magics.Notebook;
import java.util.Map;

/** One display per operation, updated in place. */
final class AmlProgress {
    private final Notebook notebook;
    private final String id;
    private boolean shown;

    AmlProgress(Notebook notebook, String id) {
        this.notebook = notebook;
        this.id = id + "-" + java.util.UUID.randomUUID();
    }

    void show(String text) {
        Map<String, Object> bundle = Map.of("text/plain", text);
        if (shown) {
            notebook.update(id, bundle);
        } else {
            notebook.display(bundle, id);
            shown = true;
        }
    }
}

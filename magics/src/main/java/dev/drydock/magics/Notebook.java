package dev.drydock.magics;

import java.util.Map;

/**
 * The one port through which a magic talks to the person running the notebook.
 *
 * <p>The kernel implements it over Jupyter messages; tests and headless use implement it in memory
 * ({@code RecordingNotebook} in the tests). Implementations mask secrets in everything that passes
 * through them, so magics never have to remember to.
 */
public interface Notebook {

    /** Text for the cell's stdout stream. Need not end with a newline; output is coalesced. */
    void out(String text);

    /** Text for the cell's stderr stream. */
    void err(String text);

    /**
     * Shows a MIME bundle (for example {@code text/plain}, {@code text/html}, {@code image/png} as
     * base64). Values are strings, except {@code application/json} and other {@code +json} types, whose
     * values may be maps and lists. A non-null {@code displayId} lets {@link #update} replace it later.
     */
    void display(Map<String, Object> bundle, String displayId);

    /** Replaces what an earlier {@link #display} with the same id shows, wherever it is. */
    void update(String displayId, Map<String, Object> bundle);

    /** Clears the cell's output; with {@code wait}, only once new output arrives (no flicker). */
    void clear(boolean wait);

    /**
     * Asks the person for one line of input.
     *
     * @throws MagicException when the frontend cannot take input (for example {@code nbconvert})
     */
    String input(String prompt, boolean password) throws MagicException;

    /** The interrupt signal of the cell that is running. */
    Cancellation cancellation();
}

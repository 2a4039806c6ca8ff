package dev.drydock.kernel.java;

import java.util.Objects;

/**
 * What {@code display(...)} returns: the display's id ({@link #toString()}), to update it in place. A cell
 * ending in {@code display(x)} shows x once, not also this handle as its value (as IPython's
 * {@code display}); a cell that is only a variable holding one shows the id.
 */
public final class DisplayHandle {

    private final String id;

    DisplayHandle(String id) {
        this.id = Objects.requireNonNull(id, "id");
    }

    /** The display id of Jupyter's protocol. */
    public String id() {
        return id;
    }

    /** Replaces what this display shows with {@code value}, rendered as by {@code display(value)}. */
    public void update(Object value) {
        CellApi.updateDisplay(id, value);
    }

    /** Replaces what this display shows with {@code content} as {@code mimeType}. */
    public void update(String mimeType, String content) {
        CellApi.updateDisplay(id, mimeType, content);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof DisplayHandle handle && handle.id.equals(id);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return id;
    }
}

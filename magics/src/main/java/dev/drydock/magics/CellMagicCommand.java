package dev.drydock.magics;

/**
 * A cell magic ({@code %%name args} on the first line): the rest of the cell is its {@link #body()}.
 * Extending this class is what registers a family as a cell magic rather than a line magic.
 */
public abstract class CellMagicCommand extends MagicCommand {

    private String body = "";

    /** Called by {@code Magics} before the command runs. */
    public void body(String body) {
        this.body = body == null ? "" : body;
    }

    protected String body() {
        return body;
    }
}

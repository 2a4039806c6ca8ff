package dev.drydock.magics;

/**
 * One magic invocation as the cell splitter found it.
 *
 * @param name the magic's name without {@code %} or {@code %%}
 * @param args the rest of the first line, unparsed (the magic tokenizes it shell-like)
 * @param body the rest of the cell for a cell magic ({@code %%name}); {@code null} for a line magic
 */
public record MagicCall(String name, String args, String body) {

    public boolean isCellMagic() {
        return body != null;
    }
}

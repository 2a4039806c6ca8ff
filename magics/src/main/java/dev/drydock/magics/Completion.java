package dev.drydock.magics;

import java.util.List;

/**
 * Completion candidates for the text between {@code start} and {@code end} (offsets into the code
 * that was completed). Matches are whole tokens, {@code %} included, as IPython returns them.
 */
public record Completion(int start, int end, List<String> matches) {

    public static Completion none(int cursor) {
        return new Completion(cursor, cursor, List.of());
    }
}

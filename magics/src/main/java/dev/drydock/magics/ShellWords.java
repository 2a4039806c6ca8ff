package dev.drydock.magics;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a magic's argument text into words, close to a POSIX shell but friendly to Windows paths.
 *
 * <ul>
 *   <li>Blanks separate words; parts written next to each other join: {@code NAME="a b"} is one word.
 *   <li>{@code '...'} is taken literally and never expanded.
 *   <li>{@code "..."} keeps blanks; inside it {@code \"} and {@code \\} are escapes and every other
 *       backslash stays as typed.
 *   <li>Outside quotes a backslash is an ordinary character, so {@code C:\data\in.csv} survives.
 *   <li>{@code ${NAME}} is expanded (by the given {@link Expander}) in unquoted and double-quoted text
 *       after the split, so a value with blanks or quotes stays inside its one word.
 * </ul>
 *
 * <p>No library was a fit: picocli takes an already split {@code String[]}, and shell-word splitters
 * (commons-exec, commons-text) treat backslashes POSIX-style and would eat Windows separators.
 */
public final class ShellWords {

    /** Expands variables in one piece of unquoted or double-quoted text. */
    @FunctionalInterface
    public interface Expander {
        String expand(String text) throws MagicException;
    }

    private ShellWords() {}

    /** Splits without expanding anything. */
    public static List<String> split(String text) throws MagicException {
        return split(text, piece -> piece);
    }

    public static List<String> split(String text, Expander expander) throws MagicException {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        StringBuilder piece = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                if (inWord) {
                    word.append(expander.expand(take(piece)));
                    words.add(take(word));
                    inWord = false;
                }
                i++;
            } else if (c == '\'') {
                int close = text.indexOf('\'', i + 1);
                if (close < 0) {
                    throw unterminated('\'', text);
                }
                word.append(expander.expand(take(piece))).append(text, i + 1, close);
                inWord = true;
                i = close + 1;
            } else if (c == '"') {
                word.append(expander.expand(take(piece)));
                i = doubleQuoted(text, i + 1, piece);
                word.append(expander.expand(take(piece)));
                inWord = true;
            } else {
                piece.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            word.append(expander.expand(take(piece)));
            words.add(word.toString());
        }
        return words;
    }

    /** Reads a double-quoted part starting after its opening quote; returns the index after the closing one. */
    private static int doubleQuoted(String text, int from, StringBuilder into) throws MagicException {
        int i = from;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '"') {
                return i + 1;
            }
            if (c == '\\' && i + 1 < text.length() && (text.charAt(i + 1) == '"' || text.charAt(i + 1) == '\\')) {
                into.append(text.charAt(i + 1));
                i += 2;
            } else {
                into.append(c);
                i++;
            }
        }
        throw unterminated('"', text);
    }

    private static String take(StringBuilder sb) {
        String s = sb.toString();
        sb.setLength(0);
        return s;
    }

    private static MagicException unterminated(char quote, String text) {
        return MagicException.usage("Unterminated " + quote + " quote in: " + text
                + "\nClose the quote; to pass a literal " + quote + " put it inside the other kind of quotes.");
    }
}

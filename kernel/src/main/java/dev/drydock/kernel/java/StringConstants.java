package dev.drydock.kernel.java;

/**
 * Finds string literals too long for a class file: a constant holds at most 65,535 bytes of modified
 * UTF-8. A small scanner, not javac's: it skips comments and character literals, reads string
 * literals and text blocks, and counts an escape sequence as the one character it stands for.
 * Constants folded from several shorter literals are not caught.
 */
final class StringConstants {

    static final int MAX_BYTES = 65_535;

    private StringConstants() {}

    /** Why the source cannot compile, or {@code null} when no literal is too long. */
    static String overlong(String source) {
        int at = 0;
        int n = source.length();
        while (at < n) {
            char c = source.charAt(at);
            if (c == '/' && at + 1 < n && source.charAt(at + 1) == '/') {
                int end = source.indexOf('\n', at);
                at = end < 0 ? n : end + 1;
            } else if (c == '/' && at + 1 < n && source.charAt(at + 1) == '*') {
                int end = source.indexOf("*/", at + 2);
                at = end < 0 ? n : end + 2;
            } else if (c == '\'') {
                at = skipQuoted(source, at + 1, '\'');
            } else if (source.startsWith("\"\"\"", at)) {
                int end = source.indexOf("\"\"\"", at + 3);
                end = end < 0 ? n : end;
                String why = check(source, at + 3, end);
                if (why != null) {
                    return why;
                }
                at = end + 3;
            } else if (c == '"') {
                int end = skipQuoted(source, at + 1, '"');
                String why = check(source, at + 1, Math.max(at + 1, end - 1));
                if (why != null) {
                    return why;
                }
                at = end;
            } else {
                at++;
            }
        }
        return null;
    }

    /** The index after the closing quote (or the line's end when it is missing). */
    private static int skipQuoted(String source, int at, char quote) {
        while (at < source.length()) {
            char c = source.charAt(at);
            if (c == '\\') {
                at += 2;
            } else if (c == quote) {
                return at + 1;
            } else if (c == '\n') {
                return at;
            } else {
                at++;
            }
        }
        return source.length();
    }

    private static String check(String source, int start, int end) {
        if (end - start <= MAX_BYTES / 3) {
            return null; // at most three bytes a character: cannot be too long
        }
        long bytes = 0;
        for (int i = start; i < end; i++) {
            char c = source.charAt(i);
            if (c == '\\' && i + 1 < end) {
                i++;
                c = source.charAt(i) == 'u' ? 'u' : source.charAt(i);
            }
            bytes += c != 0 && c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
        }
        if (bytes <= MAX_BYTES) {
            return null;
        }
        return String.format("this string constant is too long for a class file: at most 65,535 bytes of UTF-8,"
                + " this one has %,d. Read long text from a file (Files.readString) or build it at run time.", bytes);
    }
}

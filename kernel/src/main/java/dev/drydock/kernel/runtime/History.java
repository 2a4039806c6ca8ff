package dev.drydock.kernel.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The inputs (and text outputs) of this kernel's session, in memory, answering {@code history_request}'s
 * tail, range and search as IPython's history manager does.
 *
 * <p>The session is number {@link #SESSION}; a request may name it so, or as 0 (the current session,
 * IPython's convention). There are no earlier sessions, so other numbers find nothing.
 */
final class History {

    static final int SESSION = 1;

    /** One stored cell; {@code output} is the text of its result, or {@code null}. */
    record Entry(int session, int line, String input, String output) {}

    private final List<Entry> entries = new ArrayList<>();

    synchronized void add(int line, String input, String output) {
        entries.add(new Entry(SESSION, line, input, output));
    }

    /** The last {@code n} entries, oldest first. */
    synchronized List<Entry> tail(int n) {
        return List.copyOf(entries.subList(Math.max(0, entries.size() - Math.max(0, n)), entries.size()));
    }

    /** Lines {@code start <= line < stop} of a session; {@code stop <= 0} means to the end. */
    synchronized List<Entry> range(int session, int start, int stop) {
        if (session != 0 && session != SESSION) {
            return List.of();
        }
        return entries.stream()
                .filter(e -> e.line() >= start && (stop <= 0 || e.line() < stop))
                .toList();
    }

    /**
     * Entries whose whole input matches the glob ({@code *} any run, {@code ?} one character, case
     * sensitive like SQLite's GLOB); with {@code unique}, only the latest of equal inputs; with
     * {@code n > 0}, only the last n.
     */
    synchronized List<Entry> search(String glob, int n, boolean unique) {
        Pattern pattern = globToRegex(glob);
        List<Entry> found = entries.stream().filter(e -> pattern.matcher(e.input()).matches()).toList();
        if (unique) {
            Map<String, Entry> latest = new LinkedHashMap<>();
            for (Entry e : found) {
                latest.remove(e.input());
                latest.put(e.input(), e);
            }
            found = List.copyOf(latest.values());
        }
        return n > 0 ? found.subList(Math.max(0, found.size() - n), found.size()) : found;
    }

    static Pattern globToRegex(String glob) {
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char c : glob.toCharArray()) {
            if (c == '*' || c == '?') {
                if (literal.length() > 0) {
                    regex.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                regex.append(c == '*' ? ".*" : ".");
            } else {
                literal.append(c);
            }
        }
        if (literal.length() > 0) {
            regex.append(Pattern.quote(literal.toString()));
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }
}

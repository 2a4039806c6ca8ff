package dev.drydock.magics.files;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code .env} file read the way python-dotenv reads it (the tool the seeds and docker compose users
 * write for): {@code KEY=value}, {@code KEY = value}, {@code export KEY=value}, single quotes (literal but
 * for {@code \'} and {@code \\}), double quotes (escapes such as {@code \n} and {@code \"}, and values over
 * several lines), unquoted values with {@code  #} comments, empty values, a name without {@code =} (no
 * value), and {@code ${OTHER}} / {@code ${OTHER:-default}} expansion.
 *
 * <p>This is a port of python-dotenv 0.21's {@code parser.py} and {@code variables.py}, regular expression
 * for regular expression, because dotenv-java keeps single quotes in the value ({@code A='x'} loads as
 * {@code 'x'}), has no expansion and no multi-line double-quoted values. {@code DotenvFileOracleTest}
 * compares it with python-dotenv itself on a table of tricky files. As in python-dotenv, a line that
 * cannot be parsed is skipped and reported ({@link #errorLines()}), the rest still loads; and expansion
 * applies to every value, single-quoted ones included.
 */
public final class DotenvFile {

    /** One {@code NAME=value} in file order; {@code value} is null for a bare {@code NAME} line. */
    public record Entry(String name, String value, int line) {}

    private static final int FLAGS = Pattern.UNICODE_CHARACTER_CLASS;
    private static final Pattern MULTILINE_WHITESPACE = Pattern.compile("\\s*", FLAGS | Pattern.MULTILINE);
    private static final Pattern WHITESPACE = Pattern.compile("[^\\S\\r\\n]*", FLAGS);
    private static final Pattern EXPORT = Pattern.compile("(?:export[^\\S\\r\\n]+)?", FLAGS);
    private static final Pattern SINGLE_QUOTED_KEY = Pattern.compile("'([^']+)'", FLAGS);
    private static final Pattern UNQUOTED_KEY = Pattern.compile("([^=#\\s]+)", FLAGS);
    private static final Pattern EQUAL_SIGN = Pattern.compile("(=[^\\S\\r\\n]*)", FLAGS);
    private static final Pattern SINGLE_QUOTED_VALUE = Pattern.compile("'((?:\\\\'|[^'])*)'", FLAGS);
    private static final Pattern DOUBLE_QUOTED_VALUE = Pattern.compile("\"((?:\\\\\"|[^\"])*)\"", FLAGS);
    private static final Pattern UNQUOTED_VALUE = Pattern.compile("([^\\r\\n]*)", FLAGS);
    private static final Pattern COMMENT = Pattern.compile("(?:[^\\S\\r\\n]*#[^\\r\\n]*)?", FLAGS);
    private static final Pattern END_OF_LINE = Pattern.compile("[^\\S\\r\\n]*(?:\\r\\n|\\n|\\r|$)", FLAGS);
    private static final Pattern REST_OF_LINE = Pattern.compile("[^\\r\\n]*(?:\\r|\\n|\\r\\n)?", FLAGS);
    private static final Pattern DOUBLE_QUOTE_ESCAPES = Pattern.compile("\\\\[\\\\'\"abfnrtv]");
    private static final Pattern SINGLE_QUOTE_ESCAPES = Pattern.compile("\\\\[\\\\']");
    private static final Pattern INLINE_COMMENT = Pattern.compile("\\s+#.*", FLAGS);
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}:]*)(?::-([^}]*))?}");

    private final List<Entry> entries;
    private final List<Integer> errorLines;

    private DotenvFile(List<Entry> entries, List<Integer> errorLines) {
        this.entries = List.copyOf(entries);
        this.errorLines = List.copyOf(errorLines);
    }

    /** The bindings in file order, before expansion. */
    public List<Entry> entries() {
        return entries;
    }

    /** The 1-based lines python-dotenv would warn about and skip. */
    public List<Integer> errorLines() {
        return errorLines;
    }

    /** Parses a file's text (Python reads it with universal newlines, so {@code \r\n} and {@code \r} end lines). */
    public static DotenvFile parse(String text) {
        Reader reader = new Reader(text.replace("\r\n", "\n").replace('\r', '\n'));
        List<Entry> entries = new ArrayList<>();
        List<Integer> errors = new ArrayList<>();
        while (reader.hasNext()) {
            int markLine = reader.line;
            int mark = reader.at;
            try {
                reader.read(MULTILINE_WHITESPACE);
                if (!reader.hasNext()) {
                    break;
                }
                int line = reader.line;
                reader.read(EXPORT);
                String key = key(reader);
                reader.read(WHITESPACE);
                String value = null;
                if (reader.peek().equals("=")) {
                    reader.read(EQUAL_SIGN);
                    value = value(reader);
                }
                reader.read(COMMENT);
                reader.read(END_OF_LINE);
                if (key != null) {
                    entries.add(new Entry(key, value, line));
                }
            } catch (IllegalStateException e) {
                reader.at = mark;
                reader.line = markLine;
                reader.read(MULTILINE_WHITESPACE);
                errors.add(reader.line);
                reader.read(REST_OF_LINE);
            }
        }
        return new DotenvFile(entries, errors);
    }

    /**
     * The values with {@code ${NAME}} expanded as python-dotenv's {@code dotenv_values} does: a name set
     * earlier in the file wins over {@code outside} (the session and process environment), an unset
     * name without a {@code :-default} becomes empty. Bare names keep a null value.
     */
    public Map<String, String> expand(Function<String, String> outside) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Entry entry : entries) {
            if (entry.value() == null) {
                values.put(entry.name(), null);
                continue;
            }
            Matcher matcher = VARIABLE.matcher(entry.value());
            StringBuilder out = new StringBuilder();
            while (matcher.find()) {
                String name = matcher.group(1);
                String found = values.containsKey(name) ? values.get(name) : outside.apply(name);
                if (!values.containsKey(name) && found == null) {
                    found = matcher.group(2) == null ? "" : matcher.group(2);
                }
                matcher.appendReplacement(out, Matcher.quoteReplacement(found == null ? "" : found));
            }
            matcher.appendTail(out);
            // A name given twice keeps its first place and takes the later value, as in a Python dict.
            values.put(entry.name(), out.toString());
        }
        return values;
    }

    private static String key(Reader reader) {
        String first = reader.peek();
        if (first.equals("#")) {
            return null;
        }
        return reader.read(first.equals("'") ? SINGLE_QUOTED_KEY : UNQUOTED_KEY);
    }

    private static String value(Reader reader) {
        String first = reader.peek();
        if (first.equals("'")) {
            return unescape(SINGLE_QUOTE_ESCAPES, reader.read(SINGLE_QUOTED_VALUE));
        }
        if (first.equals("\"")) {
            return unescape(DOUBLE_QUOTE_ESCAPES, reader.read(DOUBLE_QUOTED_VALUE));
        }
        if (first.isEmpty() || first.equals("\n")) {
            return "";
        }
        String part = reader.read(UNQUOTED_VALUE);
        return INLINE_COMMENT.matcher(part).replaceAll("").stripTrailing();
    }

    /** Python's {@code unicode-escape} applied to each two-character escape the pattern finds. */
    private static String unescape(Pattern escapes, String value) {
        return escapes.matcher(value).replaceAll(match -> Matcher.quoteReplacement(switch (match.group().charAt(1)) {
            case 'a' -> "\u0007";
            case 'b' -> "\b";
            case 'f' -> "\f";
            case 'n' -> "\n";
            case 'r' -> "\r";
            case 't' -> "\t";
            case 'v' -> "\u000b";
            default -> String.valueOf(match.group().charAt(1));
        }));
    }

    /** python-dotenv's {@code Reader}: a cursor that only moves by whole regular-expression matches. */
    private static final class Reader {
        private final String text;
        private int at;
        private int line = 1;

        Reader(String text) {
            this.text = text;
        }

        boolean hasNext() {
            return at < text.length();
        }

        String peek() {
            return at < text.length() ? text.substring(at, at + 1) : "";
        }

        /** Matches at the cursor and moves past the match; the first group, or null when there is none. */
        String read(Pattern pattern) {
            Matcher matcher = pattern.matcher(text).region(at, text.length());
            matcher.useTransparentBounds(true).useAnchoringBounds(false);
            if (!matcher.lookingAt()) {
                throw new IllegalStateException("pattern not found");
            }
            String matched = text.substring(at, matcher.end());
            line += (int) matched.chars().filter(c -> c == '\n').count();
            at = matcher.end();
            return matcher.groupCount() > 0 ? matcher.group(1) : null;
        }
    }
}

package dev.drydock.kernel.java;

import dev.drydock.kernel.java.JavaEngine.JavaException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShellException;
import jdk.jshell.MethodSnippet;
import jdk.jshell.Snippet;
import jdk.jshell.UnresolvedReferenceException;

/**
 * Turns JShell's diagnostics and exceptions into the {@code error} a person reads: cell lines, the
 * source line with a caret under the problem, and only the frames of their own code.
 */
final class CellErrors {

    static final String COMPILATION = "CompilationException";
    static final String INTERRUPTED = "KeyboardInterrupt";
    static final String UNRESOLVED = "UnresolvedReferenceException";

    private static final int MAX_FRAMES = 40;
    /** JShell names the "file" of a snippet's frames {@code #id} and numbers lines within the snippet. */
    private static final Pattern SNIPPET_FILE = Pattern.compile("#(.+)");
    /** javac names JShell's synthetic wrapper class, which means nothing to the person. */
    private static final Pattern WRAPPER_LOCATION = Pattern.compile("\\s*location: class\\s*");
    private static final Pattern LAMBDA = Pattern.compile("lambda\\$(.*)\\$\\d+");
    /** Helpful NullPointerException messages name cell variables by their wrapper class. */
    private static final Pattern WRAPPER_PREFIX = Pattern.compile("REPL\\.\\$JShell\\$\\w+\\.");

    private CellErrors() {}

    /** Where a snippet came from: the eval it belonged to, its first line in that cell, its source. */
    record Origin(long eval, int firstLine, String source) {

        String line(int snippetLine) {
            return source.lines().skip(Math.max(0, snippetLine - 1)).findFirst().orElse("");
        }
    }

    static JavaException compilation(List<Diag> diagnostics, Origin origin) {
        List<Diag> errors = diagnostics.stream().filter(Diag::isError).toList();
        if (errors.isEmpty()) {
            String summary = "cell line " + origin.firstLine() + ": this code was rejected";
            return new JavaException(COMPILATION, summary, List.of(COMPILATION + ": " + summary, indent(origin.line(1))));
        }
        List<String> traceback = new ArrayList<>();
        String summary = null;
        for (Diag diag : errors) {
            List<String> message = messageLines(diag);
            long position = diag.getStartPosition() >= 0 ? diag.getStartPosition() : diag.getPosition();
            String source = origin.source();
            int at = (int) Math.max(0, Math.min(position, source.length()));
            int line = origin.firstLine() + count(source, at);
            if (summary == null) {
                summary = "cell line " + line + ": " + oneLine(message);
            }
            traceback.add("cell line " + line + ": error: " + message.get(0));
            if (position >= 0) {
                int lineStart = source.lastIndexOf('\n', at - 1) + 1;
                int lineEnd = source.indexOf('\n', at);
                lineEnd = lineEnd < 0 ? source.length() : lineEnd;
                String text = source.substring(lineStart, lineEnd);
                int end = (int) Math.min(Math.max(diag.getEndPosition(), at + 1), Math.max(lineEnd, at + 1));
                traceback.add(indent(text));
                traceback.add(indent(caretPrefix(text, at - lineStart) + "^".repeat(end - at)));
            }
            message.stream().skip(1).forEach(traceback::add);
        }
        return new JavaException(COMPILATION, summary, traceback);
    }

    /**
     * A compile error in a snippet whose cell had already run earlier snippets: JShell compiles each snippet
     * against the declarations before it, so it could not know sooner. The error says what ran.
     */
    static JavaException afterLinesRan(JavaException error, int firstLine, int lastRan) {
        List<String> traceback = new ArrayList<>(error.traceback());
        String ran = firstLine == lastRan ? "Line " + firstLine : "Lines " + firstLine + "-" + lastRan;
        traceback.add(ran + " of this cell already ran; nothing after them did.");
        return new JavaException(error.ename(), error.evalue(), traceback);
    }

    /** Code the engine refuses before compiling it, for {@code reason}. */
    static JavaException refused(Origin origin, String reason) {
        String summary = "cell line " + origin.firstLine() + ": " + reason;
        return new JavaException(COMPILATION, summary, List.of(COMPILATION + ": " + summary));
    }

    /** Code that JShell's compiler failed on internally rather than reject with a diagnostic. */
    static JavaException unanalysable(Origin origin, Throwable failure) {
        String summary = "cell line " + origin.firstLine() + ": this code cannot be compiled"
                + " (JShell's compiler failed on it: " + failure.getClass().getSimpleName()
                + (failure.getMessage() == null ? "" : ", " + clean(failure.getMessage())) + ")";
        return new JavaException(COMPILATION, summary, List.of(COMPILATION + ": " + summary, indent(origin.line(1))));
    }

    /** A runtime failure: the exception, its user frames mapped to cell lines, and its causes. */
    static JavaException runtime(JShellException ex, Map<String, Origin> origins, long currentEval,
            Function<DeclarationSnippet, List<String>> missing) {
        List<String> traceback = new ArrayList<>();
        String header = header(ex, missing);
        traceback.add(header);
        StackTraceElement[] frames = ex.getStackTrace();
        addFrames(traceback, frames, frames.length, origins, currentEval);
        Throwable enclosingCause = ex;
        StackTraceElement[] enclosing = frames;
        for (Throwable cause = ex.getCause(); cause instanceof JShellException jse && cause != enclosingCause;
                cause = cause.getCause()) {
            traceback.add("Caused by: " + header(jse, missing));
            StackTraceElement[] own = jse.getStackTrace();
            int unique = own.length - inCommon(own, enclosing);
            addFrames(traceback, own, unique, origins, currentEval);
            if (unique < own.length) {
                traceback.add("    ... " + (own.length - unique) + " more");
            }
            enclosingCause = cause;
            enclosing = own;
        }
        String ename = name(ex);
        String evalue = ex instanceof UnresolvedReferenceException unresolved
                ? unresolvedMessage(unresolved, missing)
                : ex.getMessage() == null ? "" : clean(ex.getMessage());
        return new JavaException(ename, evalue, traceback);
    }

    /** A failure of kernel-side work that ran user code (rendering a value), with plain Java frames. */
    static JavaException runtime(Throwable ex) {
        List<String> traceback = new ArrayList<>();
        traceback.add(ex.toString());
        for (StackTraceElement frame : ex.getStackTrace()) {
            if (frame.getClassName().startsWith(CellErrors.class.getPackageName() + ".")) {
                break;
            }
            traceback.add("    at " + frame);
        }
        return new JavaException(ex.getClass().getName(), String.valueOf(ex.getMessage()), traceback);
    }

    static JavaException interrupted(int line) {
        String evalue = "interrupted at cell line " + line;
        return new JavaException(INTERRUPTED, evalue, List.of(INTERRUPTED + ": " + evalue));
    }

    /** What JShell's own tool says of a declaration that names something not yet declared. */
    static String unresolvedNote(DeclarationSnippet snippet, List<String> missing) {
        return "note: created " + describe(snippet) + ", however, it cannot be used until "
                + String.join(" and ", missing) + (missing.size() == 1 ? " is" : " are") + " declared";
    }

    static String describe(Snippet snippet) {
        if (snippet instanceof MethodSnippet method) {
            return "method " + method.name() + "(" + method.parameterTypes() + ")";
        }
        String name = snippet instanceof DeclarationSnippet declaration ? declaration.name() : snippet.source();
        return switch (snippet.subKind()) {
            case INTERFACE_SUBKIND -> "interface " + name;
            case ENUM_SUBKIND -> "enum " + name;
            case RECORD_SUBKIND -> "record " + name;
            case ANNOTATION_TYPE_SUBKIND -> "annotation interface " + name;
            case CLASS_SUBKIND -> "class " + name;
            default -> "variable " + name;
        };
    }

    private static String unresolvedMessage(UnresolvedReferenceException ex,
            Function<DeclarationSnippet, List<String>> missing) {
        List<String> names = missing.apply(ex.getSnippet());
        return describe(ex.getSnippet()) + " cannot be used until "
                + (names.isEmpty() ? "what it refers to is" : String.join(" and ", names) + (names.size() == 1 ? " is" : " are"))
                + " declared";
    }

    private static String header(JShellException ex, Function<DeclarationSnippet, List<String>> missing) {
        String name = name(ex);
        String message = ex instanceof UnresolvedReferenceException unresolved
                ? unresolvedMessage(unresolved, missing)
                : ex.getMessage();
        return message == null ? name : name + ": " + clean(message);
    }

    /** The exception's class name; {@code SystemExit} short, as Python names it. */
    private static String name(JShellException ex) {
        if (!(ex instanceof EvalException eval)) {
            return UNRESOLVED;
        }
        return eval.getExceptionClassName().equals(SystemExit.class.getName())
                ? SystemExit.class.getSimpleName() : eval.getExceptionClassName();
    }

    private static String clean(String message) {
        return WRAPPER_PREFIX.matcher(message).replaceAll("");
    }

    private static void addFrames(List<String> traceback, StackTraceElement[] frames, int count,
            Map<String, Origin> origins, long currentEval) {
        int shown = 0;
        int repeats = 0;
        StackTraceElement previous = null;
        for (int i = 0; i < count; i++) {
            StackTraceElement frame = frames[i];
            if (frame.getClassName().startsWith("jdk.jshell.")) {
                continue;
            }
            // Deep recursion (a StackOverflowError) would bury the cause under a thousand equal frames.
            if (frame.equals(previous)) {
                repeats++;
                continue;
            }
            if (repeats > 0) {
                traceback.add(repeated(repeats));
                repeats = 0;
            }
            previous = frame;
            if (shown == MAX_FRAMES) {
                traceback.add("    ... " + (count - i) + " more frames");
                return;
            }
            shown++;
            traceback.addAll(frameLines(frame, origins, currentEval));
        }
        if (repeats > 0) {
            traceback.add(repeated(repeats));
        }
    }

    private static String repeated(int times) {
        return "    [the frame above repeats " + times + " more time" + (times == 1 ? "" : "s") + "]";
    }

    private static List<String> frameLines(StackTraceElement frame, Map<String, Origin> origins, long currentEval) {
        Matcher snippet = frame.getFileName() == null ? null : SNIPPET_FILE.matcher(frame.getFileName());
        if (snippet == null || !snippet.matches()) {
            return List.of("    at " + frame);
        }
        Origin origin = origins.get(snippet.group(1));
        String name = frameName(frame);
        if (origin == null) {
            return List.of("    at " + name + " (snippet " + frame.getFileName() + ", line " + frame.getLineNumber() + ")");
        }
        int line = origin.firstLine() + frame.getLineNumber() - 1;
        String where = origin.eval() == currentEval ? "cell line " + line : "line " + line + " of an earlier cell";
        String text = origin.line(frame.getLineNumber()).strip();
        return text.isEmpty()
                ? List.of("    at " + name + " (" + where + ")")
                : List.of("    at " + name + " (" + where + ")", "        " + text);
    }

    private static String frameName(StackTraceElement frame) {
        String method = frame.getMethodName();
        Matcher lambda = LAMBDA.matcher(method);
        if (lambda.matches()) {
            method = "lambda in " + methodName(lambda.group(1));
        } else {
            method = methodName(method);
        }
        String type = frame.getClassName();
        return type.isEmpty() || method.startsWith("<cell") || method.startsWith("lambda in <cell")
                ? method
                : type + "." + method;
    }

    private static String methodName(String method) {
        return method.isEmpty() || method.equals("do_it$") ? "<cell>" : method;
    }

    private static int inCommon(StackTraceElement[] own, StackTraceElement[] enclosing) {
        int common = 0;
        for (int i = own.length - 1, j = enclosing.length - 1; i >= 0 && j >= 0 && own[i].equals(enclosing[j]); i--, j--) {
            common++;
        }
        return common;
    }

    private static List<String> messageLines(Diag diag) {
        List<String> lines = new ArrayList<>(Arrays.asList(diag.getMessage(Locale.getDefault()).split("\\R")));
        lines.removeIf(line -> WRAPPER_LOCATION.matcher(line).matches());
        if (lines.isEmpty()) {
            lines.add(diag.getCode());
        }
        return lines;
    }

    /** "cannot find symbol (variable foo)": the first line and, when javac gives one, the symbol. */
    private static String oneLine(List<String> message) {
        String first = message.get(0).strip();
        return message.stream().skip(1)
                .map(String::strip)
                .filter(line -> line.startsWith("symbol:"))
                .findFirst()
                .map(symbol -> first + " (" + symbol.substring("symbol:".length()).strip() + ")")
                .orElse(first);
    }

    /** Keeps tabs so the caret lines up under tab-indented code. */
    private static String caretPrefix(String text, int column) {
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < column && i < text.length(); i++) {
            prefix.append(text.charAt(i) == '\t' ? '\t' : ' ');
        }
        return prefix.toString();
    }

    private static String indent(String line) {
        return "    " + line;
    }

    static int count(String text, int end) {
        int lines = 0;
        for (int i = 0; i < end && i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                lines++;
            }
        }
        return lines;
    }
}

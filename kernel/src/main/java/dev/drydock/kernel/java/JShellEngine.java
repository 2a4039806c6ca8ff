package dev.drydock.kernel.java;

import dev.drydock.kernel.java.CellErrors.Origin;
import dev.drydock.magics.Completion;
import dev.drydock.magics.Notebook;
import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import jdk.jshell.DeclarationSnippet;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.Snippet.Status;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.SourceCodeAnalysis.CompletionInfo;
import jdk.jshell.SourceCodeAnalysis.Completeness;
import jdk.jshell.SourceCodeAnalysis.Documentation;
import jdk.jshell.SourceCodeAnalysis.Suggestion;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControl.StoppedException;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;

/**
 * Java cells over JShell, in this JVM: cells share the kernel's classes and static state, so they can
 * call Drydock's own API, and {@link CellApi}'s display calls are imported into every cell (bind the
 * notebook they reach with {@link CellApi#bind}).
 *
 * <p>Evaluation, completion, inspection and completeness share one JShell, which is not thread-safe:
 * they take turns. While a cell runs, completion and the other questions wait briefly, then give an
 * empty answer rather than block the frontend. {@link #stop()} needs no turn; use it rather than
 * interrupting the thread in {@link #eval}, whose interrupt javac would trip over.
 */
public final class JShellEngine implements JavaEngine {

    /** JShell's own DEFAULT startup, then the display calls; nothing else leaks into cells' namespace. */
    static final List<String> STARTUP = List.of(
            "import java.io.*;",
            "import java.math.*;",
            "import java.net.*;",
            "import java.nio.file.*;",
            "import java.util.*;",
            "import java.util.concurrent.*;",
            "import java.util.function.*;",
            "import java.util.prefs.*;",
            "import java.util.regex.*;",
            "import java.util.stream.*;",
            "import static dev.drydock.kernel.java.CellApi.display;",
            "import static dev.drydock.kernel.java.CellApi.updateDisplay;",
            "import static dev.drydock.kernel.java.CellApi.clearOutput;",
            "import static dev.drydock.kernel.java.CellApi.magic;",
            "import static dev.drydock.kernel.java.CellApi.env;",
            "import dev.drydock.kernel.java.MagicFailure;",
            "import dev.drydock.kernel.java.DisplayHandle;");

    private static final Set<Snippet.SubKind> VALUE_KINDS = Set.of(
            Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND,
            Snippet.SubKind.VAR_VALUE_SUBKIND,
            Snippet.SubKind.OTHER_EXPRESSION_SUBKIND);
    private static final long QUERY_WAIT_MILLIS = 500;
    private static final String INDENT = "    ";

    private final SnippetLoaderDelegate loader;
    private final CellExecutionControl control;
    private final JShell shell;
    private final SourceCodeAnalysis analysis;
    private final SnippetPurge purge;
    private final PackageNames packageNames = new PackageNames();
    /** What cells compile against, for completing package names: the kernel's classpath and what cells added. */
    private final List<Path> classpath = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ReentrantLock turn = new ReentrantLock();
    private final Map<String, Origin> origins = new ConcurrentHashMap<>();
    private final java.util.Queue<String> pendingClasspath = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private long evals;

    /**
     * Starts JShell (about a second: javac warms up) with the kernel's classpath and the startup imports.
     *
     * @throws IllegalStateException when the startup imports do not compile, which means the kernel's
     *     own classes are not on JShell's compile classpath
     */
    public JShellEngine() {
        loader = new SnippetLoaderDelegate(JShellEngine.class.getClassLoader());
        control = new CellExecutionControl(loader);
        // JShell compiles against java.class.path already; this adds the kernel's jars when a host loaded
        // them some other way, so `import dev.drydock...` compiles wherever the kernel runs.
        shell = JShell.builder().executionEngine(new Provider(control), Map.of()).build();
        Arrays.stream(System.getProperty("java.class.path", "").split(File.pathSeparator))
                .filter(entry -> !entry.isBlank())
                .forEach(entry -> classpath.add(Path.of(entry)));
        for (String jar : kernelJarsMissingFromClasspath()) {
            shell.addToClasspath(jar);
            classpath.add(Path.of(jar));
        }
        analysis = PackageNames.openAnalysis(shell);
        purge = SnippetPurge.of(shell);
        for (String line : STARTUP) {
            for (SnippetEvent event : shell.eval(line)) {
                if (event.causeSnippet() == null && event.status() != Status.VALID) {
                    shell.close();
                    throw new IllegalStateException("JShell startup failed on `" + line + "`: "
                            + shell.diagnostics(event.snippet()).map(d -> d.getMessage(Locale.getDefault())).collect(Collectors.joining("; ")));
                }
            }
        }
    }

    @Override
    public Map<String, Object> eval(String source, int firstLine) throws JavaException {
        turn.lock();
        try {
            // A stray interrupt would make javac's reads of the classpath jars fail (ClosedByInterrupt).
            Thread.interrupted();
            control.beginCell();
            applyClasspath();
            long eval = ++evals;
            Map<String, Object> shown = showWithoutCompiling(source.strip(), firstLine);
            if (shown != null) {
                return shown;
            }
            List<Piece> pieces = split(source, firstLine, eval);
            if (pieces.size() > 1) {
                checkBeforeRunning(pieces);
            }
            boolean hasValue = false;
            Object value = null;
            int valueLine = firstLine;
            Piece previous = null;
            for (Piece piece : pieces) {
                Origin origin = piece.origin();
                if (control.cancelled()) {
                    throw CellErrors.interrupted(origin.firstLine());
                }
                applyClasspath();
                SnippetEvent event;
                try {
                    event = evalSnippet(origin);
                } catch (JavaException ex) {
                    throw previous == null || !CellErrors.COMPILATION.equals(ex.ename()) ? ex
                            : CellErrors.afterLinesRan(ex, firstLine, previous.lastLine());
                }
                previous = piece;
                // As in IPython, a trailing semicolon keeps a value from being shown: `display(x);`.
                hasValue = !piece.silenced() && event.status() == Status.VALID && VALUE_KINDS.contains(event.snippet().subKind());
                value = control.takeValue();
                // `display(x)` without a semicolon shows x once, not also its handle as Out[n]; a variable
                // holding one, alone, still shows its id.
                hasValue = hasValue && !(value instanceof DisplayHandle
                        && event.snippet().subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND);
                valueLine = origin.firstLine();
                retire(event.snippet());
            }
            return hasValue ? render(value, valueLine) : null;
        } finally {
            turn.unlock();
        }
    }

    /**
     * A cell that is only a literal or the name of a variable shows its value without compiling anything
     * (javac is most of a trivial cell's time); {@code null} when the cell is anything else.
     */
    private Map<String, Object> showWithoutCompiling(String code, int line) throws JavaException {
        Literal literal = Literal.of(code);
        if (literal != null) {
            return render(literal.value(), line);
        }
        if (code.isEmpty() || !Character.isJavaIdentifierStart(code.charAt(0))
                || !code.chars().allMatch(Character::isJavaIdentifierPart)
                || shell.variables().noneMatch(v -> v.name().equals(code) && shell.status(v) == Status.VALID)) {
            return null;
        }
        SnippetLoaderDelegate.Value value = loader.variable(code);
        return value == null ? null : render(value.value(), line);
    }

    /** One snippet of a cell: where it came from, its last cell line, whether a semicolon silences it. */
    private record Piece(Origin origin, int lastLine, boolean silenced, boolean unparsed) {}

    /** The cell's snippets as JShell's parser splits them; nothing is compiled or run. */
    private List<Piece> split(String source, int firstLine, long eval) {
        List<Piece> pieces = new ArrayList<>();
        String rest = source;
        int offset = 0;
        while (true) {
            CompletionInfo info = analysis.analyzeCompletion(rest);
            if (info.completeness() == Completeness.EMPTY) {
                break;
            }
            boolean whole = info.completeness().isComplete()
                    || info.completeness() == Completeness.UNKNOWN && info.source() != null;
            // Unfinished code goes to JShell as it is, so its "reached end of file" error names the line.
            String snippet = whole ? info.source() : rest;
            String remaining = whole ? info.remaining() : "";
            // JShell numbers the lines of a snippet's frames wrongly when it starts with blank lines or
            // comments, so each snippet starts at its first token.
            int lead = leadingTrivia(snippet);
            if (lead < snippet.length()) {
                String code = snippet.substring(lead);
                int first = firstLine + CellErrors.count(source, offset + lead);
                boolean silenced = whole && rest.substring(0, rest.length() - remaining.length()).strip().endsWith(";");
                boolean unparsed = info.completeness() == Completeness.UNKNOWN || !whole;
                pieces.add(new Piece(new Origin(eval, first, code),
                        first + CellErrors.count(code.stripTrailing(), code.stripTrailing().length()), silenced, unparsed));
            }
            if (remaining.length() >= rest.length()) {
                break;
            }
            offset += rest.length() - remaining.length();
            rest = remaining;
        }
        return pieces;
    }

    /**
     * Runs nothing of a cell that cannot compile as far as parsing tells: a snippet that JShell's parser
     * cannot read (its completeness unknown, or unfinished, and an erroneous snippet to JShell), or an
     * over-long constant anywhere, fails the cell before its first line runs. Type errors need the earlier
     * snippets' declarations, so they surface only when their snippet's turn comes (and the error then says
     * which lines already ran).
     */
    private void checkBeforeRunning(List<Piece> pieces) throws JavaException {
        for (Piece piece : pieces) {
            Origin origin = piece.origin();
            String overlong = StringConstants.overlong(origin.source());
            if (overlong != null) {
                throw CellErrors.refused(origin, overlong);
            }
            if (!piece.unparsed()) {
                continue;
            }
            boolean erroneous;
            try {
                erroneous = analysis.sourceToSnippets(origin.source()).stream()
                        .anyMatch(snippet -> snippet.kind() == Snippet.Kind.ERRONEOUS);
            } catch (InternalError | RuntimeException | AssertionError ex) {
                throw CellErrors.unanalysable(origin, ex);
            }
            if (erroneous) {
                // JShell rejects an erroneous snippet without running anything: its own diagnostics say why.
                evalSnippet(origin);
                throw CellErrors.refused(origin, "this code cannot be compiled");
            }
        }
    }

    private SnippetEvent evalSnippet(Origin origin) throws JavaException {
        String overlong = StringConstants.overlong(origin.source());
        if (overlong != null) {
            // javac's class writer keeps an over-long constant in its reused pool after failing on it,
            // and every later snippet of this JShell then fails too (JDK 17 through 25): refuse it first.
            throw CellErrors.refused(origin, overlong);
        }
        List<SnippetEvent> events;
        try {
            events = shell.eval(origin.source());
        } catch (InternalError | RuntimeException | AssertionError ex) {
            // javac inside JShell trips over some malformed code (`x private { int`): JShell throws
            // InternalError instead of rejecting the snippet. The code is what cannot be compiled.
            throw CellErrors.unanalysable(origin, ex);
        }
        if (control.cancelled()) {
            throw CellErrors.interrupted(origin.firstLine());
        }
        SnippetEvent event = events.stream()
                .filter(e -> e.causeSnippet() == null)
                .findFirst()
                .orElseThrow(() -> CellErrors.compilation(List.of(), origin));
        origins.put(event.snippet().id(), origin);
        if (purge != null) {
            // This snippet and those JShell recompiled for it (their causeSnippet is this one).
            events.stream()
                    .filter(e -> e.snippet() instanceof DeclarationSnippet && e.status().isActive())
                    .forEach(e -> purge.trim(e.snippet()));
        }
        if (event.status() == Status.REJECTED) {
            throw CellErrors.compilation(shell.diagnostics(event.snippet()).toList(), origin);
        }
        if (event.exception() != null) {
            JavaException error = CellErrors.runtime(event.exception(), origins, origin.eval(), this::missing);
            retire(event.snippet());
            throw error;
        }
        if (!event.status().isActive() || event.status() == Status.VALID) {
            return event;
        }
        if (event.snippet() instanceof DeclarationSnippet declaration) {
            List<String> missing = missing(declaration);
            if (!missing.isEmpty()) {
                System.err.println(CellErrors.unresolvedNote(declaration, missing));
            }
        }
        return event;
    }

    /**
     * Forgets a snippet that has run and that nothing can refer to: an expression (its value is already
     * taken) or a statement. JShell keeps every expression as a $N variable that no cell can see (the kernel
     * shows values, not $N names), and each one it keeps slows every later snippet: 300 cells of `1` went
     * from 13 to 24 ms each. Dropping is not enough: see {@link SnippetPurge}.
     */
    private void retire(Snippet snippet) {
        boolean temporary = snippet.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND;
        if (!temporary && snippet.kind() != Snippet.Kind.EXPRESSION && snippet.kind() != Snippet.Kind.STATEMENT) {
            return;
        }
        if (temporary) {
            shell.drop(snippet);
        }
        if (purge != null) {
            loader.forget(purge.forget(snippet));
            origins.remove(snippet.id());
        }
    }

    /** The length of the whitespace and comments before the first token. */
    static int leadingTrivia(String code) {
        int at = 0;
        while (at < code.length()) {
            if (Character.isWhitespace(code.charAt(at))) {
                at++;
            } else if (code.startsWith("//", at)) {
                int newline = code.indexOf('\n', at);
                at = newline < 0 ? code.length() : newline + 1;
            } else if (code.startsWith("/*", at) && code.indexOf("*/", at + 2) >= 0) {
                at = code.indexOf("*/", at + 2) + 2;
            } else {
                break;
            }
        }
        return at;
    }

    private Map<String, Object> render(Object value, int line) throws JavaException {
        try {
            return control.callAsCell(() -> Renderer.render(value));
        } catch (StoppedException ex) {
            throw CellErrors.interrupted(line);
        } catch (InvocationTargetException ex) {
            throw CellErrors.runtime(ex.getCause());
        }
    }

    private List<String> missing(DeclarationSnippet snippet) {
        return shell.unresolvedDependencies(snippet).toList();
    }

    /** How many snippets JShell holds: declarations, imports, and nothing for expressions already shown. */
    long activeSnippets() {
        return shell.snippets().filter(snippet -> shell.status(snippet).isActive()).count();
    }

    /** How many compiled classes JShell keeps for javac; -1 when {@link SnippetPurge} cannot reach them. */
    int compiledClasses() {
        return purge == null ? -1 : purge.compiledClasses();
    }

    /** The wrapped source JShell keeps for a cell's variable, or {@code null} when there is none. */
    String keptWrap(String variable) {
        return shell.variables().filter(v -> v.name().equals(variable) && shell.status(v).isActive())
                .map(v -> analysis.wrapper(v).wrapped())
                .findFirst().orElse(null);
    }

    @Override
    public void stop() {
        control.stop();
    }

    @Override
    public Completion complete(String code, int cursor) {
        int at = clamp(cursor, code);
        if (!awaitTurn()) {
            return Completion.none(at);
        }
        try {
            int[] anchor = new int[1];
            List<Suggestion> suggestions = new ArrayList<>(analysis.completionSuggestions(code, at, anchor));
            PackageNames.Prefix prefix = PackageNames.Prefix.before(code, at);
            // JShell's own suggestions replace the same word, or there are none: one anchor serves both.
            if (prefix != null && (suggestions.isEmpty() || anchor[0] == prefix.start())) {
                packageNames.nextParts(prefix.parent(), prefix.partial(), classpath)
                        .forEach(part -> suggestions.add(new PackagePart(part)));
                anchor[0] = prefix.start();
            }
            // Suggestions that fit the expected type first; overloads of one method collapse into one.
            Set<String> matches = suggestions.stream()
                    .sorted(Comparator.comparing((Suggestion s) -> !s.matchesType())
                            .thenComparing(s -> s.continuation().toLowerCase(Locale.ROOT))
                            .thenComparing(Suggestion::continuation))
                    .map(Suggestion::continuation)
                    .collect(Collectors.toCollection(LinkedHashSet::new));
            return matches.isEmpty() ? Completion.none(at) : new Completion(anchor[0], at, List.copyOf(matches));
        } finally {
            turn.unlock();
        }
    }

    /**
     * Signatures (and javadoc, where the JDK's {@code src.zip} is installed) of what is at the cursor.
     * JShell documents a method only inside its call's parentheses, so a name under the cursor is asked
     * about as the start of its call; a variable of a cell gets its type. {@code detailLevel} changes nothing:
     * there is no source to show beyond the signature.
     */
    @Override
    public Map<String, Object> inspect(String code, int cursor, int detailLevel) {
        int end = clamp(cursor, code);
        while (end < code.length() && Character.isJavaIdentifierPart(code.charAt(end))) {
            end++;
        }
        if (!awaitTurn()) {
            return null;
        }
        try {
            List<Documentation> docs = analysis.documentation(code, clamp(cursor, code), true);
            if (docs.isEmpty()) {
                String after = code.substring(end);
                String call = after.stripLeading();
                docs = call.startsWith("(")
                        ? analysis.documentation(code, end + after.length() - call.length() + 1, true)
                        : analysis.documentation(code.substring(0, end) + "(", end + 1, true);
            }
            String text = docs.stream()
                    .map(d -> d.javadoc() == null || d.javadoc().isBlank() ? d.signature() : d.signature() + "\n" + d.javadoc())
                    .distinct()
                    .collect(Collectors.joining("\n\n"));
            if (text.isEmpty()) {
                text = variableAt(code, end);
            }
            return text.isEmpty() ? null : Map.of(Renderer.TEXT, text);
        } finally {
            turn.unlock();
        }
    }

    private String variableAt(String code, int end) {
        int start = end;
        while (start > 0 && Character.isJavaIdentifierPart(code.charAt(start - 1))) {
            start--;
        }
        String name = code.substring(start, end);
        return shell.variables()
                .filter(v -> v.name().equals(name))
                .map(v -> v.name() + ":" + v.typeName())
                .findFirst()
                .orElse("");
    }

    @Override
    public IsComplete isComplete(String code) {
        if (code.isBlank()) {
            return new IsComplete("complete", null);
        }
        if (!awaitTurn()) {
            return new IsComplete("unknown", null);
        }
        try {
            String rest = code;
            while (true) {
                CompletionInfo info;
                try {
                    info = analysis.analyzeCompletion(rest);
                } catch (InternalError | RuntimeException | AssertionError ex) {
                    return new IsComplete("invalid", null);
                }
                switch (info.completeness()) {
                    case EMPTY:
                        return new IsComplete("complete", null);
                    case COMPLETE:
                    case COMPLETE_WITH_SEMI:
                        if (info.remaining().isBlank() || info.remaining().length() >= rest.length()) {
                            return new IsComplete("complete", null);
                        }
                        rest = info.remaining();
                        break;
                    case DEFINITELY_INCOMPLETE:
                    case CONSIDERED_INCOMPLETE:
                        return new IsComplete("incomplete", indent(code));
                    default:
                        return new IsComplete("invalid", null);
                }
            }
        } finally {
            turn.unlock();
        }
    }

    /**
     * Applied at once when the engine is free or this thread holds the turn (a {@code %maven} line of a cell);
     * from a cell's own thread ({@code magic("%maven ...")}), while its snippet runs and holds the turn, the
     * entry waits for the cell's next snippet, which adds it before compiling.
     */
    @Override
    public void addToClasspath(Path entry) {
        pendingClasspath.add(entry.toAbsolutePath().toString());
        if (turn.tryLock()) {
            try {
                applyClasspath();
            } finally {
                turn.unlock();
            }
        }
    }

    private void applyClasspath() {
        for (String entry; (entry = pendingClasspath.poll()) != null; ) {
            PackageNames.addToClasspath(shell, entry);
            classpath.add(Path.of(entry));
        }
    }

    /** The next line's indent: the last line's, one level deeper after an opening brace or parenthesis. */
    private static String indent(String code) {
        String last = code.lines().filter(line -> !line.isBlank()).reduce((a, b) -> b).orElse("");
        String current = last.substring(0, last.length() - last.stripLeading().length());
        String end = last.strip();
        return end.endsWith("{") || end.endsWith("(") ? current + INDENT : current;
    }

    @Override
    public void close() {
        control.stop();
        shell.close();
    }

    private boolean awaitTurn() {
        try {
            return turn.tryLock(QUERY_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static int clamp(int cursor, String code) {
        return Math.max(0, Math.min(cursor, code.length()));
    }

    private static List<String> kernelJarsMissingFromClasspath() {
        Set<Path> known = Arrays.stream(System.getProperty("java.class.path", "").split(File.pathSeparator))
                .filter(entry -> !entry.isBlank())
                .map(entry -> Path.of(entry).toAbsolutePath().normalize())
                .collect(Collectors.toSet());
        List<String> missing = new ArrayList<>();
        for (Class<?> type : List.of(CellApi.class, Notebook.class)) {
            CodeSource source = type.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) {
                continue;
            }
            try {
                Path path = Path.of(source.getLocation().toURI()).toAbsolutePath().normalize();
                if (!known.contains(path) && !missing.contains(path.toString())) {
                    missing.add(path.toString());
                }
            } catch (URISyntaxException | IllegalArgumentException ex) {
                // Not a file (a jrt: or nested URL): nothing JShell could put on a classpath anyway.
            }
        }
        return missing;
    }

    /** A package name's next part, which JShell would suggest from the class index it is kept from building. */
    private record PackagePart(String continuation) implements Suggestion {

        @Override
        public boolean matchesType() {
            return false;
        }
    }

    /** Hands JShell the one control instance, so the engine can read values and stop it directly. */
    private record Provider(ExecutionControl control) implements ExecutionControlProvider {

        @Override
        public String name() {
            return "drydock";
        }

        @Override
        public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
            return control;
        }
    }
}

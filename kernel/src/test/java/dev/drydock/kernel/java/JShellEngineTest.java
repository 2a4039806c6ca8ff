package dev.drydock.kernel.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.kernel.java.JavaEngine.IsComplete;
import dev.drydock.kernel.java.JavaEngine.JavaException;
import dev.drydock.magics.Completion;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.tools.ToolProvider;
import jdk.jshell.JShell;
import jdk.jshell.SourceCodeAnalysis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JShellEngineTest {

    /** One engine for the class: JShell takes about a second to start, and cells share it anyway. */
    private static JShellEngine engine;
    private static ExecutorService cells;

    @BeforeAll
    static void start() {
        engine = new JShellEngine();
        cells = Executors.newSingleThreadExecutor();
    }

    @AfterAll
    static void stop() {
        cells.shutdownNow();
        engine.close();
    }

    private static String text(Map<String, Object> bundle) {
        assertNotNull(bundle, "expected a value");
        return (String) bundle.get("text/plain");
    }

    private static String eval(String source) throws JavaException {
        return text(engine.eval(source, 1));
    }

    @Test
    void literalsShowWhatJavaWouldAndTheRestStillCompiles() throws Exception {
        assertEquals("1", eval("1"));
        assertEquals("-9223372036854775808", eval("-9223372036854775808L"));
        assertEquals("no quotes", eval("\"no quotes\""));
        assertEquals("a\tb", eval("\"a\\tb\""), "escapes go to javac");
        assertNull(engine.eval("1;", 1), "a semicolon still silences it");
        JavaException tooLarge = assertThrows(JavaException.class, () -> engine.eval("2147483648", 1));
        assertEquals(CellErrors.COMPILATION, tooLarge.ename());
    }

    @Test
    void expressionsShownLeaveNothingBehindThatWouldSlowLaterCells() throws Exception {
        eval("1 + 1");
        long before = engine.activeSnippets();
        for (int i = 0; i < 20; i++) {
            assertEquals(String.valueOf(i * 2), eval(i + " * 2"));
        }
        assertEquals(before, engine.activeSnippets());
        assertNull(engine.eval("int kept = 7;", 1));
        assertEquals(before + 1, engine.activeSnippets(), "declarations stay");
        assertEquals("8", eval("kept + 1"));
    }

    @Test
    void cellsThatRanLeaveNoCompiledClassesBehind() throws Exception {
        assertNull(engine.eval("int base = 1;", 1));
        eval("base + 1");
        int before = engine.compiledClasses();
        assertTrue(before > 0, "JShell's internals are reachable (--add-opens jdk.jshell/jdk.jshell)");
        for (int i = 0; i < 30; i++) {
            assertEquals(String.valueOf(i + 1), eval("base + " + i));
            assertNull(engine.eval("System.out.print(\"\");", 1));
            assertThrows(JavaException.class, () -> engine.eval("Integer.parseInt(\"x\")", 1));
        }
        assertEquals(before, engine.compiledClasses());
        assertEquals("1", eval("base"));
    }

    @Test
    void aDeclarationDoesNotKeepAnImportOfEveryEarlierOne() throws Exception {
        for (int i = 0; i < 40; i++) {
            assertNull(engine.eval("int many" + i + " = " + i + ";", 1));
        }
        assertNull(engine.eval("int sum() { return many0 + many39; }\nint last = sum();", 1));
        String kept = engine.keptWrap("last");
        assertNotNull(kept);
        assertFalse(kept.contains("many38"), kept);
        assertEquals("39", eval("last"));
        assertEquals("40", eval("sum() + 1"));
    }

    @Test
    void definitionsPersistAcrossEvals() throws Exception {
        assertNull(engine.eval("int persisted = 40;\nint twice(int n) { return 2 * n; }", 1));
        assertEquals("42", eval("persisted + 2"));
        assertEquals("84", eval("twice(persisted + 2)"));
    }

    @Test
    void theLastExpressionOfACellIsItsValue() throws Exception {
        assertEquals("3", eval("int a1 = 1;\nint b1 = 2;\n// the sum\na1 + b1"));
        assertEquals("[1, 2]", eval("List.of(1, 2)"), "JShell's default imports are there");
    }

    @Test
    void aTrailingSemicolonKeepsTheValueFromBeingShown() throws Exception {
        assertNull(engine.eval("String.valueOf(42);", 1));
        assertNull(engine.eval("String.valueOf(42);   \n", 1));
        assertEquals("42", eval("String.valueOf(42)"));
        assertEquals("42", eval("String.valueOf(41);\nString.valueOf(42)"));
    }

    @Test
    void declarationsAndStatementsHaveNoValue() throws Exception {
        assertNull(engine.eval("int declared = 3;", 1));
        assertNull(engine.eval("", 1));
        assertNull(engine.eval("// only a comment\n/* and another */", 1));
        assertNull(engine.eval("1 + 1;\nint afterwards = 4;", 1), "only the last snippet counts");
        assertNull(engine.eval("if (declared > 0) { declared++; }", 1));
        assertNull(engine.eval("Objects.requireNonNull(\"x\").length();\nSystem.out.flush()", 1));
    }

    @Test
    void valuesAreTheRealObjectsNotJShellsQuotedText() throws Exception {
        assertEquals("abc", eval("\"abc\""));
        assertEquals("null", eval("(String) null"));
        assertEquals("[1, 2, 3]", eval("new int[] {1, 2, 3}"));
        assertEquals("a\nb", eval("\"a\" + \"\\n\" + \"b\""));
    }

    @Test
    void redefinitionReplacesTheOldDefinition() throws Exception {
        engine.eval("int version() { return 1; }", 1);
        engine.eval("int version() { return 2; }", 1);
        assertEquals("2", eval("version()"));
    }

    @Test
    void aCompileErrorShowsTheCellLineTheSourceACaretAndTheMessage() {
        JavaException error = assertThrows(JavaException.class,
                () -> engine.eval("int fine = 1;\n\nint y = missingName + 1;", 5));

        assertEquals("CompilationException", error.ename());
        assertEquals("cell line 7: cannot find symbol (variable missingName)", error.evalue());
        List<String> tb = error.traceback();
        assertEquals("cell line 7: error: cannot find symbol", tb.get(0));
        int at = 0;
        assertEquals("    int y = missingName + 1;", tb.get(at + 1));
        assertEquals("            ^^^^^^^^^^^", tb.get(at + 2));
        assertTrue(tb.stream().anyMatch(line -> line.strip().equals("symbol:   variable missingName")));
        assertFalse(String.join("\n", tb).contains("location: class"), "JShell's wrapper class is noise");
    }

    @Test
    void aCaretStaysUnderTheErrorOnTabIndentedLines() {
        JavaException error = assertThrows(JavaException.class, () -> engine.eval("if (true) {\n\tString s = 1;\n}", 1));

        List<String> tb = error.traceback();
        int at = tb.indexOf("cell line 2: error: incompatible types: int cannot be converted to java.lang.String");
        assertTrue(at >= 0, () -> String.join("\n", tb));
        assertEquals("    \tString s = 1;", tb.get(at + 1));
        assertEquals("    \t           ^", tb.get(at + 2));
    }

    @Test
    void definitionsBeforeACompileErrorStayDefined() throws Exception {
        assertThrows(JavaException.class, () -> engine.eval("int before = 5;\nint broken = \"no\";\nint after = 6;", 1));
        assertEquals("5", eval("before"));
        JavaException missing = assertThrows(JavaException.class, () -> engine.eval("after", 1));
        assertEquals("CompilationException", missing.ename());
    }

    @Test
    void unfinishedCodeIsACompileErrorNamingItsLine() {
        JavaException error = assertThrows(JavaException.class, () -> engine.eval("int k = 0;\nfor (int i = 0; i < 3; i++) {", 1));

        assertEquals("CompilationException", error.ename());
        assertTrue(error.evalue().startsWith("cell line 2: reached end of file"), error.evalue());
    }

    @Test
    void garbageIsACompileErrorNotACrash() throws Exception {
        JavaException error = assertThrows(JavaException.class, () -> engine.eval("\u0001\u0002 ## garbage ]]", 1));
        assertEquals("CompilationException", error.ename());
        JavaException string = assertThrows(JavaException.class, () -> engine.eval("String s = \"unterminated", 1));
        assertEquals("CompilationException", string.ename());
        assertEquals("2", eval("1 + 1"));
    }

    @Test
    void aRuntimeExceptionShowsTheUsersFramesAsCellLines() throws Exception {
        engine.eval("// blank lines and comments before a snippet must not shift its lines\n\nint divide(int a, int b) {\n\n    return a / b;\n}", 1);

        JavaException error = assertThrows(JavaException.class,
                () -> engine.eval("int zero = 0;\n\n/* now */ // call it\ndivide(1, zero)", 10));

        assertEquals("java.lang.ArithmeticException", error.ename());
        assertEquals("/ by zero", error.evalue());
        assertEquals(List.of(
                "java.lang.ArithmeticException: / by zero",
                "    at divide (line 5 of an earlier cell)",
                "        return a / b;",
                "    at <cell> (cell line 13)",
                "        divide(1, zero)"), error.traceback());
    }

    @Test
    void libraryFramesAboveTheUsersCodeStayAndCausesAreShown() {
        JavaException parse = assertThrows(JavaException.class, () -> engine.eval("Integer.parseInt(\"x\")", 1));
        assertEquals("java.lang.NumberFormatException", parse.ename());
        assertTrue(parse.traceback().stream().anyMatch(line -> line.contains("java.lang.Integer.parseInt")));
        assertEquals("    at <cell> (cell line 1)", parse.traceback().get(parse.traceback().size() - 2));

        JavaException chained = assertThrows(JavaException.class,
                () -> engine.eval("throw new IllegalStateException(\"outer\", new java.io.IOException(\"inner\"));", 1));
        assertEquals("java.lang.IllegalStateException", chained.ename());
        assertTrue(chained.traceback().contains("Caused by: java.io.IOException: inner"), () -> String.join("\n", chained.traceback()));
        for (String line : chained.traceback()) {
            assertFalse(line.contains("jdk.jshell") || line.contains("REPL.") || line.contains("dev.drydock"), line);
        }
    }

    @Test
    void deepRecursionShowsTheRepeatedFrameOnce() throws Exception {
        engine.eval("int forever(int n) {\n    return forever(n + 1);\n}", 1);

        JavaException error = assertThrows(JavaException.class, () -> engine.eval("forever(0)", 1));

        assertEquals("java.lang.StackOverflowError", error.ename());
        List<String> tb = error.traceback();
        assertEquals("    at forever (line 2 of an earlier cell)", tb.get(1));
        assertTrue(tb.get(3).matches("    \\[the frame above repeats \\d+ more times]"), tb.get(3));
        // The JVM keeps only the innermost 1024 frames, so the cell's own frame is not among them.
        assertEquals(4, tb.size(), () -> String.join("\n", tb));
    }

    @Test
    void helpfulNullPointerMessagesNameTheCellVariable() {
        JavaException error = assertThrows(JavaException.class, () -> engine.eval("String nothing = null;\nnothing.length()", 1));
        assertEquals("Cannot invoke \"String.length()\" because \"nothing\" is null", error.evalue());
    }

    @Test
    void aMethodWithAnUndeclaredDependencyIsNotedAndFailsClearlyUntilItIsDeclared() throws Exception {
        String err = capture(System.err, System::setErr, () -> engine.eval("void later() { notYet(); }", 1));
        assertEquals("note: created method later(), however, it cannot be used until method notYet() is declared",
                err.strip());

        JavaException error = assertThrows(JavaException.class, () -> engine.eval("later();", 1));
        assertEquals("UnresolvedReferenceException", error.ename());
        assertEquals("method later() cannot be used until method notYet() is declared", error.evalue());

        engine.eval("void notYet() { dev.drydock.kernel.java.SharedState.counter = 7; }", 1);
        engine.eval("later();", 1);
        assertEquals(7, SharedState.counter);
    }

    @Test
    void aValueWhoseToStringFailsIsARuntimeError() {
        JavaException error = assertThrows(JavaException.class, () -> engine.eval(
                "class Grumpy { public String toString() { throw new IllegalStateException(\"boom\"); } }\nnew Grumpy()", 1));
        assertEquals("java.lang.IllegalStateException", error.ename());
        assertEquals("boom", error.evalue());
    }

    @Test
    void cellsShareTheKernelsClassesAndStaticState() throws Exception {
        SharedState.counter = 41;
        assertEquals("41", eval("dev.drydock.kernel.java.SharedState.counter++"));
        assertEquals(42, SharedState.counter);

        engine.eval("import dev.drydock.kernel.java.SharedState;\nSharedState.handedOver = SharedState.class;", 1);
        assertSame(SharedState.class, SharedState.handedOver);

        engine.eval("SharedState.handedOver = dev.drydock.magics.Notebook.class;", 1);
        assertSame(dev.drydock.magics.Notebook.class, SharedState.handedOver);
    }

    @Test
    void cellOutputGoesStraightToSystemOut() throws Exception {
        String out = capture(System.out, System::setOut,
                () -> engine.eval("System.out.println(\"hello from a cell\");\nSystem.out.print(\"no newline\")", 1));
        assertEquals("hello from a cell" + System.lineSeparator() + "no newline", out);
    }

    @Test
    void aBackgroundThreadDoesNotHoldTheCell() {
        // The thread never ends on its own, so a cell that waited for it would hang and meet the guard.
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> engine.eval("Thread t = new Thread(() -> { try { "
                + "new java.util.concurrent.CountDownLatch(1).await(); } catch (InterruptedException e) { } }); "
                + "t.setDaemon(true); t.start();", 1));
    }

    @Test
    void stopEndsASleepingCellWithinASecondAndTheNextCellRuns() throws Exception {
        assertStops("dev.drydock.kernel.java.SharedState.started = true;\nThread.sleep(60_000);", 2);
    }

    @Test
    void stopEndsABusyLoopWithinASecondAndTheNextCellRuns() throws Exception {
        assertStops("dev.drydock.kernel.java.SharedState.started = true;\nwhile (true) { }", 2);
    }

    @Test
    void stopEndsALoopThatSwallowsInterrupts() throws Exception {
        assertStops("""
                dev.drydock.kernel.java.SharedState.started = true;
                while (true) {
                    try { Thread.sleep(10); } catch (InterruptedException ignored) { }
                }""", 2);
    }

    @Test
    void stopBetweenCellsDoesNotCancelTheNextCell() throws Exception {
        engine.stop();
        assertEquals("3", eval("1 + 2"));
    }

    private static void assertStops(String cell, int line) throws Exception {
        SharedState.started = false;
        Future<Map<String, Object>> running = cells.submit(() -> engine.eval(cell, 1));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!SharedState.started && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(SharedState.started, "the cell never started");
        Thread.sleep(100);

        engine.stop();
        ExecutionException failed = assertThrows(ExecutionException.class, () -> running.get(60, TimeUnit.SECONDS));

        JavaException error = (JavaException) failed.getCause();
        assertEquals("KeyboardInterrupt", error.ename());
        assertEquals("interrupted at cell line " + line, error.evalue());
        assertEquals("2", eval("1 + 1"));
    }

    @Test
    void completionCompletesJavaNames() {
        Completion system = engine.complete("Syst", 4);
        assertEquals(0, system.start());
        assertEquals(4, system.end());
        assertTrue(system.matches().contains("System"), system.matches().toString());

        Completion valueOf = engine.complete("String.valueO", 13);
        assertEquals(7, valueOf.start());
        assertEquals(List.of("valueOf("), valueOf.matches(), "overloads collapse into one match");

        assertEquals(Completion.none(13), engine.complete("zzzNoSuchName", 13));
    }

    @Test
    void completionCompletesPackageNamesWithoutJShellsClassIndex() {
        Completion imported = engine.complete("import java.ut", 14);
        assertEquals(12, imported.start());
        assertEquals(List.of("util."), imported.matches());

        assertEquals(List.of("concurrent."), engine.complete("var q = new java.util.conc", 26).matches());
        assertTrue(engine.complete("jav", 3).matches().containsAll(List.of("java.", "javax.")));
        List<String> members = engine.complete("java.util.", 10).matches();
        assertTrue(members.containsAll(List.of("ArrayList", "concurrent.", "function.")), members.toString());
        assertEquals(List.of("magics."), engine.complete("import dev.drydock.mag", 22).matches(), "the kernel's own jar");
        assertFalse(engine.complete("var s = \"java.", 14).matches().contains("util."), "inside a string");
    }

    @Test
    void completionFindsPackagesAddedToTheClasspath(@TempDir Path dir) throws Exception {
        Path source = Files.writeString(Files.createDirectories(dir.resolve("src/zzcompletion/inner")).resolve("Probe.java"),
                "package zzcompletion.inner; public class Probe {}");
        assertEquals(0, ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", dir.resolve("classes").toString(), source.toString()));
        assertEquals(Completion.none(10), engine.complete("zzcompleti", 10));

        engine.addToClasspath(dir.resolve("classes"));

        assertEquals(List.of("zzcompletion."), engine.complete("zzcompleti", 10).matches());
        assertEquals(List.of("inner."), engine.complete("import zzcompletion.in", 22).matches());
    }

    @Test
    void jshellsClassIndexIsNeverBuilt(@TempDir Path dir) throws Exception {
        try (JShell shell = JShell.create()) {
            SourceCodeAnalysis analysis = PackageNames.openAnalysis(shell);
            PackageNames.addToClasspath(shell, dir.toString());
            // JShell's indexer is one thread: once a task queued now has run, any refresh queued before it has too.
            Field indexer = analysis.getClass().getDeclaredField("INDEXER");
            indexer.setAccessible(true);
            ((ExecutorService) indexer.get(null)).submit(() -> {}).get(5, TimeUnit.MINUTES);
            assertEquals(List.of(), analysis.listQualifiedNames("ArrayList", 9).getNames());
        }
    }

    @Test
    void completionKnowsTheCellsOwnDefinitions() throws Exception {
        engine.eval("int completeMeLater = 1;", 1);
        assertEquals(List.of("completeMeLater"), engine.complete("int z = completeMe", 18).matches());
    }

    @Test
    void isCompleteFollowsJShellsAnalysis() {
        assertEquals(new IsComplete("incomplete", "    "), engine.isComplete("for (int i=0;i<3;i++) {"));
        assertEquals(new IsComplete("incomplete", "        "), engine.isComplete("void m() {\n    if (true) {"));
        assertEquals(new IsComplete("incomplete", "    "), engine.isComplete("    x +"));
        assertEquals(new IsComplete("complete", null), engine.isComplete("1+1"));
        assertEquals(new IsComplete("complete", null), engine.isComplete("int a = 1;\nint b = 2"));
        assertEquals(new IsComplete("complete", null), engine.isComplete(""));
        assertEquals(new IsComplete("invalid", null), engine.isComplete("int x = ;"));
    }

    @Test
    void inspectShowsSignatures() throws Exception {
        Map<String, Object> valueOf = engine.inspect("String.valueOf", 14, 0);
        assertNotNull(valueOf);
        assertTrue(((String) valueOf.get("text/plain")).contains("String String.valueOf(int i)"), valueOf.toString());

        Map<String, Object> inCall = engine.inspect("Math.max(1, 2)", 6, 0);
        assertTrue(((String) inCall.get("text/plain")).contains("int Math.max(int a, int b)"), inCall.toString());

        engine.eval("int inspected = 3;", 1);
        assertEquals(Map.of("text/plain", "inspected:int"), engine.inspect("inspected + 1", 3, 0));

        assertNull(engine.inspect("1 + 2", 3, 0));
    }

    private interface Action {
        void run() throws Exception;
    }

    /** Captures what {@code action} prints to a standard stream, as the runtime will when it routes them. */
    private static String capture(PrintStream original, java.util.function.Consumer<PrintStream> set, Action action)
            throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        set.accept(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            set.accept(original);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aStringConstantTooLongForAClassFileIsAnErrorThatBreaksNoLaterCell() throws Exception {
        JavaException tooLong = assertThrows(JavaException.class,
                () -> engine.eval("String big = \"" + "a".repeat(70_000) + "\";", 1));

        assertTrue(tooLong.evalue().contains("too long"), tooLong.evalue());
        assertEquals("2", eval("1 + 1"));
    }

    @Test
    void codeThatCrashesJShellsCompilerIsACompileErrorAndJShellServesOn() throws Exception {
        JavaException crash = assertThrows(JavaException.class, () -> engine.eval("x private { int", 1));

        assertTrue(crash.evalue().contains("cannot be compiled"), crash.evalue());
        assertEquals("3", eval("1 + 2"));
    }

    @Test
    void aCellWhoseThirdLineCannotParseRunsNothing() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        JavaException error;
        try {
            error = assertThrows(JavaException.class, () -> engine.eval(
                    "System.out.println(\"one\");\nSystem.out.println(\"two\");\nint broken = ;\n", 1));
        } finally {
            System.setOut(original);
        }

        assertEquals("", printed.toString(StandardCharsets.UTF_8));
        assertTrue(error.evalue().contains("cell line 3"), error.evalue());
    }

    @Test
    void aTypeErrorAfterLinesThatRanSaysWhichLinesRan() throws Exception {
        JavaException error = assertThrows(JavaException.class,
                () -> engine.eval("int ranFirst = 1;\nint ranSecond = 2;\nString notANumber = ranFirst;", 1));

        assertTrue(error.evalue().contains("cell line 3"), error.evalue());
        assertTrue(error.traceback().get(error.traceback().size() - 1).contains("Lines 1-2 of this cell already ran"),
                error.traceback().toString());
    }

    @Test
    void theIdThatDisplayReturnsIsNotShownAsTheCellsValue() throws Exception {
        CellApi.bind(new TestNotebook());
        try {
            assertNull(engine.eval("display(\"text/plain\", \"shown once\")", 1));
            assertNull(engine.eval("display(List.of(1))", 1));
            assertEquals("2", eval("var id = display(\"text/plain\", \"x\");\nupdateDisplay(id, \"text/plain\", \"y\");\n1 + 1"));
            assertEquals("2", eval("DisplayHandle typed = display(\"text/plain\", \"x\");\ntyped.update(\"z\");\n"
                    + "updateDisplay(typed.toString(), \"text/plain\", \"w\");\n1 + 1"));
            String id = eval("typed");
            assertEquals(id, eval("typed.id()"));
            assertEquals(36, id.length(), id);
        } finally {
            CellApi.bind(null);
        }
    }
}

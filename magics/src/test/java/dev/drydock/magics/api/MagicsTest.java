package dev.drydock.magics.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.CellMagicCommand;
import dev.drydock.magics.MagicCommand;
import dev.drydock.magics.api.MagicFamilies;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import dev.drydock.magics.Completion;
import dev.drydock.magics.EditDistance;
import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.MagicInfo;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;

class MagicsTest {

    /** A service a family receives through its constructor, as later families receive docker or Azure clients. */
    record Greeter(String greeting) {}

    @Command(name = "probe", description = "Echo options, or fail on request.")
    public static final class Probe extends MagicCommand {
        @Option(names = "--flag") boolean flag;
        @Option(names = "--append") boolean append;
        @Option(names = "--fail") String fail;
        @Parameters(arity = "0..*") List<String> words = new ArrayList<>();

        private final Notebook notebook;
        private final Greeter greeter;

        public Probe(Notebook notebook, Greeter greeter) {
            this.notebook = notebook;
            this.greeter = greeter;
        }

        @Override
        protected void run() throws Exception {
            if ("runtime".equals(fail)) {
                throw new IllegalStateException("boom");
            }
            if ("magic".equals(fail)) {
                throw MagicException.failed("clean message");
            }
            notebook.out(greeter.greeting() + " flag=" + flag + " words=" + words);
        }
    }

    @Command(name = "fam", description = "A family with verbs.", subcommands = {Fam.Start.class, Fam.Stop.class})
    public static final class Fam extends MagicCommand {
        @picocli.CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        protected void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "Specify a subcommand");
        }

        @Command(name = "start", description = "Start it.")
        public static final class Start extends MagicCommand {
            @Option(names = {"-d", "--detach"}) boolean detach;
            @Override protected void run() {}
        }

        @Command(name = "stop", description = {"Stop it, waiting for what it started to end first: the",
            "container, then its volumes.", "", "Example:", "  %%fam stop"})
        public static final class Stop extends MagicCommand {
            @Override protected void run() {}
        }
    }

    @Command(name = "cellprobe", description = "Echo the body.")
    public static final class CellProbe extends CellMagicCommand {
        private final Notebook notebook;

        public CellProbe(Notebook notebook) {
            this.notebook = notebook;
        }

        @Override
        protected void run() {
            notebook.out("[" + body() + "]");
        }
    }

    private final Session session = new Session(Path.of("/tmp"), Map.of("WHO", "world"));
    private final Magics magics = new Magics(session,
            List.of(Probe.class, Fam.class, CellProbe.class), List.of(new Greeter("hello")));
    private final RecordingNotebook notebook = new RecordingNotebook(session.masker());

    private void line(String name, String args) throws MagicException {
        magics.run(new MagicCall(name, args, null), notebook);
    }

    @Test
    void runsWithInjectedServicesAndExpandedArguments() throws MagicException {
        line("probe", "--flag \"a b\" ${WHO}");
        assertEquals("hello flag=true words=[a b, world]", notebook.out());
    }

    @Test
    void everyCallGetsAFreshCommandObject() throws MagicException {
        line("probe", "--flag x");
        line("probe", "y");
        assertEquals("hello flag=true words=[x]hello flag=false words=[y]", notebook.out());
    }

    @Test
    void cellMagicGetsItsBody() throws MagicException {
        magics.run(new MagicCall("cellprobe", "", "line 1\nline 2"), notebook);
        assertEquals("[line 1\nline 2]", notebook.out());
    }

    @Test
    void unknownMagicNamesTheNearest() {
        MagicException e = assertThrows(MagicException.class, () -> line("prob", ""));
        assertEquals(MagicException.Kind.UsageError, e.kind());
        assertTrue(e.getMessage().contains("Unknown magic %prob.") && e.getMessage().contains("Did you mean %probe?"),
                e.getMessage());
    }

    @Test
    void cellMagicCalledAsLineMagicSaysSo() {
        MagicException e = assertThrows(MagicException.class, () -> line("cellprobe", ""));
        assertTrue(e.getMessage().contains("did you mean %%cellprobe?"), e.getMessage());
    }

    @Test
    void unknownOptionSuggestsAndShowsUsage() {
        MagicException e = assertThrows(MagicException.class, () -> line("probe", "--apend"));
        assertEquals(MagicException.Kind.UsageError, e.kind());
        assertTrue(e.getMessage().startsWith("Unknown option: '--apend'"), e.getMessage());
        assertTrue(e.getMessage().contains("Did you mean: --append?"), e.getMessage());
        assertTrue(e.getMessage().contains("Usage: %probe"), e.getMessage());
        assertEquals("", notebook.err(), "the error travels in the exception, not as stderr");
    }

    @Test
    void unknownSubcommandSuggestsTheVerb() {
        MagicException e = assertThrows(MagicException.class, () -> line("fam", "strat"));
        assertTrue(e.getMessage().contains("Did you mean: ") && e.getMessage().contains("%fam start"), e.getMessage());
    }

    @Test
    void bareFamilyIsAUsageError() {
        MagicException e = assertThrows(MagicException.class, () -> line("fam", ""));
        assertEquals(MagicException.Kind.UsageError, e.kind());
        assertTrue(e.getMessage().startsWith("Specify a subcommand"), e.getMessage());
        assertTrue(e.getMessage().contains("Usage: %fam"), e.getMessage());
    }

    @Test
    void helpGoesToOutAndIsNoError() throws MagicException {
        line("probe", "--help");
        assertTrue(notebook.out().startsWith("Usage: %probe"), notebook.out());
        line("fam", "start --help");
        assertTrue(notebook.out().contains("Usage: %fam start [-d] [--help]"), notebook.out());
    }

    @Test
    void commandExceptionsBecomeMagicErrors() {
        MagicException clean = assertThrows(MagicException.class, () -> line("probe", "--fail magic"));
        assertEquals("clean message", clean.getMessage());
        MagicException runtime = assertThrows(MagicException.class, () -> line("probe", "--fail runtime"));
        assertEquals(MagicException.Kind.MagicError, runtime.kind());
        assertEquals("boom", runtime.getMessage());
        assertTrue(runtime.getCause() instanceof IllegalStateException);
    }

    @Test
    void unknownVariableIsAUsageError() {
        MagicException e = assertThrows(MagicException.class, () -> line("probe", "${NOT_SET}"));
        assertEquals(MagicException.Kind.UsageError, e.kind());
        assertTrue(e.getMessage().contains("NOT_SET"));
    }

    @Test
    void completesNamesAsWholeTokens() {
        assertEquals(new Completion(0, 3, List.of("%probe")), magics.complete("%pr", 3));
        assertEquals(new Completion(0, 1, List.of("%%cellprobe", "%fam", "%probe")), magics.complete("%", 1));
        assertEquals(new Completion(0, 3, List.of("%%cellprobe")), magics.complete("%%c", 3));
    }

    @Test
    void completesSubcommandsAndOptions() {
        assertEquals(new Completion(5, 7, List.of("start", "stop")), magics.complete("%fam st", 7));
        assertEquals(new Completion(11, 14, List.of("--detach")), magics.complete("%fam start --d", 14));
        Completion all = magics.complete("%probe ", 7);
        assertEquals(7, all.start());
        assertTrue(all.matches().containsAll(List.of("--flag", "--append", "--help")), all.matches().toString());
    }

    @Test
    void completesOnTheCursorLineOnly() {
        String code = "int x = 1;\n%pr\nx++;";
        assertEquals(new Completion(11, 14, List.of("%probe")), magics.complete(code, 14));
        assertNull(magics.complete(code, 10), "a Java line is left to JShell");
        assertNull(magics.complete("String s = \"%pr", 15));
    }

    @Test
    void realFamiliesComplete() {
        Magics real = new Magics(session);
        assertEquals(List.of("%dotenv"), real.complete("%dot", 4).matches());
        assertEquals(List.of("%%writefile"), real.complete("%%wr", 4).matches());
        assertEquals(List.of("%%writefile"), real.complete("%wr", 3).matches());
        assertEquals(List.of("--append"), real.complete("%%writefile --ap", 16).matches());
    }

    @Test
    void listHasEveryFamilyWithItsDescription() {
        List<MagicInfo> list = magics.list();
        assertEquals(List.of("%%cellprobe", "%fam", "%probe"), list.stream().map(MagicInfo::typed).toList());
        assertEquals("Echo the body.", list.get(0).description());
    }

    @Test
    void registryRejectsDuplicateNames() {
        assertThrows(IllegalArgumentException.class,
                () -> new Magics(session, List.of(Probe.class, Probe.class), List.of()));
    }

    @Test
    void lsmagicListsEveryRealMagicWithItsDescription() throws MagicException {
        Magics real = new Magics(session);
        real.run(new MagicCall("lsmagic", "", null), notebook);
        String text = notebook.out();
        for (MagicInfo magic : real.list()) {
            assertFalse(magic.description().isBlank(), magic.typed());
            assertTrue(text.contains(magic.typed() + " ") && text.contains(magic.description()), magic.typed());
        }
        assertEquals(MagicFamilies.ALL.size(), real.list().size());
        assertTrue(text.indexOf("%dotenv") < text.indexOf("%%bash"), "line magics come first");
        assertTrue(text.contains("%%writefile") && text.contains("%setenv") && text.contains("%%sh"), text);
        assertFalse(text.contains("%%%") || text.contains("$${NAME} in"), "picocli escapes are undone: " + text);
    }

    @Test
    void editDistance() {
        assertEquals(0, EditDistance.between("abc", "abc"));
        assertEquals(1, EditDistance.between("writefil", "writefile"));
        assertEquals(2, EditDistance.between("dotnev", "dotenv"));
        assertEquals(3, EditDistance.between("", "abc"));
    }

    @Test
    void closeClosesEveryCloseableServiceLastFirstEvenWhenOneFails() {
        List<String> closed = new ArrayList<>();
        AutoCloseable first = () -> closed.add("first");
        AutoCloseable failing = () -> {
            closed.add("failing");
            throw new IllegalStateException("engine gone");
        };
        AutoCloseable last = () -> closed.add("last");
        Magics magics = new Magics(session, List.of(), List.of(first, "not closeable", failing, last));

        IllegalStateException failure = assertThrows(IllegalStateException.class, magics::close);

        assertEquals(List.of("last", "failing", "first"), closed);
        assertEquals("engine gone", failure.getCause().getMessage());
    }

    @Test
    void theSubcommandListShowsEachWholeFirstParagraph() throws MagicException {
        line("fam", "--help");

        assertTrue(notebook.out().replaceAll("\\s+", " ").contains(
                "stop Stop it, waiting for what it started to end first: the container, then its volumes."), notebook.out());
        assertTrue(!notebook.out().contains("Example:"), notebook.out());
    }
}

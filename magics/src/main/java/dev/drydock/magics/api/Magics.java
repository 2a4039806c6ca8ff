package dev.drydock.magics.api;

import dev.drydock.magics.CellMagicCommand;
import dev.drydock.magics.MagicCommand;
import dev.drydock.magics.api.MagicFamilies;
import dev.drydock.magics.commands.ScriptMagics;
import java.io.PrintWriter;
import java.io.Writer;
import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;
import dev.drydock.magics.Cancellation;
import dev.drydock.magics.Completion;
import dev.drydock.magics.EditDistance;
import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicCatalog;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.MagicInfo;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.ShellWords;

/**
 * The registry of magic families and the one entry point the kernel calls. Each family is a picocli
 * command; this class finds it by name, expands {@code ${NAME}} in the arguments, runs it against a
 * {@link Notebook} and turns picocli's errors into {@link MagicException}s.
 *
 * <p>Every invocation gets a fresh {@link CommandLine} and fresh command objects (picocli#1531, #1733:
 * reused objects keep the previous cell's option values), built by {@link #commandLine} — the one place
 * where output, error handling and injection are wired, for the kernel and the tests alike.
 */
public final class Magics implements MagicCatalog, AutoCloseable {

    private final Session session;
    private final List<Object> services = new ArrayList<>();
    /** Families by typed name, {@code %dotenv} or {@code %%writefile}. */
    private final Map<String, Class<? extends MagicCommand>> families = new LinkedHashMap<>();

    public Magics(Session session) {
        this(session, MagicFamilies.ALL, defaultServices(session, new dev.drydock.magics.engine.Docker()));
    }

    /** The kernel's services; the one lazy engine is shared by every family and the environment-name resolver. */
    private static List<Object> defaultServices(Session session, dev.drydock.magics.engine.Docker docker) {
        return List.of(docker, new dev.drydock.magics.aml.AmlRestClient(session),
                new dev.drydock.magics.registry.RegistryCredentials(new dev.drydock.magics.aml.AcrLogin(session)),
                dev.drydock.magics.container.HostUser.current(), new dev.drydock.magics.env.EnvImageResolver(docker),
                new dev.drydock.magics.env.ImageBuilder(), new dev.drydock.magics.maven.MavenResolver(session),
                new dev.drydock.magics.maven.LoadedJars(session));
    }

    /**
     * A registry over the given families. {@code services} are handed to the families' constructors by
     * type, next to the {@link Session}, the {@link Notebook} of the call and this registry.
     */
    public Magics(Session session, List<Class<? extends MagicCommand>> families, List<Object> services) {
        this.session = session;
        this.services.add(session);
        this.services.add(this);
        this.services.addAll(services);
        for (Class<? extends MagicCommand> family : families) {
            String typed = prefix(family) + annotation(family).name();
            if (this.families.put(typed, family) != null) {
                throw new IllegalArgumentException("Two magic families are named " + typed);
            }
        }
    }

    public Session session() {
        return session;
    }

    /**
     * Ends what the services hold open, for the kernel's shutdown (a shutdown request, SIGTERM, the
     * frontend's death): every service that is {@link AutoCloseable} is closed, the last given first, and
     * one that fails does not keep the others from closing. The kernel interrupts a running cell first,
     * so a magic's own clean-up has already run. Then the session ends what it started (local jobs are
     * stopped and recorded Canceled). Closing twice is harmless for the services here.
     */
    @Override
    public void close() {
        RuntimeException failed = null;
        session.close();
        for (int i = services.size() - 1; i >= 0; i--) {
            Object service = services.get(i);
            if (service == this || !(service instanceof AutoCloseable closeable)) {
                continue;
            }
            try {
                closeable.close();
            } catch (Exception ex) {
                if (ex instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                if (failed == null) {
                    failed = new IllegalStateException("Closing the magics' services failed", ex);
                } else {
                    failed.addSuppressed(ex);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    /** Runs a line or cell magic. Unknown names and bad options throw a usage error naming the nearest valid one. */
    public void run(MagicCall call, Notebook notebook) throws MagicException {
        String typed = (call.isCellMagic() ? "%%" : "%") + call.name();
        Class<? extends MagicCommand> family = families.get(typed);
        if (family == null) {
            throw unknown(typed, call.name());
        }
        String[] args = ShellWords.split(call.args() == null ? "" : call.args(), session::expand)
                .toArray(String[]::new);
        MagicException[] failure = new MagicException[1];
        CommandLine commandLine = commandLine(family, notebook, failure);
        if (commandLine.getCommand() instanceof CellMagicCommand cell) {
            cell.body(call.body());
        }
        int status = commandLine.execute(args);
        if (failure[0] != null) {
            if (notebook.cancellation().isCancelled() && failure[0].kind() != MagicException.Kind.KeyboardInterrupt) {
                // What the interrupted work threw on its way out (a read cut short) is not the person's problem.
                throw new MagicException(MagicException.Kind.KeyboardInterrupt, "Interrupted.", failure[0]);
            }
            throw failure[0];
        }
        if (status != 0) {
            throw MagicException.failed(typed + " ended with status " + status + ".");
        }
    }

    /** Runs a {@code !command} line through {@code /bin/sh -c}, streaming output live; non-zero exit is an error. */
    public void shell(String command, Notebook notebook) throws MagicException {
        ScriptMagics.shellLine(command, session, notebook);
    }

    /** Every magic, sorted by name (a line magic before a cell magic of the same name), for {@code %lsmagic}. */
    @Override
    public List<MagicInfo> list() {
        List<MagicInfo> all = new ArrayList<>();
        families.forEach((typed, family) -> {
            String[] description = annotation(family).description();
            // Picocli formats descriptions (%%, $${); the list shows them as the person types them.
            String first = description.length == 0 ? "" : description[0].replace("%%", "%").replace("$${", "${");
            all.add(new MagicInfo(annotation(family).name(), typed.startsWith("%%"), first));
        });
        all.sort(Comparator.comparing(MagicInfo::name).thenComparing(MagicInfo::cellMagic));
        return all;
    }

    /**
     * Completes magic names ({@code %conta} → {@code %container}) and their subcommands and options
     * when the cursor sits on a line that starts with {@code %} or {@code %%}; otherwise returns
     * {@code null} so the caller falls back to Java completion.
     */
    public Completion complete(String code, int cursor) {
        cursor = Math.max(0, Math.min(cursor, code.length()));
        int lineStart = code.lastIndexOf('\n', cursor - 1) + 1;
        String line = code.substring(lineStart, cursor);
        if (!line.startsWith("%")) {
            return null;
        }
        int blank = indexOfBlank(line);
        if (blank < 0) {
            return new Completion(lineStart, cursor, completeName(line));
        }
        Class<? extends MagicCommand> family = families.get(line.substring(0, blank));
        if (family == null) {
            return Completion.none(cursor);
        }
        String argText = line.substring(blank);
        List<String> words = new ArrayList<>(List.of(argText.strip().split("\\s+")));
        words.removeIf(String::isEmpty);
        boolean newWord = indexOfBlank(argText.substring(argText.length() - 1)) == 0;
        if (newWord) {
            words.add("");
        }
        String current = words.get(words.size() - 1);
        List<CharSequence> candidates = new ArrayList<>();
        CommandLine commandLine = commandLine(family, new Silent(), new MagicException[1]);
        try {
            AutoComplete.complete(commandLine.getCommandSpec(), words.toArray(String[]::new), words.size() - 1,
                    current.length(), cursor, candidates);
        } catch (RuntimeException e) {
            // Half-typed input picocli cannot make sense of: no suggestions beats a failed request.
            return Completion.none(cursor);
        }
        // Picocli returns what to append to the word; the kernel replaces whole tokens.
        List<String> matches = candidates.stream().map(c -> current + c).distinct().sorted().toList();
        return new Completion(cursor - current.length(), cursor, matches);
    }

    private List<String> completeName(String prefix) {
        // As IPython: "%wr" offers line and cell magics, "%%wr" only cell magics.
        boolean cellOnly = prefix.startsWith("%%");
        String bare = prefix.substring(cellOnly ? 2 : 1);
        List<String> matches = new ArrayList<>();
        for (MagicInfo magic : list()) {
            if (magic.name().startsWith(bare) && (magic.cellMagic() || !cellOnly)) {
                matches.add(magic.typed());
            }
        }
        return matches;
    }

    /** Builds the command line for one invocation; the first failure it meets lands in {@code failure[0]}. */
    private CommandLine commandLine(Class<? extends MagicCommand> family, Notebook notebook, MagicException[] failure) {
        CommandLine commandLine = new CommandLine(family, new Factory(notebook));
        commandLine.setCommandName(prefix(family) + annotation(family).name());
        commandLine.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        wholeFirstParagraphs(commandLine);
        commandLine.setOut(new PrintWriter(writer(notebook::out), true));
        commandLine.setErr(new PrintWriter(writer(notebook::err), true));
        // Picocli's execute() swallows whatever its handlers throw, so they hand the failure out instead.
        commandLine.setParameterExceptionHandler((e, args) -> {
            failure[0] = usageError(e);
            return CommandLine.ExitCode.USAGE;
        });
        commandLine.setExecutionExceptionHandler((e, cl, parsed) -> {
            failure[0] = asMagicException(e);
            return CommandLine.ExitCode.SOFTWARE;
        });
        return commandLine;
    }

    /**
     * Picocli lists a subcommand with the first line of its description only, which our descriptions wrap
     * mid-sentence; the list shows each subcommand's whole first paragraph instead.
     */
    private static void wholeFirstParagraphs(CommandLine commandLine) {
        commandLine.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, Magics::commandList);
        commandLine.getSubcommands().values().stream().distinct().forEach(Magics::wholeFirstParagraphs);
    }

    private static String commandList(CommandLine.Help help) {
        Map<String, CommandLine.Help> subcommands = help.subcommands();
        if (subcommands.isEmpty()) {
            return "";
        }
        int nameWidth = subcommands.values().stream()
                .mapToInt(sub -> String.join(", ", sub.commandSpec().names()).length()).max().orElse(0) + 2;
        int width = help.commandSpec().usageMessage().width();
        CommandLine.Help.TextTable table = CommandLine.Help.TextTable.forColumns(help.colorScheme(),
                new CommandLine.Help.Column(nameWidth + 2, 2, CommandLine.Help.Column.Overflow.SPAN),
                new CommandLine.Help.Column(Math.max(20, width - nameWidth - 2), 1, CommandLine.Help.Column.Overflow.WRAP));
        subcommands.values().stream().distinct().forEach(sub -> {
            List<String> paragraph = new ArrayList<>();
            for (String line : sub.commandSpec().usageMessage().description()) {
                if (line.isBlank()) {
                    break;
                }
                paragraph.add(line.strip());
            }
            String text = String.join(" ", paragraph).replace("%%", "%").replace("$${", "${");
            table.addRowValues(String.join(", ", sub.commandSpec().names()), text);
        });
        return table.toString();
    }

    private static MagicException usageError(ParameterException e) {
        CommandLine where = e.getCommandLine();
        StringBuilder message = new StringBuilder(e.getMessage());
        if (e instanceof UnmatchedArgumentException unmatched && !unmatched.getSuggestions().isEmpty()) {
            String qualifier = unmatched.isUnknownOption() ? "" : where.getCommandSpec().qualifiedName() + " ";
            message.append("\nDid you mean: ").append(qualifier)
                    .append(String.join(" or " + qualifier, unmatched.getSuggestions())).append("?");
        }
        message.append("\n\n").append(where.getUsageMessage().stripTrailing());
        return new MagicException(MagicException.Kind.UsageError, message.toString(), e);
    }

    private static MagicException asMagicException(Exception e) {
        if (e instanceof MagicException magic) {
            return magic;
        }
        if (e instanceof ParameterException usage) {
            // A family's own "Specify a subcommand" check, thrown from its run().
            return usageError(usage);
        }
        if (e instanceof InterruptedException) {
            return MagicException.interrupted();
        }
        String message = e.getMessage() != null ? e.getMessage() : e.getClass().getName();
        return new MagicException(MagicException.Kind.MagicError, message, e);
    }

    private MagicException unknown(String typed, String name) {
        String nearest = null;
        int best = Integer.MAX_VALUE;
        for (String candidate : families.keySet()) {
            int distance = EditDistance.between(name, candidate.replace("%", ""));
            if (distance < best) {
                best = distance;
                nearest = candidate;
            }
        }
        if (best == 0) {
            // Same name, other kind: IPython's "cell magic %%writefile exists, did you mean that instead?"
            return MagicException.usage(typed + " is not a " + (typed.startsWith("%%") ? "cell" : "line")
                    + " magic, but " + nearest + " is: did you mean " + nearest + "?"
                    + (nearest.startsWith("%%") ? " A cell magic goes on the first line of its cell." : ""));
        }
        return MagicException.usage("Unknown magic " + typed + "."
                + (nearest == null ? "" : " Did you mean " + nearest + "?") + " %lsmagic lists every magic.");
    }

    private static String prefix(Class<? extends MagicCommand> family) {
        return CellMagicCommand.class.isAssignableFrom(family) ? "%%" : "%";
    }

    private static Command annotation(Class<?> family) {
        Command command = family.getAnnotation(Command.class);
        if (command == null || command.name().equals(CommandLine.Model.CommandSpec.DEFAULT_COMMAND_NAME)) {
            throw new IllegalArgumentException(family.getName() + " needs @Command(name = ...) to be a magic");
        }
        return command;
    }

    private static int indexOfBlank(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (Character.isWhitespace(text.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private static Writer writer(Consumer<String> sink) {
        return new Writer() {
            @Override
            public void write(char[] buffer, int offset, int length) {
                if (length > 0) {
                    sink.accept(new String(buffer, offset, length));
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
    }

    /**
     * Creates command objects through the constructor whose parameters it can all supply: the call's
     * {@link Notebook} and the registry's services. Picocli's own helpers come from its default factory.
     */
    private final class Factory implements CommandLine.IFactory {

        private final Notebook notebook;

        Factory(Notebook notebook) {
            this.notebook = notebook;
        }

        @Override
        public <K> K create(Class<K> type) throws Exception {
            // The richest constructor whose services are all there: a family may take an optional seam in a longer
            // constructor beside a shorter one that picks the default (ContainerMagic's GpuHost, which tests give).
            Constructor<?>[] constructors = type.getDeclaredConstructors();
            java.util.Arrays.sort(constructors, (a, b) -> Integer.compare(b.getParameterCount(), a.getParameterCount()));
            for (Constructor<?> constructor : constructors) {
                Object[] arguments = argumentsFor(constructor.getParameterTypes());
                if (arguments != null && (arguments.length > 0 || MagicCommand.class.isAssignableFrom(type))) {
                    constructor.setAccessible(true);
                    return type.cast(constructor.newInstance(arguments));
                }
            }
            return CommandLine.defaultFactory().create(type);
        }

        private Object[] argumentsFor(Class<?>[] types) {
            Object[] arguments = new Object[types.length];
            for (int i = 0; i < types.length; i++) {
                arguments[i] = types[i] == Notebook.class ? notebook : service(types[i]);
                if (arguments[i] == null) {
                    return null;
                }
            }
            return arguments;
        }
    }

    private Object service(Class<?> type) {
        return services.stream().filter(type::isInstance).findFirst().orElse(null);
    }

    /** The notebook for completion, where commands are built to read their spec but never run. */
    private static final class Silent implements Notebook {
        private final Cancellation cancellation = new Cancellation();

        @Override public void out(String text) {}
        @Override public void err(String text) {}
        @Override public void display(Map<String, Object> bundle, String displayId) {}
        @Override public void update(String displayId, Map<String, Object> bundle) {}
        @Override public void clear(boolean wait) {}
        @Override public String input(String prompt, boolean password) throws MagicException {
            throw MagicException.failed("No input while completing.");
        }
        @Override public Cancellation cancellation() {
            return cancellation;
        }
    }
}

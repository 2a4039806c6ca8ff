package dev.drydock.kernel.java;

import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;

/**
 * Makes JShell forget a snippet that has run and can never run again (an expression or statement once its
 * value is taken), which JShell's API cannot: {@link JShell#drop} only marks it dropped.
 *
 * <p>Each snippet keeps its wrapped source ({@code OuterWrap}), whose text starts with an import of every
 * declaration active when it was compiled: about 40 bytes a declared name, so 48 KB a {@code 1 + 1} cell once
 * 1,000 names exist, kept forever by the snippet and by JShell's class-name → wrap map (for stack traces).
 * Its compiled class also stays in JShell's in-memory file manager, which javac lists on every compile
 * (each later cell gets slower), and in JShell's class tracker. This clears those four references by
 * reflection, which needs {@code --add-opens jdk.jshell/jdk.jshell=ALL-UNNAMED} (the kernel jar's manifest
 * says {@code Add-Opens}); without it the kernel works as before and keeps the memory.
 *
 * <p>Checked on JDK 17 and 25 (the fields are the same); a JDK that renames them turns this off, never
 * breaks a cell.
 */
final class SnippetPurge {

    private final Map<?, ?> classOuters;
    private final Map<String, ?> classObjects;
    private final Map<?, ?> trackedClasses;
    private final Field outer;
    private final Method classFullName;
    private final Field outerWrap;
    private final Field pieces;
    private final Field wrapped;

    private SnippetPurge(Map<?, ?> classOuters, Map<String, ?> classObjects, Map<?, ?> trackedClasses,
            Field outer, Method classFullName, Field outerWrap, Field pieces, Field wrapped) {
        this.classOuters = classOuters;
        this.classObjects = classObjects;
        this.trackedClasses = trackedClasses;
        this.outer = outer;
        this.classFullName = classFullName;
        this.outerWrap = outerWrap;
        this.pieces = pieces;
        this.wrapped = wrapped;
    }

    /** The purge for this shell, or {@code null} where JShell's internals cannot be reached. */
    @SuppressWarnings("unchecked")
    static SnippetPurge of(JShell shell) {
        try {
            Object outerMap = field(JShell.class, "outerMap").get(shell);
            Object taskFactory = field(JShell.class, "taskFactory").get(shell);
            Object fileManager = field(taskFactory.getClass(), "fileManager").get(taskFactory);
            Object tracker = field(JShell.class, "classTracker").get(shell);
            Field outer = field(Snippet.class, "outer");
            Method classFullName = outer.getType().getDeclaredMethod("classFullName");
            classFullName.setAccessible(true);
            Class<?> compound = Class.forName("jdk.jshell.Wrap$CompoundWrap");
            return new SnippetPurge(
                    (Map<?, ?>) field(outerMap.getClass(), "classOuters").get(outerMap),
                    (Map<String, ?>) field(fileManager.getClass(), "classObjects").get(fileManager),
                    (Map<?, ?>) field(tracker.getClass(), "map").get(tracker),
                    outer, classFullName, field(outer.getType(), "w"), field(compound, "os"), field(compound, "wrapped"));
        } catch (ReflectiveOperationException | InaccessibleObjectException | ClassCastException | SecurityException ex) {
            return null;
        }
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
        Field field = type.getDeclaredField(name);
        field.setAccessible(true);
        return field;
    }

    /**
     * Shortens the wrapped source that a live declaration keeps to the line count of its imports: a declaration
     * compiled after N others keeps N imports (about 40 bytes each) that nothing reads again once it is
     * compiled (a later recompilation wraps it anew), so N declarations would keep N²/2 of them. The lines
     * stay, as stack traces through its class are mapped back to cell lines by counting them; positions
     * inside it are only read while it compiles, before this runs.
     */
    void trim(Snippet snippet) {
        try {
            Object wrap = outer.get(snippet);
            Object compound = wrap == null ? null : outerWrap.get(wrap);
            if (compound == null || !pieces.getDeclaringClass().isInstance(compound)) {
                return;
            }
            Object[] parts = (Object[]) pieces.get(compound);
            String whole = (String) wrapped.get(compound);
            if (parts.length == 0 || !(parts[0] instanceof String head) || !whole.startsWith(head)) {
                return;
            }
            int header = head.lastIndexOf("\nclass ");
            if (header < 0 || head.substring(0, header).isBlank()) {
                return;
            }
            String imports = head.substring(0, header);
            // Starts with a space: JShell's line counter stops at a newline at index 0.
            String kept = " " + "\n".repeat((int) imports.chars().filter(c -> c == '\n').count()) + head.substring(header);
            parts[0] = kept;
            wrapped.set(compound, kept + whole.substring(head.length()));
        } catch (ReflectiveOperationException | RuntimeException ex) {
            // Left as it was: it costs memory, never correctness.
        }
    }

    /**
     * Forgets the wrapped source and compiled classes of a snippet that has run (call after
     * {@link JShell#drop} or for a statement, never for a live declaration).
     *
     * @return the binary names of the classes JShell forgot, so the loader can forget them too
     */
    List<String> forget(Snippet snippet) {
        try {
            Object wrap = outer.get(snippet);
            if (wrap == null) {
                return List.of();
            }
            String name = (String) classFullName.invoke(wrap);
            outer.set(snippet, null);
            classOuters.values().removeIf(value -> value == wrap);
            List<String> forgotten = new ArrayList<>();
            // The wrapper class and its nested and lambda classes: `REPL.$JShell$12`, `REPL.$JShell$12$1`.
            classObjects.keySet().removeIf(key -> {
                boolean ours = key.equals(name) || key.startsWith(name + "$");
                if (ours) {
                    forgotten.add(key);
                }
                return ours;
            });
            trackedClasses.keySet().removeIf(key -> key.equals(name) || String.valueOf(key).startsWith(name + "$"));
            return forgotten;
        } catch (ReflectiveOperationException | RuntimeException ex) {
            return List.of();
        }
    }

    /** How many compiled classes JShell's file manager holds (javac lists them all on every compile). */
    int compiledClasses() {
        return classObjects.size();
    }
}

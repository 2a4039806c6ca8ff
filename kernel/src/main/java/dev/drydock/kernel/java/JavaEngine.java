package dev.drydock.kernel.java;

import dev.drydock.magics.Completion;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Java cells: evaluation, completion, inspection and completeness, over JShell in this process.
 *
 * <p>INTERFACE AGREED FOR ISSUE 2 — {@code JShellEngine} implements it.
 */
public interface JavaEngine extends AutoCloseable {

    /**
     * Evaluates source snippet by snippet; definitions persist. Returns the MIME bundle of the last
     * expression's value, or {@code null} when the source ends in a statement or a declaration.
     * Output the code prints goes to {@code System.out}/{@code System.err}, which the runtime routes.
     *
     * @param firstLine the 1-based line of the source within its cell, so errors name cell lines
     * @throws JavaException for compile errors (the offending line and the diagnostic) and runtime
     *     exceptions (the user's frames only)
     */
    Map<String, Object> eval(String source, int firstLine) throws JavaException;

    /** Stops a running {@link #eval} from another thread (interrupt); returns at once. */
    void stop();

    Completion complete(String code, int cursor);

    /** Documentation of the symbol at the cursor as a MIME bundle, or {@code null} when none is found. */
    Map<String, Object> inspect(String code, int cursor, int detailLevel);

    /** Jupyter's {@code is_complete} answer for a Java cell. */
    IsComplete isComplete(String code);

    /**
     * Puts a jar or class folder on the classpath that later snippets compile against and load from
     * ({@code %maven}, {@code %classpath add}); it may be called from a magic in the middle of a cell.
     */
    default void addToClasspath(Path entry) {
        throw new UnsupportedOperationException("This Java engine cannot add to its classpath");
    }

    @Override
    void close();

    /** {@code status} is {@code complete}, {@code incomplete}, {@code invalid} or {@code unknown}; {@code indent} only with incomplete. */
    record IsComplete(String status, String indent) {}

    /** A failed cell as Jupyter shows it: {@code ename}, {@code evalue} and the traceback lines. */
    final class JavaException extends Exception {
        private final String ename;
        private final List<String> traceback;

        public JavaException(String ename, String evalue, List<String> traceback) {
            super(evalue);
            this.ename = ename;
            this.traceback = List.copyOf(traceback);
        }

        public String ename() {
            return ename;
        }

        public String evalue() {
            return getMessage();
        }

        public List<String> traceback() {
            return traceback;
        }
    }
}

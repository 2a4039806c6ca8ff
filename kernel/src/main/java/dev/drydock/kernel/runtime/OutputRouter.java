package dev.drydock.kernel.runtime;

import dev.drydock.magics.Cancellation;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Points {@code System.out}, {@code System.err} and {@code System.in} at the cell that ran last, for the
 * whole process: code in cells, magics and the threads they start all print with the plain JDK API, and
 * output from a thread that outlives its cell still lands in the notebook (under the most recent cell)
 * rather than in the kernel's console. {@link #notebook()} does the same for the display calls.
 */
final class OutputRouter {

    private final PrintStream originalOut = System.out;
    private final PrintStream originalErr = System.err;
    private final InputStream originalIn = System.in;
    private volatile CellNotebook target;
    private boolean installed;

    /** The kernel's own stderr, which Jupyter writes to its log; for diagnostics only. */
    PrintStream originalErr() {
        return originalErr;
    }

    synchronized void install() {
        if (installed) {
            return;
        }
        System.setOut(new PrintStream(new Routed("stdout"), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Routed("stderr"), true, StandardCharsets.UTF_8));
        System.setIn(new RoutedInput());
        installed = true;
    }

    synchronized void uninstall() {
        if (!installed) {
            return;
        }
        System.out.flush();
        System.err.flush();
        System.setOut(originalOut);
        System.setErr(originalErr);
        System.setIn(originalIn);
        installed = false;
    }

    /** From now on, output goes to {@code cell}. */
    void route(CellNotebook cell) {
        target = cell;
    }

    CellNotebook target() {
        return target;
    }

    /** A notebook that forwards to whichever cell ran last. */
    Notebook notebook() {
        return new Notebook() {
            @Override
            public void out(String text) {
                cell().out(text);
            }

            @Override
            public void err(String text) {
                cell().err(text);
            }

            @Override
            public void display(Map<String, Object> bundle, String displayId) {
                cell().display(bundle, displayId);
            }

            @Override
            public void update(String displayId, Map<String, Object> bundle) {
                cell().update(displayId, bundle);
            }

            @Override
            public void clear(boolean wait) {
                cell().clear(wait);
            }

            @Override
            public String input(String prompt, boolean password) throws MagicException {
                return cell().input(prompt, password);
            }

            @Override
            public Cancellation cancellation() {
                return cell().cancellation();
            }

            private CellNotebook cell() {
                CellNotebook cell = target;
                if (cell == null) {
                    throw new IllegalStateException("No cell has run yet");
                }
                return cell;
            }
        };
    }

    private final class Routed extends OutputStream {
        private final String name;

        Routed(String name) {
            this.name = name;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            CellNotebook cell = target;
            if (cell != null) {
                cell.write(name, bytes, offset, length);
            } else {
                // Before the first cell there is no notebook to show it; the log is the only place.
                originalErr.write(bytes, offset, length);
            }
        }
    }

    /** {@code System.in}: each time it runs dry, asks the person for a line through the frontend. */
    private final class RoutedInput extends InputStream {
        private byte[] line = new byte[0];
        private int position;

        @Override
        public synchronized int read() throws IOException {
            if (!fill()) {
                return -1;
            }
            return line[position++] & 0xFF;
        }

        @Override
        public synchronized int read(byte[] bytes, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            if (!fill()) {
                return -1;
            }
            int count = Math.min(length, line.length - position);
            System.arraycopy(line, position, bytes, offset, count);
            position += count;
            return count;
        }

        @Override
        public synchronized int available() {
            return line.length - position;
        }

        private boolean fill() throws IOException {
            if (position < line.length) {
                return true;
            }
            CellNotebook cell = target;
            if (cell == null) {
                return false;
            }
            try {
                line = (cell.input("", false) + "\n").getBytes(StandardCharsets.UTF_8);
                position = 0;
                return true;
            } catch (MagicException ex) {
                throw new IOException(ex.getMessage(), ex);
            }
        }
    }
}

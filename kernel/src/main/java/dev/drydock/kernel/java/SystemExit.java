package dev.drydock.kernel.java;

/**
 * What {@code System.exit}, {@code Runtime.exit} and {@code Runtime.halt} throw when a cell or a library
 * it loaded calls them: the cell ends with this error, as Python's {@code SystemExit} ends a cell in
 * IPython, and the kernel lives on with its state. An {@link Error}, like Python's {@code BaseException}
 * subclass, so a library's {@code catch (Exception e)} does not swallow it.
 */
public final class SystemExit extends Error {

    private static final long serialVersionUID = 1L;

    private final int status;

    SystemExit(String call, int status) {
        super("exit status " + status + " (" + call + "(" + status + ") ended the cell; the kernel and its state live on)");
        this.status = status;
    }

    public int status() {
        return status;
    }
}

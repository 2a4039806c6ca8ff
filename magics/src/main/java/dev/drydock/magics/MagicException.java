package dev.drydock.magics;

/**
 * A failure the person can act on: the message is one clear paragraph (what went wrong, what was
 * tried, what to do), shown in the notebook as the cell's error without a Java stack trace.
 */
public class MagicException extends Exception {

    /** What the kernel shows as the error's name (Jupyter's {@code ename}). */
    public enum Kind {
        /** Bad arguments: unknown magic or option, missing value. Shown with the usage. */
        UsageError,
        /** The magic ran and failed: missing file, non-zero exit, engine not reachable. */
        MagicError,
        /** The person interrupted the cell. */
        KeyboardInterrupt
    }

    private final Kind kind;

    public MagicException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public MagicException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public static MagicException usage(String message) {
        return new MagicException(Kind.UsageError, message);
    }

    public static MagicException failed(String message) {
        return new MagicException(Kind.MagicError, message);
    }

    public static MagicException interrupted() {
        return new MagicException(Kind.KeyboardInterrupt, "Interrupted.");
    }

    public Kind kind() {
        return kind;
    }
}

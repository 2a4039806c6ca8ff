package dev.drydock.kernel.java;

import dev.drydock.magics.MagicException;
import java.util.Arrays;

/**
 * A magic that a Java cell ran with {@code magic(...)} failed. Unchecked, so a loop over magics reads as
 * plain Java; catch it to go on after a failure. The message is the magic's own one-paragraph error, and
 * the trace holds only the cell's frames: the magic's insides are Drydock's, not the person's.
 */
public final class MagicFailure extends RuntimeException {

    private static final String DRYDOCK = "dev.drydock.";

    private final MagicException.Kind kind;

    public MagicFailure(MagicException failure) {
        super(failure.getMessage());
        this.kind = failure.kind();
        setStackTrace(Arrays.stream(getStackTrace())
                .filter(frame -> !frame.getClassName().startsWith(DRYDOCK))
                .toArray(StackTraceElement[]::new));
    }

    /** What failed: {@code UsageError} (the magic's arguments), {@code MagicError} (its work) or an interrupt. */
    public MagicException.Kind kind() {
        return kind;
    }
}

package dev.drydock.kernel.java;

import dev.drydock.magics.MagicException;

/**
 * A magic that a Java cell ran with {@code magic(...)} failed. Unchecked, so a loop over magics reads as
 * plain Java; catch it to go on after a failure. The message is the magic's own one-paragraph error.
 */
public final class MagicFailure extends RuntimeException {

    private final MagicException.Kind kind;

    public MagicFailure(MagicException cause) {
        super(cause.getMessage(), cause);
        this.kind = cause.kind();
    }

    /** What failed: {@code UsageError} (the magic's arguments), {@code MagicError} (its work) or an interrupt. */
    public MagicException.Kind kind() {
        return kind;
    }
}

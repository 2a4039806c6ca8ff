package dev.drydock.kernel.cells;

import dev.drydock.magics.MagicCall;

/** One piece of a cell, run in order: Java source, a magic, or a shell command. */
public sealed interface CellPart {

    /** Lines of Java source; {@code firstLine} is 1-based within the cell, for error messages. */
    record Java(String source, int firstLine) implements CellPart {}

    /** A {@code %name args} line or a {@code %%name args} cell magic with its body. */
    record Magic(MagicCall call, int line) implements CellPart {}

    /** A {@code !command} line, run by the shell. */
    record Shell(String command, int line) implements CellPart {}
}

package dev.drydock.magics;

import java.util.List;

/**
 * The registry of magic families and the one entry point the kernel calls. Each family is a picocli
 * command; this class finds it by name, expands {@code ${NAME}} in the arguments, runs it against a
 * {@link Notebook} and turns picocli's errors into {@link MagicException}s.
 *
 * <p>INTERFACE AGREED FOR ISSUE 2 — the magics helper fills in the bodies.
 */
public final class Magics {

    private final Session session;

    public Magics(Session session) {
        this.session = session;
    }

    public Session session() {
        return session;
    }

    /** Runs a line or cell magic. Unknown names and bad options throw a usage error naming the nearest valid one. */
    public void run(MagicCall call, Notebook notebook) throws MagicException {
        throw new UnsupportedOperationException("filled in by the magics work");
    }

    /** Runs a {@code !command} line through {@code /bin/sh -c}, streaming output live; non-zero exit is an error. */
    public void shell(String command, Notebook notebook) throws MagicException {
        throw new UnsupportedOperationException("filled in by the magics work");
    }

    /** Every magic, sorted, for {@code %lsmagic} and completion. */
    public List<MagicInfo> list() {
        throw new UnsupportedOperationException("filled in by the magics work");
    }

    /**
     * Completes magic names ({@code %conta} → {@code %container}) and their subcommands and options
     * when the cursor sits on a line that starts with {@code %} or {@code %%}; otherwise returns
     * {@code null} so the caller falls back to Java completion.
     */
    public Completion complete(String code, int cursor) {
        throw new UnsupportedOperationException("filled in by the magics work");
    }
}

package dev.drydock.magics;

import java.nio.file.Path;

/**
 * What the magics of one kernel share: the notebook's folder (relative paths resolve against it), the
 * variables loaded by {@code %dotenv} and {@code %setenv}, and the secret masker.
 *
 * <p>INTERFACE AGREED FOR ISSUE 2 — the magics helper fills in the bodies.
 */
public final class Session {

    private final Path workingDirectory;
    private final SecretMasker masker = new SecretMasker();

    public Session(Path workingDirectory) {
        this.workingDirectory = workingDirectory.toAbsolutePath().normalize();
    }

    public Path workingDirectory() {
        return workingDirectory;
    }

    /** The masker every outgoing text passes through; values loaded from a {@code .env} are in it. */
    public SecretMasker masker() {
        return masker;
    }
}

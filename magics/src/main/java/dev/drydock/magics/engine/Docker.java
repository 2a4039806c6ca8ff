package dev.drydock.magics.engine;

import dev.drydock.magics.MagicException;
import java.io.Closeable;
import java.io.IOException;

/**
 * The kernel's one {@link DockerEngine}, made on first use: a kernel must start and run Java cells where
 * there is no engine at all. Every call pings, so a Docker magic meets a stopped engine as one clear error
 * within two seconds, and an engine started later is found without restarting the kernel.
 */
public final class Docker implements Closeable {

    /** How the engine is made; the tests hand in one with a dead endpoint. */
    public interface Factory {
        DockerEngine create() throws MagicException;
    }

    private final Factory factory;
    private DockerEngine engine;

    /** The engine the docker CLI would use, from this process's environment. */
    public Docker() {
        this(DockerEngine::fromEnvironment);
    }

    public Docker(Factory factory) {
        this.factory = factory;
    }

    /** The engine, after a ping that answered; see {@link DockerEngine#ping()}. */
    public DockerEngine engine() throws MagicException {
        DockerEngine current;
        synchronized (this) {
            if (engine == null) {
                engine = factory.create();
            }
            current = engine;
        }
        current.ping();
        return current;
    }

    @Override
    public synchronized void close() throws IOException {
        if (engine != null) {
            engine.close();
            engine = null;
        }
    }
}

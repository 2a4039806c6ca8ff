package dev.drydock.kernel.runtime;

import dev.drydock.kernel.java.JavaEngine;
import dev.drydock.magics.Completion;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * A {@link JavaEngine} that starts in the background: JShell takes about a second to warm up, and the
 * kernel should answer {@code kernel_info} at once. Calls wait until the engine is ready.
 */
final class StartingEngine implements JavaEngine {

    private final CompletableFuture<JavaEngine> engine = new CompletableFuture<>();

    StartingEngine(Supplier<? extends JavaEngine> factory) {
        Thread starter = new Thread(() -> {
            try {
                engine.complete(factory.get());
            } catch (RuntimeException | Error ex) {
                engine.completeExceptionally(ex);
            }
        }, "drydock-engine-start");
        starter.setDaemon(true);
        starter.start();
    }

    @Override
    public Map<String, Object> eval(String source, int firstLine) throws JavaException {
        return engine().eval(source, firstLine);
    }

    @Override
    public void stop() {
        // Nothing can run before the engine exists, so there is nothing to stop.
        JavaEngine ready = engine.getNow(null);
        if (ready != null) {
            ready.stop();
        }
    }

    @Override
    public Completion complete(String code, int cursor) {
        return engine().complete(code, cursor);
    }

    @Override
    public Map<String, Object> inspect(String code, int cursor, int detailLevel) {
        return engine().inspect(code, cursor, detailLevel);
    }

    @Override
    public IsComplete isComplete(String code) {
        return engine().isComplete(code);
    }

    @Override
    public void addToClasspath(java.nio.file.Path entry) {
        engine().addToClasspath(entry);
    }

    @Override
    public void close() {
        engine.thenAccept(JavaEngine::close);
    }

    private JavaEngine engine() {
        try {
            return engine.join();
        } catch (CompletionException ex) {
            throw new IllegalStateException("The Java engine failed to start: " + ex.getCause().getMessage(), ex.getCause());
        }
    }
}

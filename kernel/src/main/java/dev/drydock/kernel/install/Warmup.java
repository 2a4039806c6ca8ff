package dev.drydock.kernel.install;

import dev.drydock.kernel.cells.CellSplitter;
import dev.drydock.kernel.java.JShellEngine;
import dev.drydock.kernel.protocol.ConnectionInfo;
import dev.drydock.kernel.runtime.Kernel;
import dev.drydock.magics.Cancellation;
import dev.drydock.magics.MagicCall;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The training run behind the kernel's class-data-sharing archive: it loads the classes a kernel needs
 * to start and answer its first cells (sockets, JShell with javac, the magics), so that the JVM can
 * archive them at exit and later kernels map them instead of loading them one by one.
 */
public final class Warmup {

    private Warmup() {}

    public static void run() throws Exception {
        Path folder = Files.createTempDirectory("drydock-warmup");
        try {
            Session session = new Session(folder);
            Magics magics = new Magics(session);
            ConnectionInfo loopback = new ConnectionInfo("tcp", "127.0.0.1", 0, 0, 0, 0, 0, "warmup", "hmac-sha256");
            try (JShellEngine engine = new JShellEngine();
                    Kernel kernel = new Kernel(loopback, session, magics, engine)) {
                kernel.start();
                CellSplitter.split("%setenv WARMUP=1\nint warm = 1 + 1;\nwarm");
                engine.eval("int warm = 1 + 1;\nString.valueOf(warm)", 1);
                engine.complete("System.out.pri", 14);
                engine.isComplete("for (int i = 0; i < 2; i++) {");
                Notebook quiet = new QuietNotebook();
                magics.run(new MagicCall("lsmagic", "", null), quiet);
                magics.run(new MagicCall("setenv", "WARMUP=1", null), quiet);
                magics.complete("%ls", 3);
            }
        } finally {
            try (var files = Files.walk(folder)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    /** A notebook nobody reads: the warm-up's output has no audience. */
    private static final class QuietNotebook implements Notebook {
        private final Cancellation cancellation = new Cancellation();

        @Override
        public void out(String text) {}

        @Override
        public void err(String text) {}

        @Override
        public void display(Map<String, Object> bundle, String displayId) {}

        @Override
        public void update(String displayId, Map<String, Object> bundle) {}

        @Override
        public void clear(boolean wait) {}

        @Override
        public String input(String prompt, boolean password) {
            return "";
        }

        @Override
        public Cancellation cancellation() {
            return cancellation;
        }
    }
}

package dev.drydock.kernel.runtime;

import dev.drydock.kernel.java.JavaEngine;
import dev.drydock.magics.Completion;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for JShell where the protocol, not Java, is under test. Each line of a "Java" part is a
 * command: {@code out TEXT}, {@code err TEXT}, {@code value TEXT} (the part's value), {@code fail TEXT}
 * (a runtime exception), {@code sleep MILLIS} (stoppable), {@code lines N}, {@code later MILLIS TEXT}
 * (a thread prints after the cell), {@code readline} (the value is a line of System.in).
 */
final class ScriptedEngine implements JavaEngine {

    final List<String> evaluated = new CopyOnWriteArrayList<>();
    private volatile Thread evaluating;

    @Override
    public Map<String, Object> eval(String source, int firstLine) throws JavaException {
        evaluated.add(source);
        evaluating = Thread.currentThread();
        try {
            Map<String, Object> value = null;
            for (String line : source.strip().split("\n")) {
                String[] words = line.strip().split(" ", 2);
                String rest = words.length > 1 ? words[1] : "";
                switch (words[0]) {
                    case "out" -> System.out.println(rest);
                    case "part" -> {
                        System.out.print(rest);
                        System.out.flush();
                    }
                    case "err" -> System.err.println(rest);
                    case "value" -> value = Map.of("text/plain", rest);
                    case "fail" -> throw new JavaException("java.lang.IllegalStateException", rest,
                            List.of("java.lang.IllegalStateException: " + rest, "\tat cell line " + firstLine));
                    case "sleep" -> sleep(Long.parseLong(rest));
                    case "lines" -> {
                        for (int i = 0, n = Integer.parseInt(rest); i < n; i++) {
                            System.out.println("line " + i);
                        }
                    }
                    case "later" -> {
                        String[] parts = rest.split(" ", 2);
                        Thread thread = new Thread(() -> {
                            try {
                                Thread.sleep(Long.parseLong(parts[0]));
                            } catch (InterruptedException ignored) {
                                return;
                            }
                            System.out.println(parts[1]);
                        });
                        thread.setDaemon(true);
                        thread.start();
                    }
                    case "readline" -> {
                        try {
                            String read = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                            value = Map.of("text/plain", "read " + read);
                        } catch (IOException ex) {
                            throw new JavaException("java.io.IOException", ex.getMessage(), List.of("java.io.IOException: " + ex.getMessage()));
                        }
                    }
                    case "" -> { }
                    default -> throw new JavaException("CompilationError", "unknown command " + words[0], List.of("unknown command"));
                }
            }
            return value;
        } finally {
            evaluating = null;
            Thread.interrupted();
        }
    }

    private static void sleep(long millis) throws JavaException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException ex) {
            throw new JavaException("KeyboardInterrupt", "stopped", List.of("KeyboardInterrupt"));
        }
    }

    @Override
    public void stop() {
        Thread thread = evaluating;
        if (thread != null) {
            thread.interrupt();
        }
    }

    @Override
    public Completion complete(String code, int cursor) {
        return new Completion(Math.max(0, cursor - 2), cursor, List.of("println", "print"));
    }

    @Override
    public Map<String, Object> inspect(String code, int cursor, int detailLevel) {
        return code.startsWith("known") ? Map.of("text/plain", "docs of " + code + " at " + detailLevel) : null;
    }

    @Override
    public IsComplete isComplete(String code) {
        return code.strip().endsWith("{") ? new IsComplete("incomplete", "    ") : new IsComplete("complete", null);
    }

    @Override
    public void close() {}
}

package dev.drydock.kernel.java;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * What Java cells call to show things: {@code display(chart)}, {@code display("text/html", html)},
 * {@code updateDisplay(id, ...)}, {@code clearOutput()}; and to run magics from Java: {@code magic("%env
 * build train")}; and to read the variables {@code %dotenv} and {@code %setenv} set: {@code env("NAME")}.
 * Every cell imports these statically.
 *
 * <p>The runtime connects them to the notebook with {@link #bind(Notebook)} before cells run, and may
 * bind again at any time (per cell, or once with a notebook that routes to whichever cell is running).
 * The binding is one process-wide volatile reference, so threads a cell started reach the notebook too.
 */
public final class CellApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static volatile Notebook notebook;
    private static volatile MagicLines magicLines;
    private static volatile Session session;

    private CellApi() {}

    /** Runs magic and shell lines as a cell would run them, in the cell that is running. */
    @FunctionalInterface
    public interface MagicLines {
        void run(String lines) throws MagicException;
    }

    /** Routes {@link #magic(String)} to {@code runner}; {@code null} unbinds. */
    public static void bindMagics(MagicLines runner) {
        magicLines = runner;
    }

    /**
     * Runs magic lines ({@code %name ...}), a cell magic ({@code %%name ...} and its body on the next lines)
     * or shell lines ({@code !command}) from Java, exactly as the same lines in a cell: {@code ${NAME}}
     * expands, output goes to this cell, secrets are masked. So a loop can drive them:
     * <pre>
     * for (String c : List.of("0.5", "1", "2")) {
     *     magic("%container run --rm -e SVM_C=" + c + " train python3 train.py");
     * }
     * </pre>
     *
     * @throws MagicFailure when a magic fails, with its one-paragraph message; the lines after it do not run
     */
    public static void magic(String lines) {
        Objects.requireNonNull(lines, "lines");
        MagicLines runner = magicLines;
        if (runner == null) {
            throw new IllegalStateException("No kernel is bound: magic() works only in cells run by the Drydock kernel");
        }
        MagicException[] failure = new MagicException[1];
        CellExecutionControl.shielded(() -> {
            try {
                runner.run(lines);
            } catch (MagicException e) {
                failure[0] = e;
            }
        });
        if (failure[0] != null) {
            throw new MagicFailure(failure[0]);
        }
    }

    /** Answers {@link #env(String)} and {@link #env()} from {@code variables}; {@code null} unbinds. */
    public static void bindVariables(Session variables) {
        session = variables;
    }

    /**
     * The value of a variable as {@code ${NAME}} in a magic sees it: set by {@code %dotenv} or {@code %setenv},
     * else the kernel's environment; {@code null} when it is not set. A secret's value is the real one (for
     * a client library's login); printing it shows {@code ****}.
     */
    public static String env(String name) {
        Objects.requireNonNull(name, "name");
        return variables().variable(name).orElse(null);
    }

    /** Every variable {@link #env(String)} can answer, as a read-only map (a snapshot, taken now). */
    public static Map<String, String> env() {
        return variables().variables();
    }

    private static Session variables() {
        Session target = session;
        if (target == null) {
            throw new IllegalStateException("No kernel is bound: env() works only in cells run by the Drydock kernel");
        }
        return target;
    }

    /** Routes the display calls of cells to {@code target}; {@code null} unbinds. */
    public static void bind(Notebook target) {
        notebook = target;
    }

    /**
     * Shows {@code value} rendered by {@link Renderer} (text, images, or its own {@code toMimeBundle()}).
     *
     * @return the display's handle, for {@link #updateDisplay(DisplayHandle, Object)}
     */
    public static DisplayHandle display(Object value) {
        String id = UUID.randomUUID().toString();
        notebook().display(Renderer.render(value), id);
        return new DisplayHandle(id);
    }

    /**
     * Shows {@code content} as {@code mimeType}, for example {@code display("text/html", "<b>hi</b>")}.
     * JSON types ({@code application/json}, {@code *+json}) take JSON text.
     *
     * @return the display's handle, for {@link #updateDisplay(DisplayHandle, String, String)}
     */
    public static DisplayHandle display(String mimeType, String content) {
        String id = UUID.randomUUID().toString();
        notebook().display(bundle(mimeType, content), id);
        return new DisplayHandle(id);
    }

    /** Replaces what the display {@code handle} shows with {@code value}. */
    public static void updateDisplay(DisplayHandle handle, Object value) {
        updateDisplay(Objects.requireNonNull(handle, "handle").id(), value);
    }

    /** Replaces what the display {@code handle} shows with {@code content} as {@code mimeType}. */
    public static void updateDisplay(DisplayHandle handle, String mimeType, String content) {
        updateDisplay(Objects.requireNonNull(handle, "handle").id(), mimeType, content);
    }

    /** Replaces what the display {@code displayId} shows with {@code value}. */
    public static void updateDisplay(String displayId, Object value) {
        notebook().update(Objects.requireNonNull(displayId, "displayId"), Renderer.render(value));
    }

    /** Replaces what the display {@code displayId} shows with {@code content} as {@code mimeType}. */
    public static void updateDisplay(String displayId, String mimeType, String content) {
        notebook().update(Objects.requireNonNull(displayId, "displayId"), bundle(mimeType, content));
    }

    /** Clears the cell's output at once. */
    public static void clearOutput() {
        clearOutput(false);
    }

    /** Clears the cell's output; with {@code wait}, only when new output arrives, so nothing flickers. */
    public static void clearOutput(boolean wait) {
        notebook().clear(wait);
    }

    private static Map<String, Object> bundle(String mimeType, String content) {
        Objects.requireNonNull(mimeType, "mimeType");
        Objects.requireNonNull(content, "content");
        if (!isJson(mimeType)) {
            return Map.of(mimeType, content);
        }
        try {
            // JSON's null is a value too, which Map.of would refuse.
            return Collections.singletonMap(mimeType, JSON.readValue(content, Object.class));
        } catch (JsonProcessingException ex) {
            throw new IllegalArgumentException(mimeType + " needs JSON text: " + ex.getOriginalMessage(), ex);
        }
    }

    private static boolean isJson(String mimeType) {
        String type = mimeType.toLowerCase(Locale.ROOT);
        return type.equals("application/json") || type.endsWith("+json");
    }

    private static Notebook notebook() {
        Notebook target = notebook;
        if (target == null) {
            throw new IllegalStateException("No notebook is bound: display calls work only in cells run by the Drydock kernel");
        }
        return target;
    }
}

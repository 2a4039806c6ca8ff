package dev.drydock.kernel.runtime;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Adds {@code text/plain} to a MIME bundle that lacks it, as IPython always sends it: a console shows
 * only text, and an untrusted notebook hides HTML and Markdown. Markdown and LaTeX are their own text,
 * HTML is read as text (a table keeps one row a line), JSON is printed, and anything else is named,
 * {@code <image/png 640×480>} at worst.
 */
final class PlainText {

    static final String TEXT = "text/plain";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LINE_BREAKS = Pattern.compile("(?i)<br\\s*/?>|</(p|div|tr|li|h[1-6]|table|thead|tbody|pre)>");
    private static final Pattern CELL_ENDS = Pattern.compile("(?i)</t[dh]>");
    private static final Pattern INVISIBLE = Pattern.compile("(?is)<(script|style)\\b.*?</\\1>|<!--.*?-->");
    private static final Pattern TAG = Pattern.compile("(?s)<[^>]*>");
    private static final Pattern SPACE_RUNS = Pattern.compile("[ \\x0B\\f\\r]+");
    private static final Pattern BLANK_LINES = Pattern.compile("\\n\\s*\\n+");

    private PlainText() {}

    /** The bundle itself when it has text/plain, else a copy with text/plain added last. */
    static Map<String, Object> withFallback(Map<String, Object> bundle) {
        if (bundle.containsKey(TEXT)) {
            return bundle;
        }
        Map<String, Object> complete = new LinkedHashMap<>(bundle);
        complete.put(TEXT, describe(bundle));
        return complete;
    }

    private static String describe(Map<String, Object> bundle) {
        for (String type : new String[] {"text/markdown", "text/latex", "text/x-java", "text/csv"}) {
            if (bundle.get(type) instanceof String source) {
                return source;
            }
        }
        if (bundle.get("text/html") instanceof String html) {
            String text = htmlText(html);
            return text.isBlank() ? "<HTML output>" : text;
        }
        for (Map.Entry<String, Object> entry : bundle.entrySet()) {
            String type = entry.getKey().toLowerCase(Locale.ROOT);
            if (type.equals("application/json") || type.endsWith("+json")) {
                try {
                    return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(entry.getValue());
                } catch (JsonProcessingException ex) {
                    return "<" + entry.getKey() + " output>";
                }
            }
        }
        for (Map.Entry<String, Object> entry : bundle.entrySet()) {
            if (entry.getKey().equals("image/png") && entry.getValue() instanceof String data) {
                String size = pngSize(data);
                return "<image/png" + (size == null ? "" : " " + size) + ">";
            }
        }
        return bundle.isEmpty() ? "" : "<" + bundle.keySet().iterator().next() + " output>";
    }

    static String htmlText(String html) {
        String text = INVISIBLE.matcher(html).replaceAll("");
        text = LINE_BREAKS.matcher(text).replaceAll("\n");
        text = CELL_ENDS.matcher(text).replaceAll("\t");
        text = TAG.matcher(text).replaceAll("");
        text = text.replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"")
                .replace("&#39;", "'").replace("&amp;", "&");
        text = SPACE_RUNS.matcher(text).replaceAll(" ");
        text = BLANK_LINES.matcher(text).replaceAll("\n");
        return text.lines().map(String::strip).filter(line -> !line.isEmpty()).reduce((a, b) -> a + "\n" + b).orElse("");
    }

    /** {@code WIDTH×HEIGHT} from a base64 PNG's header, or {@code null} when it is not one. */
    static String pngSize(String base64) {
        try {
            // The IHDR chunk's width and height sit at bytes 16 to 23; 32 base64 characters hold 24 bytes.
            byte[] head = Base64.getMimeDecoder().decode(base64.substring(0, Math.min(base64.length(), 32)));
            if (head.length < 24 || (head[0] & 0xff) != 0x89 || head[1] != 'P' || head[2] != 'N' || head[3] != 'G') {
                return null;
            }
            ByteBuffer ihdr = ByteBuffer.wrap(head, 16, 8);
            return Integer.toUnsignedString(ihdr.getInt()) + "×" + Integer.toUnsignedString(ihdr.getInt());
        } catch (IllegalArgumentException ex) {
            return null;
        }
    }
}

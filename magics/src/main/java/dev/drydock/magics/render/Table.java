package dev.drydock.magics.render;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one table renderer: aligned columns for {@code text/plain}, a {@code <table>} for {@code text/html},
 * for every {@code ls}, {@code images}, {@code verify}, {@code diff} and metrics table.
 */
public record Table(List<String> headers, List<List<String>> rows) {

    /** A missing or {@code null} cell shows as empty, so callers can pass rows as they come. */
    public Table {
        headers = List.copyOf(headers);
        int columns = headers.size();
        rows = rows.stream().map(row -> {
            List<String> cells = new ArrayList<>(columns);
            for (int i = 0; i < columns; i++) {
                cells.add(i < row.size() && row.get(i) != null ? row.get(i) : "");
            }
            return List.copyOf(cells);
        }).toList();
    }

    public String plain() {
        int[] widths = new int[headers.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = headers.get(i).length();
            for (List<String> row : rows) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        StringBuilder text = new StringBuilder();
        List<List<String>> lines = new ArrayList<>();
        lines.add(headers);
        lines.addAll(rows);
        for (List<String> line : lines) {
            StringBuilder row = new StringBuilder();
            for (int i = 0; i < widths.length; i++) {
                row.append(i == widths.length - 1 ? line.get(i) : pad(line.get(i), widths[i] + 2));
            }
            text.append(row.toString().stripTrailing()).append('\n');
        }
        return text.toString();
    }

    public String html() {
        StringBuilder html = new StringBuilder("<table>\n<thead><tr>");
        headers.forEach(header -> html.append("<th>").append(escape(header)).append("</th>"));
        html.append("</tr></thead>\n<tbody>\n");
        for (List<String> row : rows) {
            html.append("<tr>");
            row.forEach(cell -> html.append("<td>").append(escape(cell)).append("</td>"));
            html.append("</tr>\n");
        }
        return html.append("</tbody>\n</table>").toString();
    }

    /** The MIME bundle for {@code Notebook.display}. */
    public Map<String, Object> bundle() {
        Map<String, Object> bundle = new LinkedHashMap<>();
        bundle.put("text/plain", plain());
        bundle.put("text/html", html());
        return bundle;
    }

    private static String pad(String text, int width) {
        return text + " ".repeat(Math.max(0, width - text.length()));
    }

    public static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** How long ago, as the docker CLI says it: "3 minutes ago"; a date after two weeks. */
    public static String ago(Instant then, Instant now) {
        long seconds = Math.max(0, Duration.between(then, now).getSeconds());
        if (seconds < 60) {
            return seconds + " seconds ago";
        }
        if (seconds < 3600) {
            return plural(seconds / 60, "minute") + " ago";
        }
        if (seconds < 48 * 3600) {
            return plural(seconds / 3600, "hour") + " ago";
        }
        if (seconds < 14 * 86400) {
            return plural(seconds / 86400, "day") + " ago";
        }
        return DateTimeFormatter.ISO_LOCAL_DATE.format(then.atZone(ZoneOffset.UTC));
    }

    private static String plural(long n, String unit) {
        return n + " " + unit + (n == 1 ? "" : "s");
    }

    /** A size as the docker CLI prints one: 512B, 2.05MB, 1.26GB (powers of 1000); empty when unknown (negative). */
    public static String size(long bytes) {
        if (bytes < 0) {
            return "";
        }
        if (bytes < 1000) {
            return bytes + "B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1000 && unit < units.length - 1) {
            value /= 1000;
            unit++;
        }
        return String.format(java.util.Locale.ROOT, value < 10 ? "%.2f%s" : value < 100 ? "%.1f%s" : "%.0f%s",
                value, units[unit]);
    }
}

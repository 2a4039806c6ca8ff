package dev.drydock.magics.aml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drydock.magics.render.Table;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A local job's metrics, from two places a script can put them without any Azure library:
 * <ul>
 *   <li>a {@code metrics.json} in the job's outputs root ({@code runs/<job>/outputs/metrics.json}) or in one of
 *   its output folders: an object of name → number (or text), or name → list of numbers logged step by step
 *   (or of {@code {"value": ..., "step": ...}} objects, as MLflow's {@code log_metric} history reads); the
 *   last value is shown, with the number of steps;</li>
 *   <li>lines of the log of the form {@code metric: NAME=VALUE} (at the start of a line; later lines of one
 *   name are its next steps);</li>
 *   <li>the job's MLflow file store ({@code runs/<job>/mlruns/}, where {@code MLFLOW_TRACKING_URI} points), as
 *   MLflow's {@code FileStore} lays it out: {@code <experiment id>/<run id>/metrics/<key>}, one line
 *   {@code <timestamp ms> <value> <step>} per logged value, a key with {@code /} in folders. The value shown is
 *   the one MLflow calls latest: highest step, then newest, then largest.</li>
 * </ul>
 */
public final class Metrics {

    public static final String FILE = "metrics.json";

    private static final Pattern LINE = Pattern.compile("^\\s*metric:\\s*([A-Za-z0-9_.\\-/]+)\\s*=\\s*(\\S+)\\s*$",
            Pattern.MULTILINE);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One metric: its last value, how many values it had, and where it came from. */
    public record Metric(String name, String value, int steps, String source) {}

    private Metrics() {}

    /** Every metric of a job: the metrics.json files, then MLflow's file store, then the log. */
    public static List<Metric> read(Path outputsRoot, Path mlruns, Path log) throws IOException {
        List<Metric> metrics = new ArrayList<>(read(outputsRoot, null));
        metrics.addAll(fromMlflow(mlruns));
        if (log != null && Files.isRegularFile(log)) {
            metrics.addAll(fromLog(Files.readString(log), "logs/" + log.getFileName()));
        }
        return metrics;
    }

    /** The metrics.json files (outputs root, then output folders), then the log when given. */
    public static List<Metric> read(Path outputsRoot, Path log) throws IOException {
        List<Metric> metrics = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        if (Files.isRegularFile(outputsRoot.resolve(FILE))) {
            files.add(outputsRoot.resolve(FILE));
        }
        if (Files.isDirectory(outputsRoot)) {
            try (DirectoryStream<Path> folders = Files.newDirectoryStream(outputsRoot, Files::isDirectory)) {
                List<Path> sorted = new ArrayList<>();
                folders.forEach(sorted::add);
                sorted.sort(null);
                for (Path folder : sorted) {
                    if (Files.isRegularFile(folder.resolve(FILE))) {
                        files.add(folder.resolve(FILE));
                    }
                }
            }
        }
        for (Path file : files) {
            String source = outputsRoot.getParent() == null ? file.toString()
                    : outputsRoot.getParent().relativize(file).toString();
            metrics.addAll(fromJson(Files.readString(file), source));
        }
        if (log != null && Files.isRegularFile(log)) {
            metrics.addAll(fromLog(Files.readString(log), "logs/" + log.getFileName()));
        }
        return metrics;
    }

    /** Every run's metrics in an MLflow file store, runs in path order; source {@code mlruns/<exp>/<run>}. */
    static List<Metric> fromMlflow(Path mlruns) throws IOException {
        List<Metric> metrics = new ArrayList<>();
        if (mlruns == null || !Files.isDirectory(mlruns)) {
            return metrics;
        }
        List<Path> runs;
        // <experiment>/<run>/metrics: two levels down; .trash holds deleted runs, models registered models.
        try (Stream<Path> found = Files.find(mlruns, 2, (path, attributes) -> attributes.isDirectory()
                && mlruns.relativize(path).getNameCount() == 2 && Files.isDirectory(path.resolve("metrics")))) {
            runs = found.filter(run -> !run.getParent().getFileName().toString().startsWith("."))
                    .filter(run -> !run.getParent().getFileName().toString().equals("models")).sorted().toList();
        }
        for (Path run : runs) {
            String source = mlruns.getFileName() + "/" + mlruns.relativize(run).toString().replace('\\', '/');
            Path folder = run.resolve("metrics");
            List<Path> keys;
            try (Stream<Path> files = Files.walk(folder)) {
                keys = files.filter(Files::isRegularFile).sorted().toList();
            }
            for (Path key : keys) {
                String latest = null;
                double[] best = null;
                int steps = 0;
                for (String line : Files.readAllLines(key)) {
                    String[] fields = line.strip().split("\\s+");
                    if (fields.length < 2) {
                        continue;
                    }
                    try {
                        double timestamp = Double.parseDouble(fields[0]);
                        double value = Double.parseDouble(fields[1]);
                        double step = fields.length > 2 ? Double.parseDouble(fields[2]) : 0;
                        double[] order = {step, timestamp, value};
                        if (best == null || java.util.Arrays.compare(order, best) > 0) {
                            best = order;
                            latest = fields[1];
                        }
                        steps++;
                    } catch (NumberFormatException e) {
                        // Not a line MLflow writes: left out.
                    }
                }
                if (latest != null) {
                    metrics.add(new Metric(folder.relativize(key).toString().replace('\\', '/'), latest, steps,
                            source));
                }
            }
        }
        return metrics;
    }

    static List<Metric> fromJson(String json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            return List.of(new Metric("(unreadable)", e.getMessage().lines().findFirst().orElse(""), 0, source));
        }
        List<Metric> metrics = new ArrayList<>();
        if (root == null || !root.isObject()) {
            return metrics;
        }
        for (var entry : root.properties()) {
            JsonNode value = entry.getValue();
            if (value.isArray() && !value.isEmpty()) {
                JsonNode last = value.get(value.size() - 1);
                JsonNode shown = last.isObject() ? last.path("value") : last;
                metrics.add(new Metric(entry.getKey(), shown.asText(), value.size(), source));
            } else if (value.isValueNode()) {
                metrics.add(new Metric(entry.getKey(), value.asText(), 1, source));
            }
        }
        return metrics;
    }

    /**
     * A remote run's metrics from the run history's {@code RunMetrics_GetByQuery} answer(s): each
     * {@code RunMetric} has a name and cells, one per logged value ({@code {"accuracy": 0.93}}, the cell's key
     * being the schema's property id, which is the metric's name for scalars). Metrics of one name split over
     * several entries (one per logged value, the service's default merge) are one row: the last value, the
     * number of values.
     */
    static List<Metric> fromRunHistory(List<JsonNode> runMetrics, String source) {
        Map<String, String> last = new LinkedHashMap<>();
        Map<String, Integer> steps = new LinkedHashMap<>();
        for (JsonNode metric : runMetrics) {
            String name = metric.path("name").asText("");
            if (name.isEmpty()) {
                continue;
            }
            String property = metric.path("schema").path("properties").path(0).path("propertyId").asText(name);
            for (JsonNode cell : metric.path("cells")) {
                JsonNode value = cell.has(property) ? cell.get(property) : cell.has(name) ? cell.get(name)
                        : cell.elements().hasNext() ? cell.elements().next() : null;
                if (value != null && value.isValueNode()) {
                    last.put(name, value.asText());
                    steps.merge(name, 1, Integer::sum);
                }
            }
        }
        List<Metric> metrics = new ArrayList<>();
        last.forEach((name, value) -> metrics.add(new Metric(name, value, steps.get(name), source)));
        return metrics;
    }

    /** The table {@code %aml status} shows, for local and remote jobs alike. */
    public static Map<String, Object> table(List<Metric> metrics) {
        List<List<String>> rows = new ArrayList<>();
        metrics.forEach(m -> rows.add(List.of(m.name(), m.value(), Integer.toString(m.steps()), m.source())));
        return new Table(List.of("metric", "value", "steps", "source"), rows).bundle();
    }

    static List<Metric> fromLog(String log, String source) {
        Map<String, String> last = new LinkedHashMap<>();
        Map<String, Integer> steps = new LinkedHashMap<>();
        Matcher matcher = LINE.matcher(log);
        while (matcher.find()) {
            last.put(matcher.group(1), matcher.group(2));
            steps.merge(matcher.group(1), 1, Integer::sum);
        }
        List<Metric> metrics = new ArrayList<>();
        last.forEach((name, value) -> metrics.add(new Metric(name, value, steps.get(name), source)));
        return metrics;
    }
}

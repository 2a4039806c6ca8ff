package dev.drydock.magics.aml;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsTest {

    @TempDir
    Path dir;

    @Test
    void jsonValuesListsAndMlflowHistories() {
        List<Metrics.Metric> metrics = Metrics.fromJson("""
                {"accuracy": 0.93, "loss": [0.9, 0.5, 0.25], "f1": [{"value": 0.7, "step": 0}, {"value": 0.8, "step": 1}],
                 "model": "centroid", "nested": {"ignored": 1}}
                """, "outputs/model/metrics.json");
        assertEquals(List.of(
                new Metrics.Metric("accuracy", "0.93", 1, "outputs/model/metrics.json"),
                new Metrics.Metric("loss", "0.25", 3, "outputs/model/metrics.json"),
                new Metrics.Metric("f1", "0.8", 2, "outputs/model/metrics.json"),
                new Metrics.Metric("model", "centroid", 1, "outputs/model/metrics.json")), metrics);
    }

    @Test
    void logLinesLastValueWins() {
        String log = "epoch 1\nmetric: loss=0.5\nmetric: loss=0.3\n  metric: accuracy=0.9\nnot a metric: x=1\nmetric:bad\n";
        assertEquals(List.of(new Metrics.Metric("loss", "0.3", 2, "logs/std_log.txt"),
                new Metrics.Metric("accuracy", "0.9", 1, "logs/std_log.txt")), Metrics.fromLog(log, "logs/std_log.txt"));
    }

    @Test
    void readsRootThenOutputFoldersThenLog() throws IOException {
        Path outputs = dir.resolve("outputs");
        Files.createDirectories(outputs.resolve("model"));
        Files.writeString(outputs.resolve("metrics.json"), "{\"a\": 1}");
        Files.writeString(outputs.resolve("model/metrics.json"), "{\"b\": 2}");
        Files.createDirectories(dir.resolve("logs"));
        Files.writeString(dir.resolve("logs/std_log.txt"), "metric: c=3\n");
        assertEquals(List.of(new Metrics.Metric("a", "1", 1, "outputs/metrics.json"),
                new Metrics.Metric("b", "2", 1, "outputs/model/metrics.json"),
                new Metrics.Metric("c", "3", 1, "logs/std_log.txt")),
                Metrics.read(outputs, dir.resolve("logs/std_log.txt")));
    }

    @Test
    void nothingWhenThereIsNothing() throws IOException {
        assertEquals(List.of(), Metrics.read(dir.resolve("outputs"), dir.resolve("logs/std_log.txt")));
        assertEquals("(unreadable)", Metrics.fromJson("{", "x").get(0).name());
    }

    /** Files as MLflow's FileStore writes them: one "timestamp value step" line per log_metric call. */
    @Test
    void mlflowFileStoreLatestByStepThenTime() throws IOException {
        Path mlruns = dir.resolve("mlruns");
        Path run = mlruns.resolve("618254915467532423/4f2e7a0c9b1d4e5f8a6b7c8d9e0f1a2b");
        Files.createDirectories(run.resolve("metrics/val"));
        Files.writeString(mlruns.resolve("618254915467532423/meta.yaml"), "name: centroids\n");
        Files.writeString(run.resolve("meta.yaml"), "run_id: 4f2e7a0c9b1d4e5f8a6b7c8d9e0f1a2b\n");
        Files.writeString(run.resolve("metrics/loss"), "1700000000000 0.9 0\n1700000000100 0.5 1\n1700000000050 0.7 1\n");
        Files.writeString(run.resolve("metrics/val/accuracy"), "1700000000200 0.93 0\n");
        Files.createDirectories(mlruns.resolve(".trash/0/deleted/metrics"));
        Files.writeString(mlruns.resolve(".trash/0/deleted/metrics/gone"), "1 1 0\n");
        String source = "mlruns/618254915467532423/4f2e7a0c9b1d4e5f8a6b7c8d9e0f1a2b";
        assertEquals(List.of(new Metrics.Metric("loss", "0.5", 3, source),
                new Metrics.Metric("val/accuracy", "0.93", 1, source)), Metrics.fromMlflow(mlruns));
        assertEquals(List.of(new Metrics.Metric("loss", "0.5", 3, source),
                new Metrics.Metric("val/accuracy", "0.93", 1, source)), Metrics.read(dir.resolve("outputs"), mlruns, null));
    }
}

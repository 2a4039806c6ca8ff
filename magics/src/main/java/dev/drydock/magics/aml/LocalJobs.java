package dev.drydock.magics.aml;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.render.Table;
import dev.drydock.magics.engine.DockerEngine;
import dev.drydock.magics.files.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Drydock's local compute for Azure ML command jobs: no Azure at all, unlike {@code az ml}'s local runs. A
 * submission packages the run folder ({@link RunFolder}), builds or finds the environment, and runs the
 * command in the local Docker engine; {@code status}, {@code ls}, {@code stream} and {@code cancel} read and
 * act on the run folders.
 */
public final class LocalJobs {

    private final LocalServices local;

    LocalJobs(LocalServices local) {
        this.local = local;
    }

    // ---------------------------------------------------------------- submit

    /** The session variable that holds the name of the job submitted last. */
    public static final String JOB_NAME_VARIABLE = "AML_JOB_NAME";

    static MagicException exists(RunFolder folder, String name) {
        return MagicException.failed("A job named " + name + " exists already (" + folder.root() + "): give another"
                + " --name, or leave the name out for a generated one (${" + JOB_NAME_VARIABLE + "} then names it).");
    }

    /** Submits {@code spec} locally; with {@code stream}, follows its log until it ends (an interrupt cancels it). */
    public JobRecord submit(JobSpec spec, boolean stream) throws MagicException {
        String name = spec.name() != null ? spec.name() : JobNames.generate();
        RunFolder folder = RunFolder.of(local.session(), name);
        if (Files.exists(folder.root())) {
            // Said before anything is checked; the claim below is what settles a race.
            throw exists(folder, name);
        }
        // Everything that can be checked without the engine is checked before the run folder exists.
        if (spec.code() != null && spec.codeFolder().isEmpty()) {
            throw MagicException.failed("The job's code is " + spec.code() + ", an asset in an Azure ML workspace; a"
                    + " local job needs a local folder (code: ./src).");
        }
        Path code = spec.codeFolder().orElse(null);
        if (code != null && !Files.isDirectory(code)) {
            throw MagicException.failed("The job's code folder " + code + " does not exist or is not a folder"
                    + " (code: is relative to " + spec.file().getFileName() + "'s folder). Nothing was run.");
        }
        LocalEnvironment.checkLocal(spec.environment());
        LocalRun.Plan plan = LocalRun.plan(spec, folder, name);
        notes(spec);

        if (LocalRuns.of(local.session()).closed()) {
            throw MagicException.failed("The kernel is shutting down: job " + name + " was not submitted.");
        }
        folder.claim(exists(folder, name));
        Map<String, String> outputs = new LinkedHashMap<>();
        spec.outputs().keySet().forEach(output -> outputs.put(output, folder.outputs().resolve(output).toString()));
        JobRecord record = JobRecord.created(spec, name, outputs);
        record.write(folder.root(), local.session().masker());
        // As az ml job create answers with the job: later cells name it ${AML_JOB_NAME}, whatever name it got.
        local.session().setVariable(JOB_NAME_VARIABLE, name);

        long started = System.nanoTime();
        Snapshot.Copied copied;
        try {
            copied = code == null ? null : Snapshot.copy(code, folder.code(), RunFolder.runs(local.session()));
            Files.createDirectories(folder.code());
            write(folder.jobYaml(), JobYaml.write(resolvedTree(spec, name)));
        } catch (IOException | MagicException e) {
            String message = e instanceof MagicException ? e.getMessage()
                    : "Cannot create " + folder.code() + ": " + e.getMessage();
            record.to(JobRecord.State.Failed, null, message).write(folder.root(), local.session().masker());
            throw MagicException.failed(message);
        }
        local.notebook().out(snapshotLine(name, code, copied, (System.nanoTime() - started) / 1e9));

        LocalEnvironment.Resolved environment;
        DockerEngine engine;
        try {
            engine = local.docker().engine();
            environment = new LocalEnvironment(local, engine)
                    .resolve(spec.environment(), folder.environment());
        } catch (MagicException | RuntimeException e) {
            boolean interrupted = e instanceof MagicException m && m.kind() == MagicException.Kind.KeyboardInterrupt
                    || local.notebook().cancellation().isCancelled();
            record.to(interrupted ? JobRecord.State.Canceled : JobRecord.State.Failed, null,
                    interrupted ? "Canceled." : "The environment did not build: " + e.getMessage()).write(folder.root(), local.session().masker());
            if (interrupted) {
                throw MagicException.interrupted();
            }
            throw new MagicException(e instanceof MagicException m ? m.kind() : MagicException.Kind.MagicError,
                    "Job " + name + " failed before it started: " + e.getMessage(), e);
        }
        record = record.withEnvironment(environment.description(), environment.image(), environment.built());
        record.write(folder.root(), local.session().masker());
        LocalRun run;
        try {
            run = LocalRun.start(engine, local.session(), local.user(), spec, folder, record, environment.image(), plan);
        } catch (MagicException e) {
            // The record must end too, or the job would read NotStarted for ever.
            boolean interrupted = e.kind() == MagicException.Kind.KeyboardInterrupt
                    || local.notebook().cancellation().isCancelled() || LocalRuns.of(local.session()).closed();
            record.to(interrupted ? JobRecord.State.Canceled : JobRecord.State.Failed, null,
                    interrupted ? "Canceled." : e.getMessage()).write(folder.root(), local.session().masker());
            throw e;
        }
        local.notebook().out("Job " + name + " is Running in " + environment.image() + "; outputs go to "
                + local.session().workingDirectory().relativize(folder.outputs()) + "/.\n");
        if (!stream) {
            local.notebook().out("%aml stream " + name + " follows its log; %aml status " + name
                    + " shows its state.\n");
            return folder.record();
        }
        JobRecord ended = LocalRun.follow(folder, LocalRuns.of(local.session()), local.notebook(),
                LocalRun.OnInterrupt.CANCEL_JOB);
        return finish(ended);
    }

    /** The summary line of an ended job; a Failed or Canceled job is the cell's error. */
    private JobRecord finish(JobRecord ended) throws MagicException {
        String summary = "Job " + ended.name() + " " + ended.status() + (ended.exitCode() == null ? ""
                : " (exit code " + ended.exitCode() + ")") + " in " + duration(ended) + ".";
        switch (ended.status()) {
            case Completed -> local.notebook().out("\n" + summary + " %aml status " + ended.name() + " shows its outputs and"
                    + " metrics.\n");
            // A cancel that could not reach the engine says so: its container may still run.
            case Canceled -> throw new MagicException(MagicException.Kind.KeyboardInterrupt, summary
                    + (ended.error() == null || ended.error().equals(LocalRun.CANCELED) ? "" : " " + ended.error()));
            default -> throw MagicException.failed(summary + " " + (ended.error() == null ? "" : ended.error()));
        }
        return ended;
    }

    private void notes(JobSpec spec) {
        List<String> ignored = new ArrayList<>();
        if (spec.resources().instanceCount() > 1) {
            ignored.add("instance_count " + spec.resources().instanceCount());
        }
        if (spec.distribution() != null) {
            ignored.add("distribution " + spec.distribution().type());
        }
        if (spec.resources().instanceType() != null) {
            ignored.add("instance_type " + spec.resources().instanceType());
        }
        if (spec.resources().dockerArgs() != null) {
            ignored.add("docker_args");
        }
        if (!ignored.isEmpty()) {
            local.notebook().out("Running locally as one process in one container: " + String.join(", ", ignored)
                    + " apply on Azure ML compute only.\n");
        }
    }

    private String snapshotLine(String name, Path code, Snapshot.Copied copied, double seconds) {
        String folder = local.session().workingDirectory().relativize(RunFolder.of(local.session(), name).root())
                .toString();
        if (copied == null) {
            return "Run folder " + folder + "/ (the job has no code folder).\n";
        }
        StringBuilder line = new StringBuilder(String.format("Snapshot of %s into %s/snapshot: %d files, %s in %.2f s",
                code, folder, copied.files(), Table.size(copied.bytes()), seconds));
        line.append(copied.ignoreFile() == null ? "" : ", honouring " + copied.ignoreFile()).append(".\n");
        if (!copied.skippedSecrets().isEmpty()) {
            line.append("Left out ").append(String.join(", ", copied.skippedSecrets()))
                    .append(": secrets never go into a snapshot.\n");
        }
        return line.toString();
    }

    /**
     * The job as submitted, runnable again from the snapshot: its name set, {@code code} pointing at the
     * snapshot's copy, a build context at the snapshot's copy, and local paths made absolute.
     */
    static ObjectNode resolvedTree(JobSpec spec, String name) {
        ObjectNode tree = spec.tree().deepCopy();
        tree.put("name", name);
        if (spec.codeFolder().isPresent()) {
            tree.put("code", "./code");
        }
        if (spec.environment() instanceof JobSpec.Inline inline && tree.get("environment").isObject()) {
            ObjectNode environment = (ObjectNode) tree.get("environment");
            if (inline.buildPath() != null) {
                ((ObjectNode) environment.get("build")).put("path", "./environment/context");
            } else {
                environment.put("conda_file", inline.condaFile().toString());
            }
        }
        spec.inputs().forEach((input, value) -> {
            if (value instanceof JobSpec.Data data && tree.path("inputs").path(input).isObject()) {
                data.localPath(spec.folder()).ifPresent(path ->
                        ((ObjectNode) tree.get("inputs").get(input)).put("path", path.toString()));
            }
        });
        return tree;
    }

    // ---------------------------------------------------------------- status, ls, stream, cancel

    public void status(String name) throws MagicException {
        RunFolder folder = RunFolder.existing(local.session(), name);
        JobRecord record = reconciled(folder, folder.record());
        StringBuilder text = new StringBuilder();
        line(text, "Name", record.name());
        line(text, "Display name", record.displayName());
        line(text, "Experiment", record.experimentName());
        line(text, "Status", record.status().toString());
        line(text, "Compute", record.compute());
        line(text, "Environment", record.environment() == null ? null
                : record.environment() + (Boolean.TRUE.equals(record.environmentBuilt()) ? ", built for this job" : ""));
        line(text, "Created", record.createdAt());
        line(text, "Started", record.startedAt());
        line(text, "Ended", record.endedAt());
        line(text, "Duration", record.startedAt() == null ? null : duration(record));
        line(text, "Exit code", record.exitCode() == null ? null : record.exitCode().toString());
        line(text, "Command", record.command());
        line(text, "Log", local.session().workingDirectory().relativize(folder.log()).toString());
        line(text, "Error", record.error());
        local.notebook().out(text.toString());
        if (!record.outputs().isEmpty()) {
            List<List<String>> rows = new ArrayList<>();
            record.outputs().forEach((output, path) -> rows.add(List.of(output,
                    local.session().workingDirectory().relativize(Path.of(path)).toString(), files(Path.of(path)))));
            local.notebook().display(new Table(List.of("output", "folder", "files"), rows).bundle(), null);
        }
        List<Metrics.Metric> metrics;
        try {
            metrics = Metrics.read(folder.outputs(), folder.mlruns(), folder.log());
        } catch (IOException e) {
            throw MagicException.failed("Cannot read the metrics of " + name + ": " + e.getMessage());
        }
        if (metrics.isEmpty()) {
            local.notebook().out("No metrics: log them with MLflow (mlflow.log_metric), write metrics.json into"
                    + " ./outputs or an output folder, or print lines like \"metric: accuracy=0.93\".\n");
        } else {
            local.notebook().display(Metrics.table(metrics), null);
        }
    }

    /** The local jobs, newest first, as rows of {@link #COLUMNS}. */
    public List<List<String>> rows() throws MagicException {
        List<JobRecord> records = new ArrayList<>();
        for (RunFolder folder : RunFolder.all(local.session())) {
            records.add(reconciled(folder, folder.record()));
        }
        records.sort(Comparator.comparing(JobRecord::createdAt).reversed());
        Instant now = Instant.now();
        List<List<String>> rows = new ArrayList<>();
        for (JobRecord r : records) {
            // A record written by hand or by an older Drydock may lack the optional names.
            rows.add(List.of(r.name(), Objects.toString(r.displayName(), ""), Objects.toString(r.experimentName(), ""),
                    r.status().toString(),
                    Table.ago(Instant.parse(r.createdAt()), now), r.startedAt() == null ? "" : duration(r),
                    r.exitCode() == null ? "" : r.exitCode().toString()));
        }
        return rows;
    }

    public static final List<String> COLUMNS = List.of("name", "display name", "experiment", "status", "created",
            "duration", "exit code");

    /** Prints the saved log and follows it while the job runs; an interrupt stops following, not the job. */
    public void stream(String name) throws MagicException {
        RunFolder folder = RunFolder.existing(local.session(), name);
        reconciled(folder, folder.record());
        JobRecord ended = LocalRun.follow(folder, LocalRuns.of(local.session()), local.notebook(),
                LocalRun.OnInterrupt.STOP_FOLLOWING);
        local.notebook().out("\nJob " + ended.name() + " " + ended.status() + (ended.exitCode() == null ? ""
                : " (exit code " + ended.exitCode() + ")") + (ended.startedAt() == null ? "" : " in " + duration(ended))
                + "." + (ended.error() == null || ended.status() == JobRecord.State.Canceled ? "" : " " + ended.error())
                + "\n");
    }

    public void cancel(String name) throws MagicException {
        RunFolder folder = RunFolder.existing(local.session(), name);
        JobRecord before = folder.record();
        if (before.status().terminal()) {
            local.notebook().out("Job " + name + " is " + before.status() + " already; nothing to cancel.\n");
            return;
        }
        JobRecord after = LocalRun.cancel(folder, LocalRuns.of(local.session()), local.docker().engine());
        local.notebook().out("Job " + name + " is " + after.status() + ".\n");
    }

    /** The record brought up to date from the engine when no watcher in this kernel keeps it. */
    private JobRecord reconciled(RunFolder folder, JobRecord record) throws MagicException {
        LocalRuns runs = LocalRuns.of(local.session());
        if (record.status().terminal() || runs.get(folder) != null) {
            return record;
        }
        try {
            return LocalRun.reconcile(folder, record, runs, local.docker().engine().client());
        } catch (MagicException e) {
            // No engine: the record as it was written is the best there is.
            return record;
        }
    }

    // ---------------------------------------------------------------- formatting

    private static void line(StringBuilder text, String label, String value) {
        if (value != null && !value.isEmpty()) {
            text.append(String.format("%-13s", label + ":")).append(value.replace("\n", "\n             ")).append('\n');
        }
    }

    static String duration(JobRecord record) {
        if (record.startedAt() == null) {
            return "0 s";
        }
        Instant end = record.endedAt() == null ? Instant.now() : Instant.parse(record.endedAt());
        Duration duration = Duration.between(Instant.parse(record.startedAt()), end);
        double seconds = duration.toMillis() / 1000.0;
        return seconds < 60 ? String.format("%.1f s", seconds)
                : String.format("%d min %d s", duration.toMinutes(), duration.toSecondsPart());
    }

    private static String files(Path folder) {
        if (!Files.isDirectory(folder)) {
            return "0";
        }
        try (Stream<Path> walk = Files.walk(folder)) {
            return Long.toString(walk.filter(Files::isRegularFile).count());
        } catch (IOException e) {
            return "?";
        }
    }

    private static void write(Path file, String text) throws MagicException {
        try {
            AtomicFiles.write(file, text.getBytes(StandardCharsets.UTF_8), false, null);
        } catch (IOException e) {
            throw MagicException.failed("Cannot write " + file + ": " + e.getMessage());
        }
    }
}

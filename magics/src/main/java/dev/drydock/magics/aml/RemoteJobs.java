package dev.drydock.magics.aml;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.files.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code %aml submit} to a workspace: the same run folder as a local job ({@code runs/<job>/snapshot/}), but
 * no {@code job.json} — that file is what makes {@code %aml status NAME} look locally — and the snapshot's
 * code folder is what {@link AmlRemote} uploads. {@link #request} maps the YAML to the REST model as
 * {@code az ml job create} does.
 */
final class RemoteJobs {

    /** What a remote submission leaves in its run folder: the workspace and the studio page, for people. */
    static final String FILE = "remote.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Session session;
    private final Notebook notebook;
    private final AmlRemote remote;

    RemoteJobs(Session session, Notebook notebook, AmlRemote remote) {
        this.session = session;
        this.notebook = notebook;
        this.remote = remote;
    }

    /** Snapshots the job, submits it, and with {@code stream} follows it; a Failed job is the cell's error. */
    AmlRemoteJob submit(JobSpec spec, boolean stream) throws MagicException {
        Workspace workspace = remote.requireWorkspace();
        String name = spec.name() != null ? spec.name() : JobNames.generate();
        RunFolder folder = RunFolder.of(session, name);
        if (Files.exists(folder.root())) {
            throw MagicException.failed("A job named " + name + " exists already (" + folder.root() + "): give another"
                    + " --name, or leave the name out for a generated one.");
        }
        AmlRemoteRequest request = request(spec, name, folder);
        Path code = spec.codeFolder().orElse(null);
        if (code != null) {
            Snapshot.Copied copied = Snapshot.copy(code, folder.code(), RunFolder.runs(session));
            if (!copied.skippedSecrets().isEmpty()) {
                notebook.out("Left out " + String.join(", ", copied.skippedSecrets())
                        + ": secrets never go into a snapshot.\n");
            }
        }
        if (spec.environment() instanceof JobSpec.Inline inline && inline.buildPath() != null) {
            Snapshot.copy(inline.buildPath(), folder.environment().resolve("context"), RunFolder.runs(session));
        }
        write(folder.jobYaml(), JobYaml.write(LocalJobs.resolvedTree(spec, name)));
        AmlRemoteJob job;
        try {
            job = remote.submit(request, notebook);
        } catch (MagicException e) {
            // No job was created, so the name is free again: the snapshot must not hold it.
            deleteQuietly(folder.root());
            throw e;
        }
        ObjectNode record = JSON.createObjectNode();
        record.put("name", job.name());
        record.put("workspace", workspace.armId());
        record.put("submittedAt", Instant.now().toString());
        job.studioUrl().ifPresent(url -> record.put("studioUrl", url));
        try {
            // A record Drydock writes is masked like its output.
            write(folder.root().resolve(FILE), session.masker().mask(JSON.writeValueAsString(record)));
        } catch (IOException e) {
            throw MagicException.failed("Cannot write " + folder.root().resolve(FILE) + ": " + e.getMessage());
        }
        if (!stream) {
            notebook.out("%aml stream " + name + " follows its log; %aml status " + name + " shows its state.\n");
            return job;
        }
        return ended(remote.stream(name, notebook));
    }

    /** The summary of a followed job; Failed is the cell's error, and an interrupt leaves the job running. */
    AmlRemoteJob ended(AmlRemoteJob job) throws MagicException {
        if (!job.terminal()) {
            throw MagicException.interrupted();
        }
        String summary = "Job " + job.name() + " " + job.status() + " in workspace "
                + remote.requireWorkspace().name() + ".";
        if (job.status().equals("Completed")) {
            notebook.out("\n" + summary + job.studioUrl().map(url -> " " + url).orElse("") + "\n");
            return job;
        }
        throw MagicException.failed(summary + job.error().map(e -> " " + e).orElse(""));
    }

    void status(String name) throws MagicException {
        AmlRemoteJob job = remote.status(name);
        StringBuilder text = new StringBuilder();
        line(text, "Name", job.name());
        line(text, "Display name", job.displayName());
        line(text, "Experiment", job.experimentName());
        line(text, "Status", job.status());
        line(text, "Workspace", remote.requireWorkspace().name());
        line(text, "Compute", job.computeId().map(id -> id.substring(id.lastIndexOf('/') + 1)).orElse("serverless"));
        line(text, "Studio", job.studioUrl().orElse(null));
        line(text, "Error", job.error().orElse(null));
        notebook.out(text.toString());
        List<Metrics.Metric> metrics;
        try {
            metrics = remote.metrics(job);
        } catch (MagicException e) {
            // The job's state is what was asked for; metrics the run history cannot give are a note, not a failure.
            notebook.err("Its metrics could not be read from the workspace's run history: " + e.getMessage() + "\n");
            return;
        }
        if (metrics.isEmpty()) {
            notebook.out("No metrics logged" + (job.terminal() ? "" : " yet") + " (mlflow.log_metric logs them).\n");
        } else {
            notebook.display(Metrics.table(metrics), null);
        }
    }

    static void line(StringBuilder text, String label, String value) {
        if (value != null && !value.isEmpty()) {
            text.append(String.format("%-13s", label + ":")).append(value.replace("\n", "\n             ")).append('\n');
        }
    }

    // ---------------------------------------------------------------- mapping

    /**
     * The REST model of {@code spec}, as {@code az ml job create} builds it: the command verbatim, the code
     * from the snapshot ({@code runs/<job>/snapshot/code}), inputs with local paths made absolute (the client
     * uploads them), literals as strings, resources only where the YAML has them.
     */
    static AmlRemoteRequest request(JobSpec spec, String name, RunFolder folder) throws MagicException {
        if (spec.code() != null && spec.codeFolder().isEmpty()) {
            throw MagicException.usage("The job's code is " + spec.code() + "; %aml submit uploads a local code folder"
                    + " (code: ./src) and does not take a code asset yet.");
        }
        Optional<Path> code = spec.codeFolder().map(local -> folder.code());
        if (spec.codeFolder().isPresent() && !Files.isDirectory(spec.codeFolder().get())) {
            throw MagicException.failed("The job's code folder " + spec.codeFolder().get() + " does not exist or is not"
                    + " a folder (code: is relative to " + spec.file().getFileName() + "'s folder). Nothing was submitted.");
        }
        Map<String, AmlRemoteRequest.Input> inputs = new LinkedHashMap<>();
        for (var entry : spec.inputs().entrySet()) {
            inputs.put(entry.getKey(), input(spec, entry.getKey(), entry.getValue()));
        }
        Map<String, AmlRemoteRequest.Output> outputs = new LinkedHashMap<>();
        spec.outputs().forEach((output, value) -> outputs.put(output, new AmlRemoteRequest.Output(
                value.type() == null ? "uri_folder" : value.type(), Optional.ofNullable(value.path()),
                Optional.ofNullable(value.mode()))));
        Optional<AmlRemoteRequest.Resources> resources = spec.tree().hasNonNull("resources")
                ? Optional.of(new AmlRemoteRequest.Resources(Optional.of(spec.resources().instanceCount()),
                        Optional.ofNullable(spec.resources().instanceType()),
                        Optional.ofNullable(spec.resources().shmSize())))
                : Optional.empty();
        Optional<AmlRemoteRequest.Distribution> distribution = Optional.ofNullable(spec.distribution())
                .map(d -> new AmlRemoteRequest.Distribution(d.type(), Optional.ofNullable(d.processCountPerInstance()),
                        Optional.ofNullable(d.workerCount()), Optional.ofNullable(d.parameterServerCount())));
        return new AmlRemoteRequest(name, spec.command(), code, environment(spec.environment(), folder.environment().resolve("context")), inputs,
                outputs,
                Optional.ofNullable(spec.compute()), resources, distribution, spec.environmentVariables(),
                Optional.ofNullable(spec.experimentName()), Optional.ofNullable(spec.displayName()),
                Optional.ofNullable(spec.description()), spec.tags());
    }

    private static AmlRemoteRequest.Input input(JobSpec spec, String name, JobSpec.Input input) throws MagicException {
        if (input instanceof JobSpec.Literal literal) {
            return AmlRemoteRequest.Input.literal(literal.value());
        }
        JobSpec.Data data = (JobSpec.Data) input;
        String value = data.path();
        Optional<Path> local = data.localPath(spec.folder());
        if (local.isPresent()) {
            if (!Files.exists(local.get())) {
                throw MagicException.failed("Input " + name + " is " + local.get() + ", which does not exist. Nothing was"
                        + " submitted.");
            }
            value = local.get().toString();
        }
        return new AmlRemoteRequest.Input(data.type(), value, Optional.ofNullable(data.mode()));
    }

    /** The REST model of an environment; a build context goes up from {@code context}, its snapshot's copy. */
    static AmlRemoteRequest.Environment environment(JobSpec.Environment environment, Path context)
            throws MagicException {
        if (environment instanceof JobSpec.Image image) {
            return new AmlRemoteRequest.Environment.Image(image.image(), Optional.empty());
        }
        if (environment instanceof JobSpec.Registered registered) {
            if (registered.version() == null) {
                throw MagicException.usage("environment azureml:" + registered.name() + "@" + registered.label()
                        + " names a label; remote submission takes azureml:NAME:VERSION.");
            }
            return new AmlRemoteRequest.Environment.Registered(registered.name(), registered.version());
        }
        if (environment instanceof JobSpec.Inline inline) {
            if (inline.buildPath() != null) {
                if (!Files.isDirectory(inline.buildPath())) {
                    throw MagicException.failed("The environment's build context " + inline.buildPath()
                            + " does not exist or is not a folder.");
                }
                return new AmlRemoteRequest.Environment.Build(context, inline.dockerfilePath());
            }
            try {
                return new AmlRemoteRequest.Environment.Image(inline.image(),
                        Optional.of(Files.readString(inline.condaFile(), StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw MagicException.failed("Cannot read the environment's conda file " + inline.condaFile() + ": "
                        + e.getMessage());
            }
        }
        JobSpec.DrydockEnv drydock = (JobSpec.DrydockEnv) environment;
        throw MagicException.usage("environment " + drydock.name() + " is a Drydock environment, which exists only in"
                + " the local Docker engine. For a workspace, push it (%env push " + drydock.name()
                + " REGISTRY.azurecr.io/...) and give that image as environment:, or run it here with --set"
                + " compute=local.");
    }

    private static void deleteQuietly(Path root) {
        try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // What is left only blocks the name; the submission's own error is the one to show.
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

package dev.drydock.magics.aml;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.WaitContainerResultCallback;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import dev.drydock.magics.Cancellation;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.SecretMasker;
import dev.drydock.magics.Session;
import dev.drydock.magics.Utf8;
import dev.drydock.magics.container.ContainerRequest;
import dev.drydock.magics.container.Containers;
import dev.drydock.magics.container.HostUser;
import dev.drydock.magics.engine.DockerEngine;
import dev.drydock.magics.engine.EngineErrors;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One local job's container: planned from the job (mounts, substituted command, variables), started, and
 * watched by a background thread that saves its output to {@code logs/std_log.txt} and records how it ended
 * in {@code job.json}. The cell that submitted it may follow the log ({@link #follow}) or return at once, as
 * {@code az ml job create} does without {@code --stream}.
 */
public final class LocalRun {

    static final String CODE_DIR = "/drydock/code";
    static final String INPUTS_DIR = "/drydock/inputs";
    static final String OUTPUTS_DIR = "/drydock/outputs";
    static final String MLRUNS_DIR = "/drydock/mlruns";
    /** The label that ties a container to its job; its value is the job's name. */
    static final String LABEL_JOB = "dev.drydock.aml.job";
    private static final int STOP_SECONDS = 2;
    private static final int ERROR_TAIL_LINES = 10;

    static final String CANCELED = "Canceled.";
    private static final String SHUT_DOWN = "Canceled: the kernel shut down while the job ran; the log has what it"
            + " wrote until then.";

    /**
     * What the container gets.
     *
     * @param inputs input name → what replaced {@code ${{inputs.name}}}: a container path, or the literal value
     * @param outputs output name → its folder inside the container
     */
    record Plan(String command, Map<String, String> inputs, Map<String, String> outputs, List<Bind> binds,
            Map<String, String> environment) {}

    private final DockerClient client;
    private final DockerEngine engine;
    private final LocalRuns runs;
    private final RunFolder folder;
    private final String container;
    private final Duration timeout;
    private final LogFile log;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile String canceled;
    private volatile JobRecord record;

    private LocalRun(DockerEngine engine, LocalRuns runs, RunFolder folder, String container, Duration timeout,
            LogFile log, JobRecord record) {
        this.engine = engine;
        this.client = engine.client();
        this.runs = runs;
        this.folder = folder;
        this.container = container;
        this.timeout = timeout;
        this.log = log;
        this.record = record;
    }

    // ---------------------------------------------------------------- plan

    /**
     * Mounts, the command and the variables for {@code spec}, as Azure ML's runtime gives them:
     * <ul>
     *   <li>the working folder {@value #CODE_DIR} is a writable copy of the snapshot ({@code runs/<job>/wd/}), so
     *   the job may write beside its code while the snapshot stays as submitted; its {@code ./outputs} is the run's
     *   outputs root, as Azure ML keeps what a job writes to {@code ./outputs};</li>
     *   <li>each {@code uri_file}/{@code uri_folder} input read-only under {@value #INPUTS_DIR}, the outputs root
     *   read-write at {@value #OUTPUTS_DIR} with one folder per output;</li>
     *   <li>{@code AZUREML_RUN_ID} (the job's name, as Azure ML names a command job's run), the experiment as
     *   {@code AZUREML_ARM_PROJECT_NAME}, {@code AZURE_ML_INPUT_<name>} and {@code AZURE_ML_OUTPUT_<name>}, and
     *   {@code MLFLOW_TRACKING_URI} to a file store in {@code runs/<job>/mlruns/}, which {@code %aml status}
     *   reads. Nothing that names a workspace or a token: there is none.</li>
     * </ul>
     * Fails, before anything runs, when an input is not on this machine.
     */
    static Plan plan(JobSpec spec, RunFolder folder, String name) throws MagicException {
        Map<String, String> inputs = new LinkedHashMap<>();
        List<Bind> binds = new ArrayList<>();
        binds.add(new Bind(folder.working().toString(), new Volume(CODE_DIR), AccessMode.rw));
        binds.add(new Bind(folder.outputs().toString(), new Volume(CODE_DIR + "/outputs"), AccessMode.rw));
        binds.add(new Bind(folder.mlruns().toString(), new Volume(MLRUNS_DIR), AccessMode.rw));
        for (var entry : spec.inputs().entrySet()) {
            if (entry.getValue() instanceof JobSpec.Literal literal) {
                inputs.put(entry.getKey(), literal.value());
                continue;
            }
            JobSpec.Data data = (JobSpec.Data) entry.getValue();
            Path path = data.localPath(spec.folder()).orElseThrow(() -> MagicException.failed("Input " + entry.getKey()
                    + " is " + data.path() + ", which is not on this machine; a local job mounts local files and"
                    + " folders only (give a path, relative to " + spec.file().getFileName() + "'s folder)."));
            boolean file = data.type().equals("uri_file");
            if (file ? !Files.isRegularFile(path) : !Files.exists(path)) {
                throw MagicException.failed("Input " + entry.getKey() + " (" + data.type() + ") is " + path + ", which "
                        + (Files.exists(path) ? "is a folder, not a file" : "does not exist") + ". Nothing was run.");
            }
            if (data.type().equals("uri_folder") && !Files.isDirectory(path)) {
                throw MagicException.failed("Input " + entry.getKey() + " is a uri_folder, but " + path
                        + " is a file: use type: uri_file. Nothing was run.");
            }
            String target = INPUTS_DIR + "/" + entry.getKey();
            String value = Files.isDirectory(path) ? target : target + "/" + path.getFileName();
            binds.add(new Bind(path.toString(), new Volume(value), AccessMode.ro));
            inputs.put(entry.getKey(), value);
        }
        Map<String, String> outputs = new LinkedHashMap<>();
        spec.outputs().keySet().forEach(output -> outputs.put(output, OUTPUTS_DIR + "/" + output));
        binds.add(new Bind(folder.outputs().toString(), new Volume(OUTPUTS_DIR), AccessMode.rw));

        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("AZUREML_RUN_ID", name);
        if (spec.experimentName() != null) {
            environment.put("AZUREML_ARM_PROJECT_NAME", spec.experimentName());
            environment.put("MLFLOW_EXPERIMENT_NAME", spec.experimentName());
        }
        environment.put("MLFLOW_TRACKING_URI", "file://" + MLRUNS_DIR);
        inputs.forEach((input, value) -> environment.put("AZURE_ML_INPUT_" + input, value));
        outputs.forEach((output, path) -> environment.put("AZURE_ML_OUTPUT_" + output, path));
        environment.put("DRYDOCK_JOB_NAME", name);
        environment.put("DRYDOCK_OUTPUTS", OUTPUTS_DIR);
        // The job's own variables win, as on Azure ML.
        environment.putAll(spec.environmentVariables());
        if (spec.distribution() != null && spec.distribution().type().equals("pytorch")) {
            // One process on one node: what torch.distributed's env:// initialisation reads.
            environment.putIfAbsent("MASTER_ADDR", "127.0.0.1");
            environment.putIfAbsent("MASTER_PORT", "29500");
            environment.putIfAbsent("WORLD_SIZE", "1");
            environment.putIfAbsent("RANK", "0");
            environment.putIfAbsent("LOCAL_RANK", "0");
            environment.putIfAbsent("NODE_RANK", "0");
        }
        return new Plan(JobYaml.substitute(spec.command(), inputs, outputs), inputs, outputs, binds, environment);
    }

    // ---------------------------------------------------------------- start

    /**
     * Creates and starts the container, attached to the log file; a thread records how it ends. The container's
     * name is the job's plus a random suffix: the same job name in another folder, or a container a crashed kernel
     * left, never conflicts.
     */
    static LocalRun start(DockerEngine engine, Session session, HostUser user, JobSpec spec, RunFolder folder,
            JobRecord record, String image, Plan plan) throws MagicException {
        DockerClient client = engine.client();
        String name = record.name();
        LocalRuns runs = LocalRuns.of(session);
        if (runs.closed()) {
            throw MagicException.failed("The kernel is shutting down: job " + name + " was not started.");
        }
        HostConfig host = HostConfig.newHostConfig().withBinds(plan.binds());
        if (spec.resources().shmSize() != null) {
            host.withShmSize(bytes(spec.resources().shmSize()));
        }
        List<String> env = new ArrayList<>();
        plan.environment().forEach((key, value) -> env.add(key + "=" + value));
        CreateContainerCmd create = client.createContainerCmd(image)
                .withName(containerName(name) + "-" + java.util.UUID.randomUUID().toString().substring(0, 8))
                .withEntrypoint("/bin/sh", "-c")
                .withCmd(plan.command())
                .withWorkingDir(CODE_DIR)
                .withEnv(env)
                .withLabels(Map.of(ContainerRequest.SESSION_LABEL, session.id(), LABEL_JOB, name))
                .withHostConfig(host)
                .withAttachStdout(true)
                .withAttachStderr(true);
        // As the kernel's own uid:gid, root included (unlike %container run, which keeps an image's non-root user for
        // a root kernel): the output folders belong to the person, and the job must be able to write into them.
        create.withUser(user.uid() + ":" + user.gid());
        String id;
        try {
            Files.createDirectories(folder.log().getParent());
            for (String output : plan.outputs().keySet()) {
                Files.createDirectories(folder.outputs().resolve(output));
            }
            Files.createDirectories(folder.outputs());
            Files.createDirectories(folder.mlruns());
            workingCopy(folder);
            id = create.exec().getId();
        } catch (IOException e) {
            throw MagicException.failed("Cannot prepare " + folder.root() + ": " + e.getMessage());
        } catch (DockerException e) {
            throw MagicException.failed("Creating the container of job " + name + " from " + image + " failed: "
                    + EngineErrors.message(e));
        }
        LogFile log;
        try {
            log = new LogFile(folder.log(), session.masker());
        } catch (IOException e) {
            Containers.removeQuietly(client, id);
            throw MagicException.failed("Cannot write " + folder.log() + ": " + e.getMessage());
        }
        LocalRun run = new LocalRun(engine, runs, folder, id, spec.timeout(), log,
                record.withContainer(id, plan.command(), plan.inputs(), JobRecord.THIS_KERNEL));
        try {
            // Attached before the start, as the docker CLI does, so not a byte of early output is lost.
            client.attachContainerCmd(id).withStdOut(true).withStdErr(true).withFollowStream(true).exec(log);
            if (!log.awaitStarted(10, TimeUnit.SECONDS)) {
                throw MagicException.failed("Attaching to the container of job " + name + " took over 10 s.");
            }
            client.startContainerCmd(id).exec();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.closeQuietly();
            Containers.cleanUp(engine, id, true, 0);
            throw MagicException.interrupted();
        } catch (RuntimeException | MagicException e) {
            // Any failure, including docker-java's on a thread the kernel interrupted: no container outlives it
            // (unless the engine froze, and then the clean-up gives up rather than hold the cell).
            log.closeQuietly();
            Containers.cleanUp(engine, id, true, 0);
            throw e instanceof MagicException m ? m : MagicException.failed("The container of job " + name
                    + " did not start: " + e.getMessage());
        }
        run.record = run.record.to(JobRecord.State.Running, null, null);
        run.record.write(folder.root(), runs.masker());
        boolean watched = runs.add(folder, run);
        Thread monitor = new Thread(run::monitor, "drydock-aml-" + name);
        monitor.setDaemon(true);
        monitor.start();
        if (!watched) {
            run.stopForShutdown();
        }
        return run;
    }

    /**
     * {@code runs/<job>/wd/}: a copy of the snapshot's code the job may write into, with {@code outputs} made
     * ready as the mount point of the outputs root (so the engine creates nothing there as root).
     */
    private static void workingCopy(RunFolder folder) throws IOException {
        Path from = folder.code();
        Path to = folder.working();
        Files.createDirectories(to);
        if (Files.isDirectory(from)) {
            try (var files = Files.walk(from)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    Path target = to.resolve(from.relativize(file).toString());
                    if (Files.isDirectory(file)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(file, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES,
                                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
        Files.createDirectories(to.resolve("outputs"));
    }

    static String containerName(String job) {
        return "drydock-aml-" + job;
    }

    private void monitor() {
        Integer status = null;
        String error = null;
        try {
            status = await(timeout);
            if (status == null) {
                error = "The job ran longer than its limits.timeout of " + timeout.toSeconds() + " s and was stopped.";
                Containers.stopQuietly(client, container, STOP_SECONDS);
                status = await(null);
            }
        } catch (RuntimeException e) {
            error = "Lost the container while waiting for it: " + e.getMessage();
        }
        log.awaitFrames(5, TimeUnit.SECONDS);
        log.closeQuietly();
        JobRecord.State state = canceled != null ? JobRecord.State.Canceled
                : error == null && status != null && status == 0 ? JobRecord.State.Completed : JobRecord.State.Failed;
        if (state == JobRecord.State.Failed && error == null) {
            error = "The command exited with status " + status + (status != null && status == 137
                    ? " (killed: out of memory, or stopped)" : "") + "." + tail(folder.log());
        }
        if (state == JobRecord.State.Canceled) {
            error = canceled;
        }
        // Before the final record: whoever sees the job ended (%aml submit --stream follows the record) must
        // find nothing of it left on the engine.
        Containers.removeQuietly(client, container);
        end(state, status, error);
    }

    /** Writes the final record once (whoever comes second finds it final), and lets waiters go. */
    private synchronized void end(JobRecord.State state, Integer status, String error) {
        try {
            if (!record.status().terminal()) {
                record = record.to(state, status, error);
                record.write(folder.root(), runs.masker());
            }
        } catch (MagicException | RuntimeException e) {
            // Nothing to tell: the cell may be gone; %aml status reconciles from the engine.
        } finally {
            runs.remove(folder, this);
            done.countDown();
        }
    }

    /** The exit status, or null when {@code limit} passed first. */
    private Integer await(Duration limit) {
        WaitContainerResultCallback wait = client.waitContainerCmd(container).exec(new WaitContainerResultCallback());
        if (limit == null) {
            return wait.awaitStatusCode();
        }
        try {
            return wait.awaitStatusCode(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (com.github.dockerjava.api.exception.DockerClientException e) {
            return null;
        }
    }

    /** Stops the job; the watcher records Canceled. Returns once the record is written (or after 30 s). */
    void cancel() {
        cancel(CANCELED);
    }

    /** The kernel shuts down: the same stop, and the record says why. */
    void stopForShutdown() {
        cancel(SHUT_DOWN);
    }

    private void cancel(String reason) {
        if (canceled == null) {
            canceled = reason;
        }
        // Through the engine's bounded client: a frozen engine must not hold the interrupt (or the shutdown).
        if (!Containers.cleanUp(engine, container, false, STOP_SECONDS)) {
            end(JobRecord.State.Canceled, null, reason + " " + frozen(container));
            return;
        }
        try {
            done.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until the job has ended and its record is written. */
    boolean awaitEnd(long time, TimeUnit unit) throws InterruptedException {
        return done.await(time, unit);
    }


    // ---------------------------------------------------------------- cancel and reconcile without the watcher

    /**
     * Cancels a job: through its watcher when this kernel runs it, else by stopping its container and
     * recording Canceled here. Returns the record after.
     */
    static JobRecord cancel(RunFolder folder, LocalRuns runs, DockerEngine engine) throws MagicException {
        LocalRun run = runs.get(folder);
        if (run != null) {
            run.cancel();
            return folder.record();
        }
        JobRecord record = folder.record();
        if (record.status().terminal()) {
            return record;
        }
        boolean answered = Containers.cleanUp(engine, container(record), true, STOP_SECONDS);
        JobRecord canceled = record.to(JobRecord.State.Canceled, null, answered ? CANCELED
                : CANCELED + " " + frozen(container(record)));
        canceled.write(folder.root(), runs.masker());
        return canceled;
    }

    /** What a cancel says when the engine did not answer its stop. */
    static String frozen(String container) {
        return "The Docker engine does not answer, so container " + container + " may still be running; once the"
                + " engine answers, %container rm -f " + container + " removes it.";
    }

    /** The job's container: its id once it was created; records written before ids were kept name it. */
    private static String container(JobRecord record) {
        return record.container() != null ? record.container() : containerName(record.name());
    }

    /**
     * A Running record that no watcher in this kernel keeps, brought up to date from the engine:
     * <ul>
     *   <li>the container has exited: Completed or Failed by its exit code, with the engine's start and end times
     *   (not the time of this look, which would make a 0.1 s job last minutes);</li>
     *   <li>the container is gone: Failed, ended when its log was last written;</li>
     *   <li>the container runs and the kernel that watched it is gone (killed before it could stop it): the job is
     *   stopped and recorded Canceled. This kernel does not adopt it: it might not hold the secrets the job's
     *   output must be masked with, and a job nobody watches must not run on unseen;</li>
     *   <li>the container runs and its kernel lives (another notebook in this folder): left as it is.</li>
     * </ul>
     */
    static JobRecord reconcile(RunFolder folder, JobRecord record, LocalRuns runs, DockerClient client)
            throws MagicException {
        if (record.status() == JobRecord.State.NotStarted && !record.kernelAlive()) {
            // Killed while it prepared the job (snapshot, environment build): no container was made.
            JobRecord canceled = record.to(JobRecord.State.Canceled, null, "Canceled: the kernel that submitted this"
                    + " job (" + record.kernel() + ") ended before the job started.");
            canceled.write(folder.root(), runs.masker());
            return canceled;
        }
        if (record.status() != JobRecord.State.Running || runs.get(folder) != null) {
            return record;
        }
        InspectContainerResponse inspect;
        try {
            inspect = client.inspectContainerCmd(container(record)).exec();
        } catch (NotFoundException e) {
            JobRecord lost = record.to(JobRecord.State.Failed, null, "The kernel that ran this job stopped before the"
                    + " job ended, and its container is gone; the log may be incomplete.")
                    .withTimes(null, lastWrite(folder.log()));
            lost.write(folder.root(), runs.masker());
            return lost;
        }
        var state = inspect.getState();
        if (Boolean.TRUE.equals(state.getRunning())) {
            if (record.kernelAlive()) {
                return record;
            }
            Containers.stopQuietly(client, container(record), STOP_SECONDS);
            Containers.removeQuietly(client, container(record));
            JobRecord canceled = record.to(JobRecord.State.Canceled, null, "Canceled: the kernel that ran this job ("
                    + record.kernel() + ") ended without stopping it; stopped by this kernel. The log has what the"
                    + " job wrote while that kernel ran.");
            canceled.write(folder.root(), runs.masker());
            return canceled;
        }
        Long code = state.getExitCodeLong();
        int status = code == null ? -1 : code.intValue();
        JobRecord ended = record.to(status == 0 ? JobRecord.State.Completed : JobRecord.State.Failed, status,
                status == 0 ? null : "The command exited with status " + status + " (the kernel that ran it stopped"
                        + " first; the log may be incomplete).")
                .withTimes(engineTime(state.getStartedAt()), engineTime(state.getFinishedAt()));
        ended.write(folder.root(), runs.masker());
        Containers.removeQuietly(client, container(record));
        return ended;
    }

    /** The engine's RFC 3339 time (nanoseconds) as a record's, or null when it has none ({@code 0001-01-01…}). */
    static String engineTime(String time) {
        if (time == null || time.startsWith("0001-")) {
            return null;
        }
        try {
            return java.time.Instant.parse(time).truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString();
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    private static String lastWrite(Path log) {
        try {
            return Files.getLastModifiedTime(log).toInstant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS)
                    .toString();
        } catch (IOException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- follow

    /** What interrupting {@link #follow} does: cancel the job (the cell submitted it) or only stop following. */
    enum OnInterrupt { CANCEL_JOB, STOP_FOLLOWING }

    /**
     * Prints the saved log, then what the job writes, until it ends; returns its final record, or the current
     * one when the person interrupted with {@link OnInterrupt#STOP_FOLLOWING}.
     */
    static JobRecord follow(RunFolder folder, LocalRuns runs, Notebook notebook, OnInterrupt onInterrupt)
            throws MagicException {
        Utf8 decoder = new Utf8();
        long offset = 0;
        boolean cancelRequested = false;
        while (true) {
            // Read whole even when the cell is interrupted: on an interrupted thread the file read would fail
            // (ClosedByInterruptException), and the cell would end "Interrupted." instead of with the job's end.
            JobRecord record = Cancellation.uninterruptibly(folder::record);
            offset = printNew(folder.log(), offset, decoder, notebook);
            if (record.status().terminal()) {
                // The watcher closes the log before it writes the final record: one last read has it all.
                printNew(folder.log(), offset, decoder, notebook);
                return record;
            }
            if (notebook.cancellation().isCancelled() || Thread.currentThread().isInterrupted()) {
                if (onInterrupt == OnInterrupt.STOP_FOLLOWING) {
                    notebook.out("\nStopped following " + record.name() + ", which is still " + record.status()
                            + "; %aml cancel " + record.name() + " stops it.\n");
                    throw MagicException.interrupted();
                }
                if (!cancelRequested) {
                    cancelRequested = true;
                    LocalRun run = runs.get(folder);
                    if (run != null) {
                        Thread canceller = new Thread(run::cancel, "drydock-aml-cancel");
                        canceller.setDaemon(true);
                        canceller.start();
                    }
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                // The kernel's interrupt: handled on the next pass like the cell's cancellation.
            }
        }
    }

    private static long printNew(Path log, long offset, Utf8 decoder, Notebook notebook) throws MagicException {
        // Read whole even when the cell is interrupted: the interrupt's next step is to cancel the job.
        return Cancellation.uninterruptibly(() -> readNew(log, offset, decoder, notebook));
    }

    private static long readNew(Path log, long offset, Utf8 decoder, Notebook notebook) throws MagicException {
        if (!Files.isRegularFile(log)) {
            return offset;
        }
        try (FileChannel channel = FileChannel.open(log, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size <= offset) {
                return offset;
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(size - offset, 1 << 20));
            int read = channel.read(buffer, offset);
            String text = decoder.decode(buffer.array(), read);
            if (!text.isEmpty()) {
                notebook.out(text);
            }
            return offset + read;
        } catch (IOException e) {
            throw MagicException.failed("Cannot read " + log + ": " + e.getMessage());
        }
    }

    /** The last lines of the log, for a Failed job's error. */
    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            if (lines.isEmpty()) {
                return "";
            }
            List<String> last = lines.subList(Math.max(0, lines.size() - ERROR_TAIL_LINES), lines.size());
            return " Last lines of " + log.getFileName() + ":\n  " + String.join("\n  ", last);
        } catch (IOException e) {
            return "";
        }
    }

    // ---------------------------------------------------------------- engine helpers

    /** {@code 8g}, {@code 512m}, {@code 2GB}: powers of 1024, as the docker CLI reads sizes. */
    static long bytes(String size) throws MagicException {
        var matcher = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]?)i?b?", java.util.regex.Pattern.CASE_INSENSITIVE)
                .matcher(size.strip());
        if (!matcher.matches()) {
            throw MagicException.failed("Bad resources.shm_size " + size + ": write a size such as 2g or 512m.");
        }
        int power = "kmgt".indexOf(matcher.group(2).toLowerCase()) + 1;
        return (long) (Double.parseDouble(matcher.group(1)) * Math.pow(1024, power));
    }

    // ---------------------------------------------------------------- the log

    /** The container's stdout and stderr into {@code std_log.txt}, masked, as they arrive. */
    private static final class LogFile extends ResultCallback.Adapter<Frame> {
        private final OutputStream out;
        // One stream for the file: a secret split over two frames is masked whole.
        private final SecretMasker.Stream masker;
        private final Utf8 stdout = new Utf8();
        private final Utf8 stderr = new Utf8();

        LogFile(Path file, SecretMasker masker) throws IOException {
            this.out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            this.masker = masker.stream();
        }

        @Override
        public void onNext(Frame frame) {
            Utf8 decoder = frame.getStreamType() == com.github.dockerjava.api.model.StreamType.STDERR ? stderr : stdout;
            byte[] payload = frame.getPayload();
            String text = decoder.decode(payload, payload.length);
            if (text.isEmpty()) {
                return;
            }
            synchronized (out) {
                try {
                    out.write(masker.mask(text).getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } catch (IOException e) {
                    // A full disk loses log lines, not the job.
                }
            }
        }

        void awaitFrames(long timeout, TimeUnit unit) {
            try {
                awaitCompletion(timeout, unit);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                // The stream broke (the engine went away): the log has what came before, and the record must still end.
            }
        }

        void closeQuietly() {
            try {
                close();
            } catch (IOException ignored) {
                // The stream may be gone already.
            }
            synchronized (out) {
                try (out) {
                    out.write(masker.flush().getBytes(StandardCharsets.UTF_8));
                } catch (IOException ignored) {
                    // Nothing more to write.
                }
            }
        }
    }
}

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
import dev.drydock.magics.container.ContainerRequest;
import dev.drydock.magics.container.Containers;
import dev.drydock.magics.container.HostUser;
import dev.drydock.magics.docker.EngineErrors;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
    /** The label that ties a container to its job; its value is the job's name. */
    static final String LABEL_JOB = "dev.drydock.aml.job";
    private static final int STOP_SECONDS = 2;
    private static final int ERROR_TAIL_LINES = 10;

    /** The jobs this kernel is watching, by run folder: what {@code %aml cancel} stops and marks Canceled. */
    private static final Map<Path, LocalRun> RUNNING = new ConcurrentHashMap<>();

    /**
     * What the container gets.
     *
     * @param inputs input name → what replaced {@code ${{inputs.name}}}: a container path, or the literal value
     * @param outputs output name → its folder inside the container
     */
    record Plan(String command, Map<String, String> inputs, Map<String, String> outputs, List<Bind> binds,
            Map<String, String> environment) {}

    private final DockerClient client;
    private final RunFolder folder;
    private final String container;
    private final Duration timeout;
    private final LogFile log;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile boolean canceled;
    private volatile JobRecord record;

    private LocalRun(DockerClient client, RunFolder folder, String container, Duration timeout, LogFile log,
            JobRecord record) {
        this.client = client;
        this.folder = folder;
        this.container = container;
        this.timeout = timeout;
        this.log = log;
        this.record = record;
    }

    // ---------------------------------------------------------------- plan

    /**
     * Mounts and the command for {@code spec}: code read-only at {@value #CODE_DIR} (the working folder), each
     * {@code uri_file}/{@code uri_folder} input read-only under {@value #INPUTS_DIR}, the outputs root of the run
     * folder read-write at {@value #OUTPUTS_DIR} with one folder per output. Fails, before anything runs, when
     * an input is not on this machine.
     */
    static Plan plan(JobSpec spec, RunFolder folder, String name) throws MagicException {
        Map<String, String> inputs = new LinkedHashMap<>();
        List<Bind> binds = new ArrayList<>();
        binds.add(new Bind(folder.code().toString(), new Volume(CODE_DIR), AccessMode.ro));
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

        Map<String, String> environment = new LinkedHashMap<>(spec.environmentVariables());
        environment.put("DRYDOCK_JOB_NAME", name);
        environment.put("DRYDOCK_OUTPUTS", OUTPUTS_DIR);
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

    /** Creates and starts the container, attached to the log file; a thread records how it ends. */
    static LocalRun start(DockerClient client, Session session, HostUser user, JobSpec spec, RunFolder folder,
            JobRecord record, String image, Plan plan) throws MagicException {
        String name = record.name();
        HostConfig host = HostConfig.newHostConfig().withBinds(plan.binds());
        if (spec.resources().shmSize() != null) {
            host.withShmSize(bytes(spec.resources().shmSize()));
        }
        List<String> env = new ArrayList<>();
        plan.environment().forEach((key, value) -> env.add(key + "=" + value));
        CreateContainerCmd create = client.createContainerCmd(image)
                .withName(containerName(name))
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
        LocalRun run = new LocalRun(client, folder, id, spec.timeout(), log,
                record.withContainer(id, plan.command(), plan.inputs()));
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
            Containers.removeQuietly(client, id);
            throw MagicException.interrupted();
        } catch (RuntimeException | MagicException e) {
            // Any failure, including docker-java's on a thread the kernel interrupted: no container outlives it.
            log.closeQuietly();
            Containers.removeQuietly(client, id);
            throw e instanceof MagicException m ? m : MagicException.failed("The container of job " + name
                    + " did not start: " + e.getMessage());
        }
        run.record = run.record.to(JobRecord.State.Running, null, null);
        run.record.write(folder.root());
        RUNNING.put(folder.root(), run);
        Thread monitor = new Thread(run::monitor, "drydock-aml-" + name);
        monitor.setDaemon(true);
        monitor.start();
        return run;
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
        JobRecord.State state = canceled ? JobRecord.State.Canceled
                : error == null && status != null && status == 0 ? JobRecord.State.Completed : JobRecord.State.Failed;
        if (state == JobRecord.State.Failed && error == null) {
            error = "The command exited with status " + status + (status != null && status == 137
                    ? " (killed: out of memory, or stopped)" : "") + "." + tail(folder.log());
        }
        if (state == JobRecord.State.Canceled) {
            error = "Canceled.";
        }
        // Before the final record: whoever sees the job ended (%aml submit --stream follows the record) must
        // find nothing of it left on the engine.
        Containers.removeQuietly(client, container);
        try {
            record = record.to(state, status, error);
            record.write(folder.root());
        } catch (MagicException | RuntimeException e) {
            // Nothing to tell: the cell may be gone; %aml status reconciles from the engine.
        } finally {
            RUNNING.remove(folder.root());
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
        canceled = true;
        Containers.stopQuietly(client, container, STOP_SECONDS);
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

    static LocalRun running(RunFolder folder) {
        return RUNNING.get(folder.root());
    }

    // ---------------------------------------------------------------- cancel and reconcile without the watcher

    /**
     * Cancels a job: through its watcher when this kernel runs it, else by stopping its container and
     * recording Canceled here. Returns the record after.
     */
    static JobRecord cancel(RunFolder folder, DockerClient client) throws MagicException {
        LocalRun run = running(folder);
        if (run != null) {
            run.cancel();
            return folder.record();
        }
        JobRecord record = folder.record();
        if (record.status().terminal()) {
            return record;
        }
        Containers.stopQuietly(client, containerName(record.name()), STOP_SECONDS);
        Containers.removeQuietly(client, containerName(record.name()));
        JobRecord canceled = record.to(JobRecord.State.Canceled, null, "Canceled.");
        canceled.write(folder.root());
        return canceled;
    }

    /**
     * A Running record whose watcher is not in this kernel (the kernel restarted) is brought up to date from
     * the engine: a container that is gone or has exited ends the job.
     */
    static JobRecord reconcile(RunFolder folder, JobRecord record, DockerClient client) throws MagicException {
        if (record.status() != JobRecord.State.Running || running(folder) != null) {
            return record;
        }
        InspectContainerResponse inspect;
        try {
            inspect = client.inspectContainerCmd(containerName(record.name())).exec();
        } catch (NotFoundException e) {
            JobRecord lost = record.to(JobRecord.State.Failed, null, "The kernel that ran this job stopped before the"
                    + " job ended, and its container is gone; the log may be incomplete.");
            lost.write(folder.root());
            return lost;
        }
        if (Boolean.TRUE.equals(inspect.getState().getRunning())) {
            return record;
        }
        Long code = inspect.getState().getExitCodeLong();
        int status = code == null ? -1 : code.intValue();
        JobRecord ended = record.to(status == 0 ? JobRecord.State.Completed : JobRecord.State.Failed, status,
                status == 0 ? null : "The command exited with status " + status + " (the kernel that ran it stopped"
                        + " first; the log may be incomplete).");
        ended.write(folder.root());
        Containers.removeQuietly(client, containerName(record.name()));
        return ended;
    }

    // ---------------------------------------------------------------- follow

    /** What interrupting {@link #follow} does: cancel the job (the cell submitted it) or only stop following. */
    enum OnInterrupt { CANCEL_JOB, STOP_FOLLOWING }

    /**
     * Prints the saved log, then what the job writes, until it ends; returns its final record, or the current
     * one when the person interrupted with {@link OnInterrupt#STOP_FOLLOWING}.
     */
    static JobRecord follow(RunFolder folder, Notebook notebook, OnInterrupt onInterrupt) throws MagicException {
        Utf8 decoder = new Utf8();
        long offset = 0;
        boolean cancelRequested = false;
        while (true) {
            JobRecord record = folder.record();
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
                    LocalRun run = running(folder);
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
        private final SecretMasker masker;
        private final Utf8 stdout = new Utf8();
        private final Utf8 stderr = new Utf8();

        LogFile(Path file, SecretMasker masker) throws IOException {
            this.out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            this.masker = masker;
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
            }
        }

        void closeQuietly() {
            try {
                close();
            } catch (IOException ignored) {
                // The stream may be gone already.
            }
            synchronized (out) {
                try {
                    out.close();
                } catch (IOException ignored) {
                    // Nothing more to write.
                }
            }
        }
    }

    /** UTF-8 across chunk boundaries: a chunk may end inside a character. */
    static final class Utf8 {
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        private ByteBuffer pending = ByteBuffer.allocate(0);

        synchronized String decode(byte[] bytes, int length) {
            ByteBuffer input = ByteBuffer.allocate(pending.remaining() + length);
            input.put(pending).put(bytes, 0, length).flip();
            CharBuffer chars = CharBuffer.allocate(input.remaining());
            decoder.decode(input, chars, false);
            pending = input.slice();
            return chars.flip().toString();
        }
    }
}

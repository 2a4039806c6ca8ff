package dev.drydock.magics.aml;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.SecretMasker;
import dev.drydock.magics.files.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code runs/<job>/job.json}: what a local job is and where it stands. Written atomically at every change
 * of state, so {@code %aml ls} in another kernel never reads half a file. States and their names are Azure
 * ML's ({@code JobStatus}), a subset: {@code NotStarted → Running → Completed | Failed | Canceled}, and
 * {@code NotStarted → Failed | Canceled} when the environment does not build or the person interrupts.
 *
 * @param outputs output name → folder on this machine
 * @param inputs input name → what the command got (the container path or the literal value)
 * @param kernel the kernel that watches the job, {@code pid@host}: another kernel leaves a Running job alone while
 *     that process lives, and ends the record once it is gone
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobRecord(String name, String displayName, String experimentName, String compute, State status,
        String createdAt, String startedAt, String endedAt, Integer exitCode, String error, String environment,
        String image, Boolean environmentBuilt, String container, String command, Map<String, String> inputs,
        Map<String, String> outputs, Map<String, String> tags, String kernel) {

    public static final String FILE = "job.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** This kernel, as a record names the kernel that submitted and watches its job. */
    public static final String THIS_KERNEL = ProcessHandle.current().pid() + "@" + host();

    public enum State {
        NotStarted, Running, Completed, Failed, Canceled;

        public boolean terminal() {
            return this == Completed || this == Failed || this == Canceled;
        }

        boolean canBecome(State next) {
            return switch (this) {
                case NotStarted -> Set.of(Running, Failed, Canceled).contains(next);
                case Running -> next.terminal();
                default -> false;
            };
        }
    }

    public JobRecord {
        inputs = inputs == null ? Map.of() : new LinkedHashMap<>(inputs);
        outputs = outputs == null ? Map.of() : new LinkedHashMap<>(outputs);
        tags = tags == null ? Map.of() : new LinkedHashMap<>(tags);
    }

    /** A new job that has not started. */
    public static JobRecord created(JobSpec spec, String name, Map<String, String> outputs) {
        return new JobRecord(name, spec.displayName() == null ? name : spec.displayName(), spec.experimentName(),
                "local", State.NotStarted, now(), null, null, null, null, null, null, null, null, null, Map.of(), outputs,
                spec.tags(), THIS_KERNEL);
    }

    /**
     * The record in state {@code next}; the start time is set on Running, the end time on a final state.
     *
     * @throws IllegalStateException for a change the states above do not allow (a final state never changes)
     */
    public JobRecord to(State next, Integer exitCode, String error) {
        if (!status.canBecome(next)) {
            throw new IllegalStateException("A job that is " + status + " cannot become " + next);
        }
        String started = next == State.Running ? now() : startedAt;
        String ended = next.terminal() ? now() : endedAt;
        return new JobRecord(name, displayName, experimentName, compute, next, createdAt, started, ended, exitCode,
                error, environment, image, environmentBuilt, container, command, inputs, outputs, tags, kernel);
    }

    /** The same record with the times the engine saw ({@code null} keeps one), for a job no watcher saw end. */
    public JobRecord withTimes(String started, String ended) {
        return new JobRecord(name, displayName, experimentName, compute, status, createdAt,
                started == null ? startedAt : started, ended == null ? endedAt : ended, exitCode, error, environment,
                image, environmentBuilt, container, command, inputs, outputs, tags, kernel);
    }

    public JobRecord withEnvironment(String environment, String image, boolean built) {
        return new JobRecord(name, displayName, experimentName, compute, status, createdAt, startedAt, endedAt, exitCode,
                error, environment, image, built, container, command, inputs, outputs, tags, kernel);
    }

    public JobRecord withContainer(String container, String command, Map<String, String> inputs, String kernel) {
        return new JobRecord(name, displayName, experimentName, compute, status, createdAt, startedAt, endedAt, exitCode,
                error, environment, image, environmentBuilt, container, command, inputs, outputs, tags, kernel);
    }

    /**
     * Writes {@code runs/<job>/job.json} with every secret the session knows masked, as every record Drydock writes:
     * a command, an input or an error can carry a value from {@code .env}. Masked field by field, before the JSON
     * escapes a value (a secret holding a quote or a backslash would no longer match in the escaped text).
     */
    public void write(Path runFolder, SecretMasker masker) throws MagicException {
        try {
            AtomicFiles.write(runFolder.resolve(FILE), JSON.writeValueAsBytes(masked(JSON.valueToTree(this), masker)),
                    false, null);
        } catch (IOException e) {
            throw MagicException.failed("Cannot write " + runFolder.resolve(FILE) + ": " + e.getMessage());
        }
    }

    private static JsonNode masked(JsonNode node, SecretMasker masker) {
        if (node instanceof ObjectNode object) {
            object.properties().forEach(field -> field.setValue(masked(field.getValue(), masker)));
            return object;
        }
        return node.isTextual() ? TextNode.valueOf(masker.mask(node.asText())) : node;
    }

    public static JobRecord read(Path runFolder) throws MagicException {
        Path file = runFolder.resolve(FILE);
        try {
            return JSON.readValue(Files.readAllBytes(file), JobRecord.class);
        } catch (NoSuchFileException e) {
            throw MagicException.failed("No local job in " + runFolder + " (" + FILE + " is missing).");
        } catch (IOException e) {
            throw MagicException.failed("Cannot read " + file + ": " + e.getMessage());
        }
    }

    private static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /**
     * Whether the kernel this record names still runs: same host, that pid alive and started before the job was
     * created (a reused pid is another process). Unknown kernels (older records, other hosts) count as alive:
     * only a kernel known to be gone lets another end its job.
     */
    public boolean kernelAlive() {
        if (kernel == null || !kernel.contains("@")) {
            return true;
        }
        String pid = kernel.substring(0, kernel.indexOf('@'));
        if (!kernel.substring(kernel.indexOf('@') + 1).equals(host()) || !pid.matches("\\d+")) {
            return true;
        }
        var process = ProcessHandle.of(Long.parseLong(pid)).filter(ProcessHandle::isAlive);
        if (process.isEmpty()) {
            return false;
        }
        var started = process.get().info().startInstant();
        return started.isEmpty() || !started.get().isAfter(Instant.parse(createdAt));
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
    }
}

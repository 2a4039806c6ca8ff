package dev.drydock.magics.aml;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * An Azure ML CLI v2 command job, as {@link JobYaml} read and checked it. {@code tree} is the document after
 * {@code --set} and {@code --name}, which the snapshot keeps and the REST mapping reads; the typed fields are
 * what a local run needs. Relative paths in the YAML resolve against {@code folder}, the YAML file's folder,
 * as {@code az ml} resolves them.
 *
 * @param code the {@code code:} value as written (a local folder or an {@code azureml:} asset), or null
 * @param compute the {@code compute:} value as written, or null
 * @param timeout {@code limits.timeout}, or null
 */
public record JobSpec(Path file, Path folder, ObjectNode tree, String name, String displayName, String experimentName,
        String description, Map<String, String> tags, String command, String code, Environment environment,
        Map<String, Input> inputs, Map<String, Output> outputs, String compute, Resources resources,
        Distribution distribution, Map<String, String> environmentVariables, Duration timeout) {

    public JobSpec {
        tags = new LinkedHashMap<>(tags);
        inputs = new LinkedHashMap<>(inputs);
        outputs = new LinkedHashMap<>(outputs);
        environmentVariables = new LinkedHashMap<>(environmentVariables);
    }

    /** True when {@code compute:} asks for Drydock's local run, or says nothing. */
    public boolean localCompute() {
        return compute == null || compute.equals("local");
    }

    /** The code folder on this machine, when {@code code:} names a local one. */
    public Optional<Path> codeFolder() {
        if (code == null || code.startsWith("azureml:") || JobSpec.hasScheme(code)) {
            return Optional.empty();
        }
        return Optional.of(folder.resolve(stripFileScheme(code)).normalize());
    }

    /** {@code file:./data} and {@code file:///abs} are local paths; any other {@code scheme:} is not. */
    static boolean hasScheme(String path) {
        return path.matches("^[a-zA-Z][a-zA-Z0-9+.-]+:.*") && !path.startsWith("file:");
    }

    static String stripFileScheme(String path) {
        if (path.startsWith("file://")) {
            return path.substring("file://".length());
        }
        return path.startsWith("file:") ? path.substring("file:".length()) : path;
    }

    /** Where a job's environment comes from. */
    public sealed interface Environment permits Image, DrydockEnv, Registered, Inline {}

    /** {@code environment: docker.io/library/python:3.11} or {@code environment: {image: ...}}: used as it is. */
    public record Image(String image) implements Environment {}

    /**
     * {@code environment: train}: a bare name (no {@code :}, {@code /} or {@code @}) is a Drydock environment,
     * defined in {@code environments.yml} beside the notebook or by its last {@code %env build}.
     */
    public record DrydockEnv(String name) implements Environment {}

    /** {@code azureml:NAME:VERSION} or {@code azureml:NAME@LABEL}: a workspace asset; exactly one of version, label. */
    public record Registered(String name, String version, String label) implements Environment {}

    /**
     * An inline environment: an image with a conda file on top, or a Docker build context.
     *
     * @param name the inline {@code name:}, which names the image Drydock builds; may be null
     */
    public record Inline(String name, String image, Path condaFile, Path buildPath, String dockerfilePath)
            implements Environment {}

    /** An input: a literal value substituted into the command, or data mounted into the job. */
    public sealed interface Input permits Literal, Data {}

    /** A literal, stringified as the Azure ML SDK does (Python's {@code str}: booleans are {@code True}/{@code False}). */
    public record Literal(String value) implements Input {}

    /** {@code {type: uri_file|uri_folder|..., path: ..., mode: ...}}; {@code path} as written. */
    public record Data(String type, String path, String mode) implements Input {

        /** The file or folder on this machine, when {@code path} is local. */
        public Optional<Path> localPath(Path folder) {
            return hasScheme(path) || path.startsWith("azureml:") ? Optional.empty()
                    : Optional.of(folder.resolve(stripFileScheme(path)).normalize());
        }
    }

    /** An output folder or file; type defaults to {@code uri_folder}. */
    public record Output(String type, String mode, String path) {}

    /** {@code resources:}; {@code instanceCount} defaults to 1. */
    public record Resources(int instanceCount, String instanceType, String shmSize, String dockerArgs) {
        static final Resources DEFAULT = new Resources(1, null, null, null);
    }

    /**
     * {@code distribution:}; the counts that do not belong to {@code type} are null.
     *
     * @param type {@code pytorch}, {@code mpi} or {@code tensorflow}
     */
    public record Distribution(String type, Integer processCountPerInstance, Integer workerCount,
            Integer parameterServerCount) {}
}

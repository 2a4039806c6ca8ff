package dev.drydock.magics.aml;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A command job to submit to a workspace: the CLI v2 job YAML after parsing and validation (the YAML
 * model is {@code JobSpec}'s business; this is what the REST client needs of it). Names follow the YAML;
 * {@link AmlRemote} maps them to the REST body as {@code az ml} does.
 *
 * @param name the job name (path of {@code PUT jobs/{name}})
 * @param command the command, {@code ${{inputs.x}}} and {@code ${{outputs.y}}} verbatim
 * @param code the snapshot's code folder to upload as a code asset; empty for a job without code
 * @param environment the environment to create or reuse
 * @param inputs inputs by name
 * @param outputs outputs by name
 * @param compute a compute name ({@code azureml:} prefix allowed) or an ARM id; empty for serverless
 * @param resources instance count and type, empty when the YAML has none
 * @param distribution pytorch, mpi or tensorflow; empty for a single process
 * @param environmentVariables the job's {@code environment_variables}
 * @param experimentName the experiment, empty for the service's default
 * @param displayName the display name, empty for the name
 * @param description the description, empty for none
 * @param tags the job's tags
 * @param more CommandJob properties already in their REST form, by REST name: {@code limits}, {@code identity},
 *     {@code queueSettings}, {@code services}, {@code properties} (mapped by {@code RemoteJobs} as {@code az ml} maps
 *     the YAML's keys)
 */
public record AmlRemoteRequest(String name, String command, Optional<Path> code, Environment environment,
        Map<String, Input> inputs, Map<String, Output> outputs, Optional<String> compute, Optional<Resources> resources,
        Optional<Distribution> distribution, Map<String, String> environmentVariables, Optional<String> experimentName,
        Optional<String> displayName, Optional<String> description, Map<String, String> tags,
        Map<String, JsonNode> more) {

    /** A job without the keys of {@code more}. */
    public AmlRemoteRequest(String name, String command, Optional<Path> code, Environment environment,
            Map<String, Input> inputs, Map<String, Output> outputs, Optional<String> compute,
            Optional<Resources> resources, Optional<Distribution> distribution, Map<String, String> environmentVariables,
            Optional<String> experimentName, Optional<String> displayName, Optional<String> description,
            Map<String, String> tags) {
        this(name, command, code, environment, inputs, outputs, compute, resources, distribution, environmentVariables,
                experimentName, displayName, description, tags, Map.of());
    }

    public AmlRemoteRequest {
        more = Map.copyOf(more);
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(environment, "environment");
        inputs = Map.copyOf(inputs);
        outputs = Map.copyOf(outputs);
        environmentVariables = Map.copyOf(environmentVariables);
        tags = Map.copyOf(tags);
    }

    /** Where the job's environment comes from. */
    public sealed interface Environment {
        /** A registered version, {@code azureml:NAME:VERSION}. */
        record Registered(String name, String version) implements Environment {}

        /** A registered environment's newest version, {@code azureml:NAME@latest}, resolved as {@code az ml} does. */
        record Latest(String name) implements Environment {}

        /**
         * An image, optionally with a conda file the service builds on top of it (YAML {@code image} and
         * {@code conda_file}). Registered as an anonymous version named after its content.
         */
        record Image(String image, Optional<String> condaFile) implements Environment {}

        /**
         * A Docker build context folder (YAML {@code build.path}, {@code build.dockerfile_path}); uploaded
         * and registered as an anonymous version named after its content.
         */
        record Build(Path context, String dockerfilePath) implements Environment {}
    }

    /**
     * A job input.
     *
     * @param type {@code literal}, {@code uri_file}, {@code uri_folder}, {@code mltable}, {@code custom_model},
     *     {@code mlflow_model} or {@code triton_model}
     * @param value the literal value, or the path: an {@code azureml://}, {@code https://} or {@code wasbs://}
     *     URI, an {@code azureml:NAME:VERSION} asset, or a local file or folder (absolute), which is uploaded
     * @param mode the YAML mode ({@code ro_mount}, {@code rw_mount}, {@code download}, {@code direct},
     *     {@code eval_mount}, {@code eval_download}); empty for the service's default
     */
    public record Input(String type, String value, Optional<String> mode) {
        public static Input literal(String value) {
            return new Input("literal", value, Optional.empty());
        }
    }

    /**
     * A job output.
     *
     * @param type {@code uri_folder}, {@code uri_file}, {@code mltable}, {@code custom_model}, {@code mlflow_model}
     *     or {@code triton_model}
     * @param path where to write it ({@code azureml://} URI), empty for the service's default
     * @param mode {@code rw_mount}, {@code upload} or {@code direct}; empty for the default
     */
    public record Output(String type, Optional<String> path, Optional<String> mode) {}

    /**
     * YAML {@code resources}: {@code instance_count}, {@code instance_type}, {@code shm_size}, {@code docker_args}
     * and {@code properties}.
     */
    public record Resources(Optional<Integer> instanceCount, Optional<String> instanceType, Optional<String> shmSize,
            Optional<String> dockerArgs, Map<String, Object> properties) {

        public Resources {
            properties = Map.copyOf(properties);
        }

        public Resources(Optional<Integer> instanceCount, Optional<String> instanceType, Optional<String> shmSize) {
            this(instanceCount, instanceType, shmSize, Optional.empty(), Map.of());
        }
    }

    /**
     * YAML {@code distribution}.
     *
     * @param type {@code pytorch}, {@code mpi} or {@code tensorflow}
     * @param processCountPerInstance processes per node (pytorch, mpi)
     * @param workerCount workers (tensorflow)
     * @param parameterServerCount parameter servers (tensorflow)
     */
    public record Distribution(String type, Optional<Integer> processCountPerInstance, Optional<Integer> workerCount,
            Optional<Integer> parameterServerCount) {}
}

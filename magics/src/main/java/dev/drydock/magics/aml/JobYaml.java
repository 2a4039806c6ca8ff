package dev.drydock.magics.aml;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.EditDistance;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads an Azure ML CLI v2 command-job YAML. The official JSON schemas are not published anywhere we can
 * reach, so the known keys of each level are written out here from the CLI v2 reference
 * ({@code reference-yaml-job-command}, {@code reference-yaml-environment}); an unknown key is an error that
 * names the file, the line, the key and the nearest valid key, as {@code az ml} reports schema errors.
 */
public final class JobYaml {

    static final YAMLMapper YAML = YAMLMapper.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build();

    static final Set<String> TOP = Set.of("$schema", "type", "name", "display_name", "experiment_name", "description",
            "tags", "properties", "command", "code", "environment", "environment_variables", "distribution",
            "resources", "limits", "inputs", "outputs", "identity", "compute", "queue_settings", "services");
    static final Set<String> ENVIRONMENT = Set.of("name", "version", "description", "tags", "image", "conda_file",
            "build", "os_type", "inference_config", "datastore");
    static final Set<String> BUILD = Set.of("path", "dockerfile_path");
    static final Set<String> INPUT = Set.of("type", "path", "mode", "description");
    static final Set<String> OUTPUT = Set.of("type", "mode", "path", "name", "version", "description");
    static final Set<String> RESOURCES = Set.of("instance_count", "instance_type", "shm_size", "docker_args",
            "properties", "locations");
    static final Set<String> LIMITS = Set.of("timeout");
    static final Set<String> IDENTITY = Set.of("type", "client_id", "object_id", "resource_id");
    static final Set<String> QUEUE_SETTINGS = Set.of("job_tier", "priority");
    static final Set<String> SERVICE = Set.of("type", "port", "nodes", "properties", "ssh_public_keys");
    static final Map<String, Set<String>> DISTRIBUTION = Map.of(
            "pytorch", Set.of("type", "process_count_per_instance"),
            "mpi", Set.of("type", "process_count_per_instance"),
            "tensorflow", Set.of("type", "worker_count", "parameter_server_count"));

    static final Set<String> INPUT_TYPES = Set.of("uri_file", "uri_folder", "mltable", "mlflow_model", "custom_model",
            "triton_model");
    static final Set<String> INPUT_MODES = Set.of("ro_mount", "rw_mount", "download", "direct", "eval_mount",
            "eval_download");
    static final Set<String> OUTPUT_MODES = Set.of("rw_mount", "upload", "direct");

    /** Input and output names, as the SDK checks them. */
    static final Pattern IO_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    /** A job name, as the REST path takes it. */
    static final Pattern JOB_NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_-]{0,254}");
    /** {@code ${{inputs.x}}} and {@code ${{outputs.y}}}, with the blanks the CLI tolerates. */
    static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{\\{\\s*(inputs|outputs)\\.([\\w.-]+)\\s*}}");

    private final Path file;
    private final Map<String, Integer> lines;
    private final Map<String, String> setBy = new HashMap<>();

    private JobYaml(Path file, Map<String, Integer> lines) {
        this.file = file;
        this.lines = lines;
    }

    /**
     * A reader for another CLI v2 YAML of the same conventions (an online deployment's), whose errors name
     * {@code file}'s lines as a job's do.
     */
    static JobYaml reader(Path file, String text) {
        return new JobYaml(file, keyLines(text));
    }

    /** An {@code environment:} value of such a YAML, checked and read as a job's. */
    JobSpec.Environment environmentAt(JsonNode node, Path folder) throws MagicException {
        if (node.isObject()) {
            keys(node, "/environment", ENVIRONMENT);
            JsonNode build = node.get("build");
            if (build != null && build.isObject()) {
                keys(build, "/environment/build", BUILD);
            }
        }
        return environment(node, folder);
    }

    /**
     * Reads {@code file}, applies the {@code --set PATH=VALUE} overrides and the {@code --name}, and checks the
     * result.
     */
    public static JobSpec read(Path file, List<String> sets, String name) throws MagicException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw MagicException.failed("The job file " + file + " does not exist.");
        } catch (IOException e) {
            throw MagicException.failed("Cannot read the job file " + file + ": " + e.getMessage());
        }
        return parse(file, text, sets, name);
    }

    /** As {@link #read}, from text already read; {@code file} names it in errors and anchors relative paths. */
    public static JobSpec parse(Path file, String text, List<String> sets, String name) throws MagicException {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JsonProcessingException e) {
            String line = e.getLocation() == null ? "" : ", line " + e.getLocation().getLineNr();
            throw MagicException.failed(file + line + ": not valid YAML: " + e.getOriginalMessage().lines().findFirst()
                    .orElse(""));
        }
        if (root == null || !root.isObject()) {
            throw MagicException.failed(file + " is not a command job: expected a YAML map with at least `command:`"
                    + " and `environment:`.");
        }
        JobYaml reader = new JobYaml(file, keyLines(text));
        ObjectNode tree = (ObjectNode) root;
        for (String set : sets) {
            reader.set(tree, set);
        }
        if (name != null) {
            tree.put("name", name);
            reader.setBy.put("/name", "--name");
        }
        reader.checkKeys(tree);
        return reader.spec(tree);
    }

    // ---------------------------------------------------------------- --set

    /** {@code --set inputs.lr=0.1}: the dotted path is created as needed; the value is read as YAML. */
    void set(ObjectNode tree, String assignment) throws MagicException {
        int eq = assignment.indexOf('=');
        if (eq <= 0) {
            throw MagicException.usage("Bad --set " + assignment + ": write PATH=VALUE, such as --set inputs.lr=0.01"
                    + " or --set environment_variables.SEED=1.");
        }
        String path = assignment.substring(0, eq).strip();
        String raw = assignment.substring(eq + 1);
        JsonNode value;
        try {
            value = raw.isBlank() ? JsonNodeFactory.instance.textNode(raw) : YAML.readTree(raw);
        } catch (JsonProcessingException e) {
            value = JsonNodeFactory.instance.textNode(raw);
        }
        if (value == null || value.isMissingNode()) {
            value = JsonNodeFactory.instance.textNode(raw);
        }
        String[] parts = path.split("\\.", -1);
        ObjectNode node = tree;
        StringBuilder pointer = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isEmpty()) {
                throw MagicException.usage("Bad --set " + assignment + ": the path has an empty part.");
            }
            pointer.append('/').append(parts[i]);
            if (i == parts.length - 1) {
                node.set(parts[i], value);
                break;
            }
            JsonNode child = node.get(parts[i]);
            if (child == null || child.isNull()) {
                child = node.putObject(parts[i]);
                setBy.put(pointer.toString(), "--set " + path);
            } else if (!child.isObject()) {
                throw MagicException.usage("Bad --set " + assignment + ": " + String.join(".", List.of(parts).subList(0, i + 1))
                        + " is " + describe(child) + " in " + file + ", not a map, so it has no " + parts[i + 1] + ".");
            }
            node = (ObjectNode) child;
        }
        setBy.put(pointer.toString(), "--set " + path);
    }

    // ---------------------------------------------------------------- keys

    private void checkKeys(ObjectNode tree) throws MagicException {
        keys(tree, "", TOP);
        JsonNode environment = tree.get("environment");
        if (environment != null && environment.isObject()) {
            keys(environment, "/environment", ENVIRONMENT);
            JsonNode build = environment.get("build");
            if (build != null && build.isObject()) {
                keys(build, "/environment/build", BUILD);
            }
        }
        for (String map : List.of("inputs", "outputs", "services")) {
            JsonNode entries = tree.get(map);
            if (entries == null || entries.isNull()) {
                continue;
            }
            requireMap(entries, "/" + map);
            for (var entry : entries.properties()) {
                if (entry.getValue().isObject()) {
                    keys(entry.getValue(), "/" + map + "/" + entry.getKey(),
                            map.equals("inputs") ? INPUT : map.equals("outputs") ? OUTPUT : SERVICE);
                }
            }
        }
        Map<String, Set<String>> nested = Map.of("resources", RESOURCES, "limits", LIMITS, "identity", IDENTITY,
                "queue_settings", QUEUE_SETTINGS);
        for (var entry : nested.entrySet()) {
            JsonNode node = tree.get(entry.getKey());
            if (node != null && !node.isNull()) {
                requireMap(node, "/" + entry.getKey());
                keys(node, "/" + entry.getKey(), entry.getValue());
            }
        }
        JsonNode distribution = tree.get("distribution");
        if (distribution != null && !distribution.isNull()) {
            requireMap(distribution, "/distribution");
            String type = distribution.path("type").asText("");
            Set<String> known = DISTRIBUTION.get(type);
            if (known == null) {
                throw error("/distribution/type", "distribution type `" + type + "` is not one of "
                        + new TreeSet<>(DISTRIBUTION.keySet()) + end(nearest(type, DISTRIBUTION.keySet())));
            }
            keys(distribution, "/distribution", known);
        }
    }

    void keys(JsonNode node, String pointer, Set<String> known) throws MagicException {
        for (var entry : node.properties()) {
            String key = entry.getKey();
            if (!known.contains(key)) {
                String hint = nearest(key, known);
                throw error(pointer + "/" + key, "unknown key `" + key + "`" + (pointer.isEmpty() ? "" : " under `"
                        + pointer.substring(1).replace('/', '.') + "`") + end(hint) + " Valid keys here: "
                        + String.join(", ", new TreeSet<>(known)) + ".");
            }
        }
    }

    void requireMap(JsonNode node, String pointer) throws MagicException {
        if (!node.isObject()) {
            throw error(pointer, "`" + pointer.substring(1).replace('/', '.') + "` must be a map, not " + describe(node)
                    + ".");
        }
    }

    /** "; did you mean `x`?" for the closest of {@code known}, or nothing when none is close. */
    static String nearest(String typed, Set<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : new TreeSet<>(known)) {
            int distance = EditDistance.between(typed.toLowerCase(), candidate);
            if (distance < bestDistance) {
                bestDistance = distance;
                best = candidate;
            }
        }
        boolean close = best != null && (bestDistance <= Math.max(2, typed.length() / 3) || best.startsWith(typed)
                || typed.startsWith(best));
        return close ? "; did you mean `" + best + "`?" : "";
    }

    private static String end(String hint) {
        return hint.isEmpty() ? "." : hint;
    }

    // ---------------------------------------------------------------- typed

    private JobSpec spec(ObjectNode tree) throws MagicException {
        String type = text(tree, "type", "command");
        if (!type.equals("command")) {
            throw error("/type", "`type: " + type + "` is not supported: %aml submit runs command jobs (type: command).");
        }
        String command = text(tree, "command", null);
        if (command == null || command.isBlank()) {
            throw error("", "the job has no `command:` (the shell command to run, such as"
                    + " python train.py --data ${{inputs.data}}).");
        }
        String name = text(tree, "name", null);
        if (name != null && !JOB_NAME.matcher(name).matches()) {
            throw error("/name", "bad job name `" + name + "`: letters, digits, _ and -, starting with a letter or"
                    + " digit, at most 255 characters.");
        }
        Path folder = file.toAbsolutePath().getParent();
        String experiment = text(tree, "experiment_name", null);
        if (experiment == null) {
            // The SDK's default is the submitting folder's name.
            experiment = folder.getFileName() == null ? "Default" : folder.getFileName().toString();
        }
        Map<String, JobSpec.Input> inputs = inputs(tree.get("inputs"));
        Map<String, JobSpec.Output> outputs = outputs(tree.get("outputs"));
        checkPlaceholders(command, inputs, outputs);
        if (tree.has("environment") && tree.get("environment").isNull() || !tree.has("environment")) {
            throw error("", "the job has no `environment:`: give an image (docker.io/library/python:3.11), a Drydock"
                    + " environment's name (see %env), {image: ..., conda_file: ...}, {build: {path: ...}} or"
                    + " azureml:NAME:VERSION.");
        }
        return new JobSpec(file, folder, tree, name, text(tree, "display_name", null), experiment,
                text(tree, "description", null), stringMap(tree.get("tags"), "/tags"), command,
                text(tree, "code", null), environment(tree.get("environment"), folder), inputs, outputs,
                compute(text(tree, "compute", null)), resources(tree.get("resources")),
                distribution(tree.get("distribution")), stringMap(tree.get("environment_variables"),
                        "/environment_variables"), timeout(tree.get("limits")));
    }

    JobSpec.Environment environment(JsonNode node, Path folder) throws MagicException {
        if (node.isTextual()) {
            String value = node.asText().strip();
            if (value.startsWith("azureml:")) {
                return registered(value.substring("azureml:".length()));
            }
            if (value.contains(":") || value.contains("/") || value.contains("@")) {
                return new JobSpec.Image(value);
            }
            if (!value.matches("[a-z0-9]+(?:[._-][a-z0-9]+)*")) {
                throw error("/environment", "`environment: " + value + "` is neither an image reference nor a Drydock"
                        + " environment name (lowercase letters, digits, . _ -).");
            }
            return new JobSpec.DrydockEnv(value);
        }
        if (!node.isObject()) {
            throw error("/environment", "`environment` must be text or a map, not " + describe(node) + ".");
        }
        String image = text(node, "image", null, "/environment");
        JsonNode build = node.get("build");
        String conda = text(node, "conda_file", null, "/environment");
        if (build != null && !build.isNull()) {
            if (image != null) {
                throw error("/environment/build", "an environment has either `image:` or `build:`, not both.");
            }
            requireMap(build, "/environment/build");
            String path = text(build, "path", null, "/environment/build");
            if (path == null) {
                throw error("/environment/build", "`build:` needs `path:`, the Docker build context folder.");
            }
            return new JobSpec.Inline(text(node, "name", null, "/environment"), null, null,
                    folder.resolve(JobSpec.stripFileScheme(path)).normalize(),
                    text(build, "dockerfile_path", "Dockerfile", "/environment/build"));
        }
        if (image == null) {
            throw error("/environment", "an inline environment needs `image:` (optionally with `conda_file:`) or"
                    + " `build: {path: ...}`.");
        }
        if (conda == null) {
            return new JobSpec.Image(image);
        }
        return new JobSpec.Inline(text(node, "name", null, "/environment"), image,
                folder.resolve(JobSpec.stripFileScheme(conda)).normalize(), null, null);
    }

    private JobSpec.Registered registered(String reference) throws MagicException {
        int at = reference.indexOf('@');
        int colon = reference.indexOf(':');
        if (at > 0 && colon < 0) {
            return new JobSpec.Registered(reference.substring(0, at), null, reference.substring(at + 1));
        }
        if (colon > 0 && at < 0 && colon < reference.length() - 1) {
            return new JobSpec.Registered(reference.substring(0, colon), reference.substring(colon + 1), null);
        }
        throw error("/environment", "bad environment reference `azureml:" + reference + "`: write azureml:NAME:VERSION"
                + " or azureml:NAME@latest.");
    }

    private Map<String, JobSpec.Input> inputs(JsonNode node) throws MagicException {
        Map<String, JobSpec.Input> inputs = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return inputs;
        }
        for (var entry : node.properties()) {
            String name = entry.getKey();
            String pointer = "/inputs/" + name;
            checkName(name, pointer, "input");
            JsonNode value = entry.getValue();
            if (value.isObject()) {
                String type = text(value, "type", "uri_folder", pointer);
                if (!INPUT_TYPES.contains(type)) {
                    throw error(pointer + "/type", "input type `" + type + "` is not one of "
                            + new TreeSet<>(INPUT_TYPES) + end(nearest(type, INPUT_TYPES)));
                }
                String mode = text(value, "mode", null, pointer);
                if (mode != null && !INPUT_MODES.contains(mode)) {
                    throw error(pointer + "/mode", "input mode `" + mode + "` is not one of " + new TreeSet<>(INPUT_MODES)
                            + end(nearest(mode, INPUT_MODES)));
                }
                String path = text(value, "path", null, pointer);
                if (path == null) {
                    throw error(pointer, "input `" + name + "` of type " + type + " needs `path:`.");
                }
                inputs.put(name, new JobSpec.Data(type, path, mode));
            } else if (value.isValueNode() && !value.isNull()) {
                inputs.put(name, new JobSpec.Literal(literal(value)));
            } else {
                throw error(pointer, "input `" + name + "` must be a value or a map with `type:` and `path:`, not "
                        + describe(value) + ".");
            }
        }
        return inputs;
    }

    private Map<String, JobSpec.Output> outputs(JsonNode node) throws MagicException {
        Map<String, JobSpec.Output> outputs = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return outputs;
        }
        for (var entry : node.properties()) {
            String name = entry.getKey();
            String pointer = "/outputs/" + name;
            checkName(name, pointer, "output");
            JsonNode value = entry.getValue();
            if (value.isNull()) {
                outputs.put(name, new JobSpec.Output("uri_folder", null, null));
                continue;
            }
            if (!value.isObject()) {
                throw error(pointer, "output `" + name + "` must be a map (such as {type: uri_folder}) or empty.");
            }
            String type = text(value, "type", "uri_folder", pointer);
            if (!INPUT_TYPES.contains(type)) {
                throw error(pointer + "/type", "output type `" + type + "` is not one of " + new TreeSet<>(INPUT_TYPES)
                        + end(nearest(type, INPUT_TYPES)));
            }
            String mode = text(value, "mode", null, pointer);
            if (mode != null && !OUTPUT_MODES.contains(mode)) {
                throw error(pointer + "/mode", "output mode `" + mode + "` is not one of " + new TreeSet<>(OUTPUT_MODES)
                        + end(nearest(mode, OUTPUT_MODES)));
            }
            outputs.put(name, new JobSpec.Output(type, mode, text(value, "path", null, pointer)));
        }
        return outputs;
    }

    private void checkName(String name, String pointer, String what) throws MagicException {
        if (!IO_NAME.matcher(name).matches()) {
            throw error(pointer, "bad " + what + " name `" + name + "`: letters, digits and _, not starting with a"
                    + " digit.");
        }
    }

    private void checkPlaceholders(String command, Map<String, JobSpec.Input> inputs,
            Map<String, JobSpec.Output> outputs) throws MagicException {
        Matcher matcher = PLACEHOLDER.matcher(command);
        while (matcher.find()) {
            boolean input = matcher.group(1).equals("inputs");
            String name = matcher.group(2);
            Set<String> known = input ? inputs.keySet() : outputs.keySet();
            if (!known.contains(name)) {
                throw error("/command", "the command uses " + matcher.group() + ", but the job has no " + (input
                        ? "input" : "output") + " named `" + name + "`" + (known.isEmpty() ? ""
                        : " (" + matcher.group(1) + ": " + String.join(", ", known) + ")") + end(nearest(name, known)));
            }
        }
    }

    private static String compute(String compute) {
        return compute == null ? null : compute.strip();
    }

    private JobSpec.Resources resources(JsonNode node) throws MagicException {
        if (node == null || node.isNull()) {
            return JobSpec.Resources.DEFAULT;
        }
        int count = integer(node, "instance_count", 1, "/resources");
        if (count < 1) {
            throw error("/resources/instance_count", "`instance_count` must be at least 1.");
        }
        return new JobSpec.Resources(count, text(node, "instance_type", null, "/resources"),
                text(node, "shm_size", null, "/resources"), text(node, "docker_args", null, "/resources"));
    }

    private JobSpec.Distribution distribution(JsonNode node) throws MagicException {
        if (node == null || node.isNull()) {
            return null;
        }
        String type = node.path("type").asText();
        Integer processes = node.has("process_count_per_instance")
                ? integer(node, "process_count_per_instance", 1, "/distribution") : null;
        Integer workers = node.has("worker_count") ? integer(node, "worker_count", 1, "/distribution") : null;
        Integer servers = node.has("parameter_server_count")
                ? integer(node, "parameter_server_count", 0, "/distribution") : null;
        return new JobSpec.Distribution(type, processes, workers, servers);
    }

    private Duration timeout(JsonNode limits) throws MagicException {
        if (limits == null || limits.isNull() || !limits.has("timeout")) {
            return null;
        }
        int seconds = integer(limits, "timeout", 0, "/limits");
        if (seconds <= 0) {
            throw error("/limits/timeout", "`limits.timeout` is a number of seconds greater than 0.");
        }
        return Duration.ofSeconds(seconds);
    }

    Map<String, String> stringMap(JsonNode node, String pointer) throws MagicException {
        Map<String, String> map = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return map;
        }
        requireMap(node, pointer);
        for (var entry : node.properties()) {
            if (!entry.getValue().isValueNode()) {
                throw error(pointer + "/" + entry.getKey(), "`" + entry.getKey() + "` must be a value, not "
                        + describe(entry.getValue()) + ".");
            }
            map.put(entry.getKey(), entry.getValue().isNull() ? "" : literal(entry.getValue()));
        }
        return map;
    }

    /** Python's {@code str()} of a YAML scalar, as the SDK sends literals. */
    static String literal(JsonNode value) {
        if (value.isBoolean()) {
            return value.asBoolean() ? "True" : "False";
        }
        return value.asText();
    }

    String text(JsonNode node, String key, String fallback) throws MagicException {
        return text(node, key, fallback, "");
    }

    String text(JsonNode node, String key, String fallback, String parent) throws MagicException {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isValueNode()) {
            throw error(parent + "/" + key, "`" + key + "` must be a value, not " + describe(value) + ".");
        }
        return value.asText();
    }

    int integer(JsonNode node, String key, int fallback, String parent) throws MagicException {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (value.canConvertToInt() && value.isIntegralNumber()) {
            return value.asInt();
        }
        if (value.isTextual() && value.asText().strip().matches("\\d+")) {
            return Integer.parseInt(value.asText().strip());
        }
        throw error(parent + "/" + key, "`" + key + "` must be a whole number, not " + value + ".");
    }

    private static String describe(JsonNode node) {
        return node.isObject() ? "a map" : node.isArray() ? "a list" : node.isNull() ? "empty" : "`" + node.asText() + "`";
    }

    // ---------------------------------------------------------------- where

    /** An error located at a key: its line in the file, or the {@code --set} that put it there. */
    MagicException error(String pointer, String message) {
        return MagicException.failed(where(pointer) + ": " + message);
    }

    private String where(String pointer) {
        for (String p = pointer; ; p = p.substring(0, p.lastIndexOf('/'))) {
            if (setBy.containsKey(p)) {
                return file + " (" + setBy.get(p) + ")";
            }
            if (p.isEmpty()) {
                break;
            }
        }
        for (String p = pointer; !p.isEmpty(); p = p.substring(0, p.lastIndexOf('/'))) {
            Integer line = lines.get(p);
            if (line != null) {
                return file + ", line " + line;
            }
        }
        return file.toString();
    }

    /** The line of each key, by JSON pointer ({@code /inputs/data/type}). */
    static Map<String, Integer> keyLines(String text) {
        Map<String, Integer> lines = new HashMap<>();
        try (JsonParser parser = YAML.getFactory().createParser(text)) {
            for (JsonToken token; (token = parser.nextToken()) != null; ) {
                if (token == JsonToken.FIELD_NAME) {
                    lines.put(parser.getParsingContext().pathAsPointer().toString()
                            .replace("~1", "/").replace("~0", "~"), parser.currentTokenLocation().getLineNr());
                }
            }
        } catch (IOException e) {
            // Only for messages: the tree was read already, so a failure here costs a line number, no more.
        }
        return lines;
    }

    // ---------------------------------------------------------------- writing

    /** The document as YAML text, for the snapshot's copy of the job as submitted. */
    public static String write(JsonNode tree) throws MagicException {
        try {
            return YAML.writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw MagicException.failed("Cannot write the job as YAML: " + e.getOriginalMessage());
        }
    }

    /** The command with {@code ${{inputs.x}}} and {@code ${{outputs.y}}} replaced by {@code values}. */
    static String substitute(String command, Map<String, String> inputs, Map<String, String> outputs) {
        Matcher matcher = PLACEHOLDER.matcher(command);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            Map<String, String> values = matcher.group(1).equals("inputs") ? inputs : outputs;
            String value = values.get(matcher.group(2));
            matcher.appendReplacement(out, Matcher.quoteReplacement(value == null ? matcher.group() : value));
        }
        matcher.appendTail(out);
        return out.toString();
    }
}

package dev.drydock.magics.env;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.drydock.magics.MagicException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A repository's {@code devcontainer.json} (containers.dev), read as the devcontainers CLI reads the keys
 * Drydock applies: JSON with comments and trailing commas, {@code ${localWorkspaceFolder}},
 * {@code ${localWorkspaceFolderBasename}}, {@code ${containerWorkspaceFolder}} and {@code ${localEnv:NAME[:DEFAULT]}}
 * substituted, paths of {@code build} relative to the file, and the CLI's defaults for the workspace mount.
 *
 * @param file the devcontainer.json
 * @param workspace the folder the tool opens: the parent of {@code .devcontainer/}
 * @param json the file with variables substituted
 */
public record DevcontainerConfig(Path file, Path workspace, JsonNode json) {

    /** The keys Drydock applies; others that change the container are named as not applied. */
    static final List<String> APPLIED = List.of("name", "image", "build", "workspaceMount", "workspaceFolder",
            "mounts", "forwardPorts", "appPort", "containerEnv", "remoteEnv", "containerUser", "remoteUser",
            "overrideCommand", "onCreateCommand", "updateContentCommand", "postCreateCommand", "postStartCommand",
            "runArgs", "features", "customizations", "portsAttributes", "otherPortsAttributes", "shutdownAction",
            "updateRemoteUserUID", "$schema");

    private static final JsonMapper JSONC = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
            .enable(JsonReadFeature.ALLOW_TRAILING_COMMA)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]+)}");

    /** Reads {@code file}; {@code env} answers {@code ${localEnv:NAME}}. */
    public static DevcontainerConfig read(Path file, Function<String, Optional<String>> env) throws MagicException {
        Path absolute = file.toAbsolutePath().normalize();
        JsonNode raw;
        try {
            raw = JSONC.readTree(Files.readString(absolute));
        } catch (IOException e) {
            throw MagicException.failed("Cannot read " + absolute + " as a devcontainer.json: "
                    + e.getMessage().lines().findFirst().orElse(""));
        }
        if (raw == null || !raw.isObject()) {
            throw MagicException.failed(absolute + " is not a devcontainer.json: its content is not a JSON object.");
        }
        Path workspace = Devcontainer.workspace(absolute);
        String basename = workspace.getFileName() == null ? "workspace" : workspace.getFileName().toString();
        // The CLI's default: the workspace at /workspaces/BASENAME; workspaceFolder may name another.
        String defaultFolder = "/workspaces/" + basename;
        Function<String, String> first = text -> substitute(text, workspace, basename, defaultFolder, env);
        String folder = raw.hasNonNull("workspaceFolder") ? first.apply(raw.get("workspaceFolder").asText())
                : defaultFolder;
        JsonNode json = substituteAll(raw.deepCopy(), text -> substitute(text, workspace, basename, folder, env));
        return new DevcontainerConfig(absolute, workspace, json);
    }

    private static String substitute(String text, Path workspace, String basename, String containerFolder,
            Function<String, Optional<String>> env) {
        Matcher matcher = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String name = matcher.group(1);
            String value;
            if (name.equals("localWorkspaceFolder")) {
                value = workspace.toString();
            } else if (name.equals("localWorkspaceFolderBasename")) {
                value = basename;
            } else if (name.equals("containerWorkspaceFolder")) {
                value = containerFolder;
            } else if (name.equals("containerWorkspaceFolderBasename")) {
                value = Path.of(containerFolder).getFileName() == null ? "" : Path.of(containerFolder).getFileName().toString();
            } else if (name.startsWith("localEnv:") || name.startsWith("env:")) {
                String[] parts = name.substring(name.indexOf(':') + 1).split(":", 2);
                value = env.apply(parts[0]).orElse(parts.length > 1 ? parts[1] : "");
            } else {
                // ${containerEnv:...} and unknown variables are the container's business: left as they are.
                value = matcher.group();
            }
            matcher.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    private static JsonNode substituteAll(JsonNode node, Function<String, String> substitute) {
        if (node.isTextual()) {
            return JSONC.getNodeFactory().textNode(substitute.apply(node.asText()));
        }
        if (node.isArray()) {
            com.fasterxml.jackson.databind.node.ArrayNode array = (com.fasterxml.jackson.databind.node.ArrayNode) node;
            for (int i = 0; i < array.size(); i++) {
                array.set(i, substituteAll(array.get(i), substitute));
            }
        } else if (node.isObject()) {
            com.fasterxml.jackson.databind.node.ObjectNode object = (com.fasterxml.jackson.databind.node.ObjectNode) node;
            List<String> names = new ArrayList<>();
            object.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                object.set(name, substituteAll(object.get(name), substitute));
            }
        }
        return node;
    }

    private String text(String key) {
        JsonNode value = json.get(key);
        return value == null || value.isNull() ? null : value.asText();
    }

    /** A display name: the file's {@code name}, else the workspace's folder name. */
    public String name() {
        String name = text("name");
        return name == null || name.isBlank() ? workspace.getFileName().toString() : name;
    }

    public Optional<String> image() {
        return Optional.ofNullable(text("image")).filter(s -> !s.isBlank());
    }

    /** {@code build} (or the older top-level {@code dockerFile}/{@code context}): what to build, if anything. */
    public Optional<Build> build() throws MagicException {
        JsonNode build = json.path("build");
        String dockerfile = build.hasNonNull("dockerfile") ? build.get("dockerfile").asText() : text("dockerFile");
        if (dockerfile == null) {
            return Optional.empty();
        }
        Path folder = file.getParent();
        String context = build.hasNonNull("context") ? build.get("context").asText()
                : Optional.ofNullable(text("context")).orElse(".");
        Map<String, String> args = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> arg : build.path("args").properties()) {
            args.put(arg.getKey(), arg.getValue().asText());
        }
        String target = build.hasNonNull("target") ? build.get("target").asText() : null;
        Path contextFolder = folder.resolve(context).normalize();
        Path dockerfilePath = folder.resolve(dockerfile).normalize();
        if (!Files.isRegularFile(dockerfilePath)) {
            throw MagicException.failed(file + " builds " + dockerfile + ", but " + dockerfilePath + " is not a file.");
        }
        if (!Files.isDirectory(contextFolder)) {
            throw MagicException.failed(file + " builds in the context " + context + ", but " + contextFolder
                    + " is not a folder.");
        }
        return Optional.of(new Build(dockerfilePath, contextFolder, args, target));
    }

    /** What {@code build} asks for: paths resolved against the devcontainer.json's folder, as the CLI does. */
    public record Build(Path dockerfile, Path context, Map<String, String> args, String target) {}

    /** {@code workspaceMount}, or the CLI's default bind of the workspace at the workspace folder. */
    public String workspaceMount() {
        String mount = text("workspaceMount");
        return mount != null ? mount : "type=bind,source=" + workspace + ",target=" + workspaceFolder();
    }

    public String workspaceFolder() {
        String folder = text("workspaceFolder");
        return folder != null ? folder : "/workspaces/" + workspace.getFileName();
    }

    /** {@code mounts}: strings in --mount syntax, or objects with source, target and type. */
    public List<String> mounts() {
        List<String> mounts = new ArrayList<>();
        for (JsonNode mount : json.path("mounts")) {
            if (mount.isTextual()) {
                mounts.add(mount.asText());
            } else if (mount.isObject()) {
                mounts.add("type=" + mount.path("type").asText("bind") + ",source=" + mount.path("source").asText()
                        + ",target=" + mount.path("target").asText());
            }
        }
        return mounts;
    }

    /** {@code forwardPorts} and {@code appPort} that are numbers (or "N"): published on 127.0.0.1. */
    public List<Integer> ports() {
        List<Integer> ports = new ArrayList<>();
        for (String key : List.of("forwardPorts", "appPort")) {
            JsonNode value = json.path(key);
            List<JsonNode> items = new ArrayList<>();
            if (value.isArray()) {
                value.forEach(items::add);
            } else if (!value.isMissingNode() && !value.isNull()) {
                items.add(value);
            }
            for (JsonNode item : items) {
                String port = item.asText();
                if (port.matches("\\d+") && !ports.contains(Integer.valueOf(port))) {
                    ports.add(Integer.valueOf(port));
                }
            }
        }
        return ports;
    }

    public Map<String, String> containerEnv() {
        return strings(json.path("containerEnv"));
    }

    public Map<String, String> remoteEnv() {
        return strings(json.path("remoteEnv"));
    }

    private static Map<String, String> strings(JsonNode object) {
        Map<String, String> map = new LinkedHashMap<>();
        object.properties().forEach(entry -> map.put(entry.getKey(), entry.getValue().asText()));
        return map;
    }

    public Optional<String> containerUser() {
        return Optional.ofNullable(text("containerUser")).filter(s -> !s.isBlank());
    }

    /** The user lifecycle commands run as: {@code remoteUser}, else {@code containerUser}, else the image's. */
    public Optional<String> remoteUser() {
        return Optional.ofNullable(text("remoteUser")).filter(s -> !s.isBlank()).or(this::containerUser);
    }

    /** Whether the CLI replaces the image's command with a wait loop; it does unless told not to. */
    public boolean overrideCommand() {
        return !json.has("overrideCommand") || json.get("overrideCommand").asBoolean(true);
    }

    /**
     * A lifecycle command: each entry is one command line (a string runs through {@code /bin/sh -c}, an array
     * runs as it is); an object's named commands run one after another (the CLI runs them in parallel).
     */
    public List<List<String>> lifecycle(String key) {
        JsonNode value = json.path(key);
        List<List<String>> commands = new ArrayList<>();
        if (value.isObject()) {
            value.properties().forEach(entry -> commands.addAll(command(entry.getValue())));
        } else {
            commands.addAll(command(value));
        }
        return commands;
    }

    private static List<List<String>> command(JsonNode value) {
        if (value.isTextual() && !value.asText().isBlank()) {
            return List.of(List.of("/bin/sh", "-c", value.asText()));
        }
        if (value.isArray() && !value.isEmpty()) {
            List<String> argv = new ArrayList<>();
            value.forEach(arg -> argv.add(arg.asText()));
            return List.of(argv);
        }
        return List.of();
    }

    /** The features it asks for, by id: they are downloaded from their registries, which needs the network. */
    public List<String> features() {
        List<String> features = new ArrayList<>();
        json.path("features").fieldNames().forEachRemaining(features::add);
        return features;
    }

    /** {@code runArgs}, which Drydock does not pass on: they are docker CLI flags, not a request. */
    public List<String> runArgs() {
        List<String> args = new ArrayList<>();
        json.path("runArgs").forEach(arg -> args.add(arg.asText()));
        return args;
    }

    /** Top-level keys Drydock neither applies nor knows to be harmless. */
    public List<String> unknownKeys() {
        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(key -> {
            if (!APPLIED.contains(key) && !key.equals("dockerFile") && !key.equals("context")) {
                keys.add(key);
            }
        });
        return keys;
    }
}

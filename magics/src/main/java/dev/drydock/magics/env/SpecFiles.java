package dev.drydock.magics.env;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.drydock.magics.MagicException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the files that define environments: {@code environments.yml}, conda environment files, pip
 * requirements files and apt lists. Every problem names the file, and the line where YAML knows it.
 */
public final class SpecFiles {

    /** The file beside the notebook that names several environments. */
    public static final String ENVIRONMENTS_FILE = "environments.yml";

    /** {@code -f DIR}, {@code --find-links DIR} or {@code --find-links=DIR} in a requirements file. */
    private static final Pattern FIND_LINKS = Pattern.compile("^\\s*(?:-f|--find-links)(?:\\s+|=)(\\S+)\\s*$");

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private SpecFiles() {}

    /** One entry of {@code environments.yml}; paths are relative to that file's folder. */
    record Entry(String base, String stage, String conda, String pip, String apt, Boolean gpu, List<String> secrets,
            @JsonProperty("args") Map<String, String> args, String dockerfile, String target, String context,
            String poetry, @JsonProperty("with") List<String> with) {}

    record EnvironmentsFile(Map<String, Entry> environments) {}

    /** A conda environment file: its channels, conda dependencies and the packages of its {@code pip:} section. */
    public record CondaEnv(String name, List<String> channels, List<String> dependencies, List<String> pip) {}

    /** Every environment of an {@code environments.yml}, in file order. */
    public static Map<String, EnvSpec> environments(Path file) throws MagicException {
        EnvironmentsFile parsed = read(file, EnvironmentsFile.class);
        if (parsed == null || parsed.environments() == null || parsed.environments().isEmpty()) {
            throw MagicException.failed(file + " names no environments: it needs a top-level `environments:` map"
                    + " (see %env build --help).");
        }
        Path folder = file.toAbsolutePath().getParent();
        Map<String, EnvSpec> specs = new LinkedHashMap<>();
        for (var e : parsed.environments().entrySet()) {
            Entry entry = e.getValue();
            String origin = file + ", environment " + e.getKey();
            if (entry == null) {
                throw MagicException.failed(origin + " is empty: give at least `base:`.");
            }
            Stage stage = entry.stage() == null ? Stage.TRAIN : Stage.parse(entry.stage());
            specs.put(e.getKey(), new EnvSpec(e.getKey(), entry.base(), stage, path(folder, entry.conda()),
                    path(folder, entry.pip()), path(folder, entry.apt()), Boolean.TRUE.equals(entry.gpu()),
                    entry.secrets() == null ? List.of() : entry.secrets(),
                    entry.args() == null ? Map.of() : entry.args(), folder, false)
                    .withDockerfile(path(folder, entry.dockerfile()), entry.target(), path(folder, entry.context()))
                    .withPoetry(path(folder, entry.poetry()), entry.with())
                    .validated(origin));
        }
        return specs;
    }

    /** Parses a conda environment file ({@code conda_dependencies.yml}, {@code environment.yml}). */
    public static CondaEnv conda(Path file) throws MagicException {
        JsonNode root = read(file, JsonNode.class);
        if (root == null || !root.isObject()) {
            throw MagicException.failed(file + " is not a conda environment file: expected a map with"
                    + " `dependencies:` (and optionally `name:` and `channels:`).");
        }
        List<String> channels = strings(file, root.path("channels"), "channels");
        List<String> dependencies = new ArrayList<>();
        List<String> pip = new ArrayList<>();
        JsonNode deps = root.path("dependencies");
        if (!deps.isMissingNode() && !deps.isNull() && !deps.isArray()) {
            throw MagicException.failed(file + ": `dependencies:` must be a list.");
        }
        for (JsonNode dep : deps) {
            if (dep.isTextual()) {
                dependencies.add(dep.asText());
            } else if (dep.isObject() && dep.size() == 1 && dep.has("pip")) {
                pip.addAll(strings(file, dep.get("pip"), "dependencies: - pip:"));
            } else {
                throw MagicException.failed(file + ": a dependency must be a package (`- numpy=1.26`) or the"
                        + " `- pip:` list, not " + dep + ".");
            }
        }
        return new CondaEnv(root.path("name").asText(null), channels, dependencies, pip);
    }

    /** Whether a conda file is an explicit list ({@code conda list --explicit}) rather than an environment file. */
    public static boolean isExplicit(Path file) throws MagicException {
        return text(file).lines().anyMatch(line -> line.strip().equals("@EXPLICIT"));
    }

    /** The packages an environment pins, from each of its files, in the order apt, conda, pip. */
    public static List<Pin> pins(EnvSpec spec) throws MagicException {
        List<Pin> pins = new ArrayList<>();
        if (spec.apt() != null) {
            text(spec.apt()).lines().forEach(line -> Pin.apt(line).ifPresent(pins::add));
        }
        if (spec.conda() != null) {
            if (isExplicit(spec.conda())) {
                text(spec.conda()).lines().forEach(line -> explicitPin(line).ifPresent(pins::add));
            } else {
                CondaEnv env = conda(spec.conda());
                env.dependencies().forEach(dep -> Pin.conda(dep).ifPresent(pins::add));
                env.pip().forEach(req -> Pin.pip(req).ifPresent(pins::add));
            }
        }
        if (spec.poetry() != null) {
            for (PoetryLock.Locked locked : PoetryLock.export(spec.poetry(), spec.groups()).packages()) {
                Pin.pip(locked.name() + "==" + locked.version()).ifPresent(pins::add);
            }
        }
        if (spec.pip() != null) {
            text(spec.pip()).lines().forEach(line -> Pin.pip(line).ifPresent(pins::add));
        }
        return pins;
    }

    /** {@code https://.../linux-64/numpy-1.26.4-py311h64a7726_0.conda#md5}: name, version, build from the file name. */
    static java.util.Optional<Pin> explicitPin(String line) {
        String text = line.strip();
        if (text.isEmpty() || text.startsWith("#") || text.startsWith("@")) {
            return java.util.Optional.empty();
        }
        String file = text.replaceAll("#.*$", "");
        file = file.substring(file.lastIndexOf('/') + 1).replaceAll("\\.(tar\\.bz2|conda)$", "");
        String[] parts = file.split("-");
        if (parts.length < 3) {
            return java.util.Optional.empty();
        }
        String name = String.join("-", java.util.Arrays.copyOf(parts, parts.length - 2));
        return java.util.Optional.of(new Pin(Pin.Manager.CONDA, name, "==" + parts[parts.length - 2]));
    }

    private static <T> T read(Path file, Class<T> type) throws MagicException {
        String text = text(file);
        try {
            return YAML.readValue(text, type);
        } catch (UnrecognizedPropertyException e) {
            // Records are read whole before unknown keys are reported, so the exception's location is the end
            // of the entry; the key's own line comes from a second, streaming pass.
            StringBuilder path = new StringBuilder();
            e.getPath().forEach(ref -> path.append('/').append(ref.getFieldName() != null ? ref.getFieldName() : ref.getIndex()));
            JsonLocation where = keyLocations(text).getOrDefault(path.toString(), e.getLocation());
            throw MagicException.failed(file + at(where) + ": unknown key `" + e.getPropertyName()
                    + "`; known keys: " + e.getKnownPropertyIds() + ".");
        } catch (JsonProcessingException e) {
            throw MagicException.failed(file + at(e.getLocation()) + ": " + firstLine(e.getOriginalMessage()));
        }
    }

    /** Where each key of a YAML document starts, by its path ({@code /environments/train/pip}). */
    static Map<String, JsonLocation> keyLocations(String text) {
        Map<String, JsonLocation> locations = new java.util.HashMap<>();
        java.util.Deque<String> path = new java.util.ArrayDeque<>();
        try (com.fasterxml.jackson.core.JsonParser parser = YAML.getFactory().createParser(text)) {
            for (com.fasterxml.jackson.core.JsonToken token; (token = parser.nextToken()) != null; ) {
                if (token == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                    StringBuilder key = new StringBuilder();
                    java.util.Iterator<String> parents = path.descendingIterator();
                    parents.forEachRemaining(p -> key.append(p.isEmpty() ? "" : "/" + p));
                    locations.put(key + "/" + parser.currentName(), parser.currentTokenLocation());
                } else if (token == com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                    String name = parser.getParsingContext().getParent() != null
                            && parser.getParsingContext().getParent().inObject()
                            ? parser.getParsingContext().getParent().getCurrentName() : null;
                    path.push(name == null ? "" : name);
                } else if (token == com.fasterxml.jackson.core.JsonToken.END_OBJECT) {
                    path.pop();
                }
            }
        } catch (IOException e) {
            // Only for error messages: a document the first pass could read and this one cannot has no lines.
        }
        return locations;
    }

    /** A file's text, or an error naming it. */
    static String text(Path file) throws MagicException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw MagicException.failed(file + " does not exist.");
        } catch (IOException e) {
            throw MagicException.failed("Cannot read " + file + ": " + e.getMessage());
        }
    }

    /** Local folders a requirements file points pip at ({@code --find-links DIR}), as written. */
    public static List<String> localFindLinks(Path requirements) throws MagicException {
        List<String> dirs = new ArrayList<>();
        for (String line : text(requirements).lines().toList()) {
            Matcher m = FIND_LINKS.matcher(line);
            if (m.matches() && !m.group(1).contains("://")) {
                dirs.add(m.group(1));
            }
        }
        return dirs;
    }

    /** The option lines of a requirements file (index, find-links), which a lock file must keep to install again. */
    public static List<String> optionLines(Path requirements) throws MagicException {
        return text(requirements).lines().map(String::strip).filter(l -> l.startsWith("-") && !l.startsWith("-r")
                && !l.startsWith("--requirement") && !l.startsWith("-c") && !l.startsWith("--constraint")).toList();
    }

    private static List<String> strings(Path file, JsonNode node, String where) throws MagicException {
        List<String> out = new ArrayList<>();
        if (node == null || node.isMissingNode() || node.isNull()) {
            return out;
        }
        if (!node.isArray()) {
            throw MagicException.failed(file + ": `" + where + "` must be a list.");
        }
        for (JsonNode item : node) {
            if (!item.isValueNode()) {
                throw MagicException.failed(file + ": `" + where + "` holds " + item + ", which is not a string.");
            }
            out.add(item.asText());
        }
        return out;
    }

    private static Path path(Path folder, String relative) {
        return relative == null ? null : folder.resolve(relative).normalize();
    }

    private static String at(JsonLocation location) {
        return location == null || location.getLineNr() < 1 ? ""
                : ", line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "malformed YAML";
        }
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}

package dev.drydock.magics.env;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.drydock.magics.MagicException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pinned set of a poetry project, as {@code poetry export} writes it: from {@code pyproject.toml} the
 * direct dependencies of the main group and of the chosen groups, and from {@code poetry.lock} their
 * closure, each package as {@code name==version} with the hashes of its files, and the project's package
 * sources as pip index options. Installed like a requirements file; hash-checking keeps pip to the files
 * that were locked.
 */
public final class PoetryLock {

    /** One locked package: its PEP 503 name, version, and the requirement line pip installs. */
    public record Locked(String name, String version, String line) {}

    /** The export: index options first, then one line per package, sorted by name. */
    public record Export(List<String> options, List<Locked> packages) {
        public String requirements(String header) {
            StringBuilder text = new StringBuilder(header);
            options.forEach(o -> text.append(o).append('\n'));
            packages.forEach(p -> text.append(p.line()).append('\n'));
            return text.toString();
        }
    }

    private static final TomlMapper TOML = new TomlMapper();
    /** The name at the start of a PEP 508 requirement ({@code project.dependencies}). */
    private static final Pattern NAME = Pattern.compile("^\\s*([A-Za-z0-9][A-Za-z0-9._-]*)");

    private PoetryLock() {}

    /** The locked set of {@code pyproject} for the main group and {@code groups}. */
    public static Export export(Path pyproject, List<String> groups) throws MagicException {
        JsonNode project = read(pyproject);
        Path lockFile = pyproject.toAbsolutePath().resolveSibling("poetry.lock");
        JsonNode lock = read(lockFile);

        Map<String, List<String>> available = groups(project);
        Set<String> roots = new LinkedHashSet<>(available.get("main"));
        for (String group : groups) {
            List<String> names = available.get(group);
            if (names == null || group.equals("main")) {
                throw MagicException.usage(pyproject + " has no dependency group " + group + "; its groups: "
                        + (available.size() == 1 ? "none besides main" : String.join(", ", available.keySet().stream()
                        .filter(g -> !g.equals("main")).toList())) + ".");
            }
            roots.addAll(names);
        }

        Map<String, JsonNode> packages = new LinkedHashMap<>();
        for (JsonNode node : lock.path("package")) {
            packages.put(Pin.normalizePip(node.path("name").asText()), node);
        }
        Map<String, Locked> chosen = new TreeMap<>();
        Deque<String> todo = new ArrayDeque<>(roots);
        while (!todo.isEmpty()) {
            String name = todo.removeFirst();
            if (chosen.containsKey(name)) {
                continue;
            }
            JsonNode node = packages.get(name);
            if (node == null) {
                throw MagicException.failed(pyproject + " needs " + name + ", which " + lockFile + " does not list:"
                        + " the lock file is out of date; run poetry lock there.");
            }
            chosen.put(name, locked(name, node, lock, lockFile));
            node.path("dependencies").properties().forEach(dep -> {
                // An optional dependency belongs to an extra, which poetry export leaves out unless asked.
                if (!dep.getValue().path("optional").asBoolean(false)) {
                    todo.addLast(Pin.normalizePip(dep.getKey()));
                }
            });
        }
        return new Export(indexOptions(project), List.copyOf(chosen.values()));
    }

    /** {@code main} and every group of the project, each with its direct dependencies' names. */
    private static Map<String, List<String>> groups(JsonNode project) {
        Map<String, List<String>> groups = new LinkedHashMap<>();
        List<String> main = new ArrayList<>();
        project.path("tool").path("poetry").path("dependencies").properties().forEach(dep -> {
            if (!dep.getKey().equalsIgnoreCase("python") && !dep.getValue().path("optional").asBoolean(false)) {
                main.add(Pin.normalizePip(dep.getKey()));
            }
        });
        // PEP 621 metadata, which poetry 2 reads as the main group.
        for (JsonNode requirement : project.path("project").path("dependencies")) {
            Matcher m = NAME.matcher(requirement.asText());
            if (m.find()) {
                main.add(Pin.normalizePip(m.group(1)));
            }
        }
        groups.put("main", main);
        project.path("tool").path("poetry").path("group").properties().forEach(group -> {
            List<String> names = new ArrayList<>();
            group.getValue().path("dependencies").properties().forEach(dep -> names.add(Pin.normalizePip(dep.getKey())));
            groups.put(group.getKey(), names);
        });
        // Poetry 1.0's dev-dependencies, which later poetry reads as the group "dev".
        JsonNode legacyDev = project.path("tool").path("poetry").path("dev-dependencies");
        if (!legacyDev.isMissingNode() && !groups.containsKey("dev")) {
            List<String> names = new ArrayList<>();
            legacyDev.properties().forEach(dep -> names.add(Pin.normalizePip(dep.getKey())));
            groups.put("dev", names);
        }
        return groups;
    }

    private static Locked locked(String name, JsonNode node, JsonNode lock, Path lockFile) throws MagicException {
        String version = node.path("version").asText();
        JsonNode source = node.path("source");
        String type = source.path("type").asText("");
        StringBuilder line = new StringBuilder();
        switch (type) {
            case "", "legacy" -> line.append(name).append("==").append(version);
            case "url" -> line.append(name).append(" @ ").append(source.path("url").asText());
            case "git" -> line.append(name).append(" @ git+").append(source.path("url").asText())
                    .append(source.hasNonNull("resolved_reference") ? "@" + source.get("resolved_reference").asText() : "");
            default -> throw MagicException.failed(lockFile + " locks " + name + " from a " + type + " source ("
                    + source.path("url").asText() + "): a path on this machine that the image build cannot see."
                    + " Build a wheel of it and serve it from a package source, or copy it in with --dockerfile.");
        }
        if (node.path("markers").isTextual()) {
            line.append(" ; ").append(node.path("markers").asText());
        }
        JsonNode files = node.has("files") ? node.path("files") : lock.path("metadata").path("files").path(node.path("name").asText());
        List<String> hashes = new ArrayList<>();
        for (JsonNode file : files) {
            if (file.path("hash").isTextual()) {
                hashes.add(file.path("hash").asText());
            }
        }
        if (type.isEmpty() || type.equals("legacy")) {
            if (hashes.isEmpty()) {
                throw MagicException.failed(lockFile + " records no file hashes for " + name + " " + version
                        + ": lock it again with a current poetry (poetry lock).");
            }
            hashes.forEach(h -> line.append(" \\\n    --hash=").append(h));
        }
        return new Locked(name, version, line.toString());
    }

    /** The project's package sources as pip options: the primary one replaces PyPI, the others add to it. */
    private static List<String> indexOptions(JsonNode project) {
        List<String> options = new ArrayList<>();
        Set<String> hosts = new LinkedHashSet<>();
        boolean primaryTaken = false;
        for (JsonNode source : project.path("tool").path("poetry").path("source")) {
            String url = source.path("url").asText("");
            if (url.isEmpty()) {
                continue;
            }
            String priority = source.path("priority").asText(source.path("default").asBoolean(false) ? "default" : "");
            // An explicit source serves only the packages that name it; pip has no such rule, and the hashes
            // keep every package to its locked files whichever index serves it.
            boolean primary = !primaryTaken && (priority.equals("primary") || priority.equals("default"));
            options.add((primary ? "--index-url " : "--extra-index-url ") + url);
            primaryTaken |= primary;
            URI uri = URI.create(url);
            if ("http".equals(uri.getScheme()) && uri.getHost() != null) {
                hosts.add(uri.getHost());
            }
        }
        // pip refuses an index over plain HTTP unless its host is trusted; poetry's source said to use it.
        hosts.forEach(h -> options.add("--trusted-host " + h));
        return options;
    }

    private static JsonNode read(Path file) throws MagicException {
        try {
            return TOML.readTree(Files.readString(file));
        } catch (java.nio.file.NoSuchFileException e) {
            throw MagicException.failed(file + " does not exist.");
        } catch (IOException e) {
            throw MagicException.failed(file + " is not valid TOML: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }
}

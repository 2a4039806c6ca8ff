package dev.drydock.magics.files;

import dev.drydock.magics.MagicException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.eclipse.jgit.ignore.FastIgnoreRule;
import org.eclipse.jgit.ignore.IgnoreNode;

/**
 * The one policy for files that leave this machine or enter an image: job snapshots, {@code %aml deploy} code
 * and model uploads, build contexts, committed containers. Always left out: secret files ({@code .env},
 * {@code .env.*}, {@code *.env}) unless an ignore file re-includes one by a {@code !pattern}, and {@code .git}.
 * Also left out: what the ignore files exclude, read by JGit's ignore rules (git's semantics: {@code !},
 * {@code **}, anchored {@code /x}, trailing {@code /}, nested ignore files), so the rules are git's and not a
 * hand-written matcher's.
 *
 * <p>Symbolic links are followed when they resolve inside the project (the git repository around the folder,
 * else the folder the caller names, such as the notebook's, else the folder itself): a shared {@code common/} linked into a job folder arrives as its content. A link that
 * points outside, is broken or loops is refused with its path; nothing is dropped silently.
 */
public final class OutboundFiles {

    /** Which ignore files apply. */
    public enum Rules {
        /** Azure ML's: in every folder, its {@code .amlignore}, else its {@code .gitignore}. */
        AML(".amlignore", ".gitignore"),
        /** Docker's: the root's {@code .dockerignore}, every pattern relative to the root. */
        DOCKER(".dockerignore"),
        /** Git's: every folder's {@code .gitignore}. */
        GIT(".gitignore"),
        /** Only the rules every way out has (secret files, {@code .git}). */
        NONE();

        private final List<String> names;

        Rules(String... names) {
            this.names = List.of(names);
        }

        /** The ignore file names, in the order the first present one in a folder is taken. */
        public List<String> names() {
            return names;
        }
    }

    /**
     * What was copied: files and bytes, the root's ignore file (null if none), the secret files left out and
     * every other path left out, relative to the source with {@code /}.
     */
    public record Copied(int files, long bytes, String ignoreFile, List<String> secretFiles, List<String> ignored) {}

    private OutboundFiles() {}

    /**
     * A temporary folder of filtered copies, for clients that upload or build from a folder they are handed
     * (the Azure ML REST client, a builder): they get the copy, never the user's folder. Deleted when closed.
     */
    public static final class Staging implements AutoCloseable {
        private final Path dir;
        private int count;

        private Staging(Path dir) {
            this.dir = dir;
        }

        /** A new, empty staging folder. */
        public static Staging create(String prefix) throws MagicException {
            try {
                return new Staging(Files.createTempDirectory(prefix));
            } catch (IOException e) {
                throw MagicException.failed("Cannot make a temporary folder for the files to send: " + e.getMessage());
            }
        }

        /**
         * The filtered copy of {@code source}, under the same name. A file is taken as it is, unless it is a secret
         * file, which is refused.
         */
        public Path copy(Path source, Rules rules) throws MagicException {
            Path into = dir.resolve(String.valueOf(count++)).resolve(source.toAbsolutePath().normalize().getFileName().toString());
            if (Files.isDirectory(source)) {
                OutboundFiles.copy(source, into, rules, List.of());
                return into;
            }
            String name = source.getFileName().toString();
            if (isSecretFile(name)) {
                throw MagicException.failed("Not sending " + source + ": " + name + " is named like a secrets file"
                        + " (.env, .env.*, *.env). Rename it if it holds no secrets.");
            }
            try {
                Files.createDirectories(into.getParent());
                Files.copy(source, into);
            } catch (IOException e) {
                throw MagicException.failed("Cannot copy " + source + " to send it: " + e.getMessage());
            }
            return into;
        }

        @Override
        public void close() {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(file);
                }
            } catch (IOException e) {
                // A leftover temporary folder holds only what was allowed out anyway.
            }
        }
    }

    /** Files that hold secrets by their name: {@code .env}, {@code .env.local}, {@code prod.env}. */
    public static boolean isSecretFile(String name) {
        return name.equals(".env") || name.startsWith(".env.") || name.endsWith(".env");
    }

    /**
     * Copies {@code source} into {@code target} (created) under the policy.
     *
     * @param exclude folders never to copy (the runs folder), may be empty
     */
    public static Copied copy(Path source, Path target, Rules rules, List<Path> exclude) throws MagicException {
        return copy(source, target, rules, exclude, null);
    }

    /**
     * The same, where links may point anywhere inside {@code project} when {@code source} is not in a git
     * repository (the notebook's folder, say); null means the source folder itself.
     */
    public static Copied copy(Path source, Path target, Rules rules, List<Path> exclude, Path project)
            throws MagicException {
        if (!Files.isDirectory(source)) {
            throw MagicException.failed("The folder " + source + " does not exist or is not a folder.");
        }
        Walk walk = new Walk(source, target, rules, exclude, project);
        try {
            Files.createDirectories(walk.into);
            // A target inside the source (a run folder under the code folder) is never copied into itself.
            walk.exclude.add(walk.into.toRealPath());
            walk.folder(walk.root, "", List.of(), new HashSet<>());
        } catch (IOException e) {
            throw MagicException.failed("Copying " + source + " into " + target + " failed: " + e.getMessage());
        }
        String ignoreFile = rules.names().stream().filter(n -> Files.isRegularFile(walk.root.resolve(n))).findFirst()
                .orElse(null);
        return new Copied(walk.files, walk.bytes, ignoreFile, List.copyOf(walk.secrets), List.copyOf(walk.ignored));
    }

    /**
     * Whether git ignores {@code file}, as {@code git check-ignore} answers: the {@code .gitignore} of every
     * folder from the repository root down to the file's folder (and {@code .git/info/exclude}), a folder on the
     * way being ignored included. Outside a repository, only the file's own folder's {@code .gitignore}.
     */
    public static boolean gitIgnores(Path file) throws IOException {
        Path absolute = file.toAbsolutePath().normalize();
        Path folder = absolute.getParent();
        Path root = repositoryRoot(folder);
        if (root == null) {
            root = folder;
        }
        List<Level> chain = new ArrayList<>();
        Path exclude = root.resolve(".git/info/exclude");
        if (Files.isRegularFile(exclude)) {
            chain.add(new Level(gitRules(Files.readAllBytes(exclude)), ""));
        }
        Path relative = root.relativize(absolute);
        Path at = root;
        String prefix = "";
        chain = withIgnoreFile(chain, at, prefix, Rules.GIT);
        for (int i = 0; i < relative.getNameCount(); i++) {
            String name = relative.getName(i).toString();
            boolean last = i == relative.getNameCount() - 1;
            String rel = prefix + name;
            if (Boolean.TRUE.equals(check(chain, rel, !last))) {
                return true;
            }
            at = at.resolve(name);
            prefix = rel + "/";
            if (!last) {
                chain = withIgnoreFile(chain, at, prefix, Rules.GIT);
            }
        }
        return false;
    }

    /** Whether the {@code .dockerignore} at {@code dockerignore} (if it exists) excludes {@code name} beside it. */
    public static boolean dockerIgnores(Path dockerignore, String name) throws IOException {
        if (!Files.isRegularFile(dockerignore)) {
            return false;
        }
        return Boolean.TRUE.equals(DockerRules.parse(Files.readAllBytes(dockerignore)).check(name, false));
    }

    /** The git work tree around {@code folder}: the nearest folder with a {@code .git}, or null. */
    public static Path repositoryRoot(Path folder) {
        for (Path at = folder.toAbsolutePath().normalize(); at != null; at = at.getParent()) {
            if (Files.exists(at.resolve(".git"))) {
                return at;
            }
        }
        return null;
    }

    /** One ignore file and the path prefix (relative to the walk's root, ending in /) of its folder. */
    private record Level(Matcher rules, String prefix) {}

    /** One ignore file's verdict on a path relative to its folder: true ignored, false re-included, null none. */
    private interface Matcher {
        Boolean check(String rel, boolean folder);

        /** Whether an ignored folder may still hold a path a later pattern brings back, so it must be walked. */
        default boolean mayReinclude(String folder) {
            return false;
        }
    }

    /** The deepest ignore file with a rule for {@code rel} decides: true ignored, false re-included, null none. */
    private static Boolean check(List<Level> chain, String rel, boolean folder) {
        for (int i = chain.size() - 1; i >= 0; i--) {
            Level level = chain.get(i);
            if (!rel.startsWith(level.prefix())) {
                continue;
            }
            Boolean result = level.rules().check(rel.substring(level.prefix().length()), folder);
            if (result != null) {
                return result;
            }
        }
        return null;
    }

    private static List<Level> withIgnoreFile(List<Level> chain, Path folder, String prefix, Rules rules)
            throws IOException {
        if (rules == Rules.DOCKER && !prefix.isEmpty()) {
            return chain; // Docker reads only the context root's file.
        }
        for (String name : rules.names()) {
            Path file = folder.resolve(name);
            if (Files.isRegularFile(file)) {
                List<Level> longer = new ArrayList<>(chain);
                byte[] content = Files.readAllBytes(file);
                longer.add(new Level(rules == Rules.DOCKER ? DockerRules.parse(content) : gitRules(content), prefix));
                return longer;
            }
        }
        return chain;
    }

    /** Git's rules (JGit's {@link IgnoreNode}): the deepest matching pattern decides, as in git. */
    private static Matcher gitRules(byte[] content) throws IOException {
        IgnoreNode node = new IgnoreNode();
        try (InputStream in = new ByteArrayInputStream(content)) {
            node.parse(in);
        }
        return node::checkIgnored;
    }

    /**
     * A {@code .dockerignore} read as the docker CLI reads it (moby's patternmatcher): every pattern is relative
     * to the context root (Docker's {@code *.env} is only the root's), a pattern that matches a folder matches
     * everything in it, and the last pattern that matches a path or one of its folders decides, so
     * {@code !data/keep.csv} after {@code data/} brings that one file back. Each pattern is one JGit rule.
     */
    private record DockerRules(List<FastIgnoreRule> rules) implements Matcher {

        static DockerRules parse(byte[] content) {
            List<FastIgnoreRule> rules = new ArrayList<>();
            for (String raw : new String(content, StandardCharsets.UTF_8).split("\r?\n")) {
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                boolean negated = line.startsWith("!");
                String pattern = negated ? line.substring(1).strip() : line;
                while (pattern.startsWith("./")) {
                    pattern = pattern.substring(2);
                }
                while (pattern.endsWith("/") && pattern.length() > 1) {
                    pattern = pattern.substring(0, pattern.length() - 1);
                }
                if (pattern.isEmpty()) {
                    continue;
                }
                if (!pattern.startsWith("/") && !pattern.startsWith("**")) {
                    pattern = "/" + pattern;
                }
                rules.add(new FastIgnoreRule((negated ? "!" : "") + pattern));
            }
            return new DockerRules(List.copyOf(rules));
        }

        @Override
        public Boolean check(String rel, boolean folder) {
            Boolean decision = null;
            for (FastIgnoreRule rule : rules) {
                if (matchesOrParentMatches(rule, rel, folder)) {
                    decision = rule.getResult();
                }
            }
            return decision;
        }

        @Override
        public boolean mayReinclude(String folder) {
            return rules.stream().filter(rule -> !rule.getResult()).anyMatch(rule -> {
                String text = rule.toString().replaceFirst("^!/?", "");
                return text.startsWith(folder + "/") || text.startsWith("**") || text.indexOf('*') >= 0
                        && text.indexOf('*') <= folder.length();
            });
        }

        private static boolean matchesOrParentMatches(FastIgnoreRule rule, String rel, boolean folder) {
            if (rule.isMatch(rel, folder)) {
                return true;
            }
            for (int slash = rel.lastIndexOf('/'); slash > 0; slash = rel.lastIndexOf('/', slash - 1)) {
                if (rule.isMatch(rel.substring(0, slash), true)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** One copy: where it reads and writes, and what it counted. */
    private static final class Walk {
        final Path root;
        final Path into;
        final Path project;
        final Rules rules;
        final List<Path> exclude = new ArrayList<>();
        final List<String> secrets = new ArrayList<>();
        final List<String> ignored = new ArrayList<>();
        int files;
        long bytes;

        Walk(Path source, Path target, Rules rules, List<Path> excluded, Path fallbackProject) throws MagicException {
            this.rules = rules;
            this.into = target.toAbsolutePath().normalize();
            try {
                this.root = source.toRealPath();
                Path repository = repositoryRoot(root);
                Path fallback = fallbackProject == null || !Files.isDirectory(fallbackProject) ? root
                        : fallbackProject.toRealPath();
                this.project = repository != null ? repository.toRealPath() : root.startsWith(fallback) ? fallback : root;
                for (Path path : excluded) {
                    if (path != null) {
                        exclude.add(Files.exists(path) ? path.toRealPath() : path.toAbsolutePath().normalize());
                    }
                }
            } catch (IOException e) {
                throw MagicException.failed("Cannot read the folder " + source + ": " + e.getMessage());
            }
            exclude.add(into);
        }

        void folder(Path dir, String relative, List<Level> parent, Set<Path> onPath) throws IOException, MagicException {
            Path real = dir.toRealPath();
            onPath.add(real);
            List<Level> chain = withIgnoreFile(parent, dir, relative, rules);
            List<Path> entries;
            try (Stream<Path> listing = Files.list(dir)) {
                entries = listing.sorted().toList();
            }
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                String rel = relative + name;
                Path resolved = resolve(entry, rel);
                boolean isFolder = Files.isDirectory(resolved);
                if (isFolder && (name.equals(".git") || exclude.contains(resolved))) {
                    continue;
                }
                if (!isFolder && name.equals(".git")) {
                    continue; // a worktree's or submodule's pointer file
                }
                Boolean decision = check(chain, rel, isFolder);
                if (isFolder) {
                    if (Boolean.TRUE.equals(decision) && chain.stream().noneMatch(l -> l.rules().mayReinclude(rel))) {
                        ignored.add(rel + "/");
                        continue;
                    }
                    if (onPath.contains(resolved)) {
                        throw MagicException.failed("Not copying " + root + ": the link " + rel + " leads back to"
                                + " a folder that contains it (" + resolved + "), so its content never ends. Remove"
                                + " the link or add it to the ignore file.");
                    }
                    Files.createDirectories(into.resolve(rel));
                    folder(resolved, rel + "/", chain, onPath);
                    continue;
                }
                if (isSecretFile(name) && !Boolean.FALSE.equals(decision)) {
                    secrets.add(rel);
                    continue;
                }
                if (Boolean.TRUE.equals(decision) || !Files.isRegularFile(resolved)) {
                    ignored.add(rel); // ignored, or a socket or pipe: not a file to copy
                    continue;
                }
                Path copy = into.resolve(rel);
                Files.copy(resolved, copy, StandardCopyOption.REPLACE_EXISTING);
                Files.setLastModifiedTime(copy, Files.getLastModifiedTime(resolved));
                files++;
                bytes += Files.size(copy);
            }
            onPath.remove(real);
        }

        /** The path to read for {@code entry}: its real path, which must lie inside the project. */
        private Path resolve(Path entry, String rel) throws IOException, MagicException {
            if (!Files.isSymbolicLink(entry)) {
                return entry.toRealPath();
            }
            Path real;
            try {
                real = entry.toRealPath();
            } catch (NoSuchFileException e) {
                throw MagicException.failed("Not copying " + root + ": the link " + rel + " points to "
                        + Files.readSymbolicLink(entry) + ", which does not exist. Fix or remove the link, or add it"
                        + " to the ignore file.");
            }
            if (!real.startsWith(project)) {
                throw MagicException.failed("Not copying " + root + ": the link " + rel + " points to " + real
                        + ", outside the project " + project + ". Copy what it needs into the project (or link"
                        + " to a folder inside it), or add " + rel + " to the ignore file.");
            }
            return real;
        }
    }
}

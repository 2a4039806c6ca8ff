package dev.drydock.magics.aml;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The patterns of one {@code .amlignore} or {@code .gitignore}, on java.nio glob matchers. Supported, as git
 * reads them: blank lines and {@code #} comments; {@code \#} and {@code \!} for a leading literal {@code #} or
 * {@code !}; {@code !pattern} re-includes (the last matching line wins); a trailing {@code /} matches folders
 * only; a pattern without a {@code /} (other than a trailing one) matches a name at any depth; one with a
 * {@code /} is relative to the ignore file's folder (a leading {@code /} only anchors); {@code *}, {@code ?},
 * {@code [abc]}, {@code [!abc]}, and {@code **} as a leading {@code **}{@code /}, a trailing {@code /**} or a
 * middle {@code /**}{@code /}. As in git, nothing inside an ignored folder can be re-included, since the
 * folder is not entered.
 *
 * <p>Not supported: ignore files in subfolders, {@code .git/info/exclude} and the global excludes file; trailing
 * blanks escaped with a backslash.
 */
public final class IgnoreRules {

    /** No patterns: ignores nothing. */
    public static final IgnoreRules NONE = new IgnoreRules(List.of());

    private record Rule(List<PathMatcher> matchers, boolean negated, boolean folderOnly, boolean anchored) {}

    private final List<Rule> rules;

    private IgnoreRules(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    public static IgnoreRules read(Path file) throws IOException {
        return parse(Files.readAllLines(file));
    }

    public static IgnoreRules parse(List<String> lines) {
        List<Rule> rules = new ArrayList<>();
        for (String raw : lines) {
            String line = raw.stripTrailing();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            boolean negated = line.startsWith("!");
            if (negated) {
                line = line.substring(1);
            } else if (line.startsWith("\\#") || line.startsWith("\\!")) {
                line = line.substring(1);
            }
            boolean folderOnly = line.endsWith("/");
            while (line.endsWith("/")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isEmpty()) {
                continue;
            }
            boolean anchored = line.contains("/");
            if (line.startsWith("/")) {
                line = line.substring(1);
            }
            List<PathMatcher> matchers = new ArrayList<>();
            for (String variant : variants(line)) {
                try {
                    matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + escapeBraces(variant)));
                } catch (IllegalArgumentException e) {
                    // A line that is no valid glob ignores nothing, as git skips what it cannot parse.
                }
            }
            if (!matchers.isEmpty()) {
                rules.add(new Rule(matchers, negated, folderOnly, anchored));
            }
        }
        return new IgnoreRules(rules);
    }

    /** Java's {@code **}{@code /} needs at least one folder where git's matches none, so both forms are tried. */
    private static Set<String> variants(String pattern) {
        Set<String> variants = new LinkedHashSet<>();
        variants.add(pattern);
        if (pattern.startsWith("**/")) {
            variants.addAll(variants(pattern.substring(3)));
        }
        int middle = pattern.indexOf("/**/");
        if (middle >= 0) {
            variants.addAll(variants(pattern.substring(0, middle) + pattern.substring(middle + 3)));
        }
        return variants;
    }

    /** Braces are literal in git's patterns and alternatives in Java's globs. */
    private static String escapeBraces(String pattern) {
        return pattern.replace("{", "\\{").replace("}", "\\}");
    }

    /**
     * Whether {@code relative} (a path under the ignore file's folder) is ignored.
     *
     * @param folder whether it is a folder, for patterns ending in {@code /}
     */
    public boolean ignored(Path relative, boolean folder) {
        boolean ignored = false;
        Path name = relative.getFileName();
        for (Rule rule : rules) {
            if (rule.folderOnly() && !folder) {
                continue;
            }
            Path subject = rule.anchored() ? relative : name;
            for (PathMatcher matcher : rule.matchers()) {
                if (matcher.matches(subject)) {
                    ignored = !rule.negated();
                    break;
                }
            }
        }
        return ignored;
    }
}

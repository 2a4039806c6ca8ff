package dev.drydock.magics.files;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;

/**
 * Answers one question: does a {@code .gitignore} or {@code .dockerignore} ignore a file that sits
 * in the same folder? Only the patterns that can match a top-level file name are considered
 * ({@code .env}, {@code /.env}, {@code *.env}, {@code .env*}, {@code **}{@code /.env}); later lines win
 * and {@code !pattern} un-ignores, as in git. Patterns with a folder part or a trailing {@code /} are
 * skipped: they cannot match the file, and a full gitignore engine is not worth a warning.
 */
public final class IgnoreFiles {

    /** The files whose silence about a secrets file earns a warning: git history and Docker build contexts. */
    public static final List<String> NAMES = List.of(".gitignore", ".dockerignore");

    private IgnoreFiles() {}

    /** {@code true} when the ignore file exists and its patterns ignore {@code fileName}. */
    public static boolean ignores(Path ignoreFile, String fileName) throws IOException {
        if (!Files.isRegularFile(ignoreFile)) {
            return false;
        }
        boolean ignored = false;
        for (String raw : Files.readAllLines(ignoreFile)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            boolean negated = line.startsWith("!");
            String pattern = negated ? line.substring(1) : line;
            if (pattern.startsWith("**/")) {
                pattern = pattern.substring(3);
            } else if (pattern.startsWith("/")) {
                pattern = pattern.substring(1);
            }
            if (pattern.isEmpty() || pattern.contains("/") || pattern.contains("{")) {
                continue;
            }
            if (matches(pattern, fileName)) {
                ignored = !negated;
            }
        }
        return ignored;
    }

    private static boolean matches(String pattern, String fileName) {
        try {
            PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
            return matcher.matches(Path.of(fileName));
        } catch (IllegalArgumentException e) {
            // PatternSyntaxException included: a line that is no valid glob ignores nothing.
            return false;
        }
    }
}

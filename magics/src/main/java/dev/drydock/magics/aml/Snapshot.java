package dev.drydock.magics.aml;

import dev.drydock.magics.MagicException;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * Copies a job's code folder into its run folder, so that what runs is what was submitted, whatever happens
 * to the repository afterwards. The ignore file is the code folder's {@code .amlignore}, else its
 * {@code .gitignore}, as the Azure ML SDK picks it (see {@link IgnoreRules} for the patterns it understands).
 * Always left out, whatever the ignore file says: every {@code .env} (secrets never go into a snapshot),
 * {@code .git}, and the runs folder itself when the code folder contains it.
 */
public final class Snapshot {

    /** The ignore files, in the order the first present one is taken. */
    public static final List<String> IGNORE_FILES = List.of(".amlignore", ".gitignore");

    /** What was copied; {@code skippedSecrets} are the {@code .env} files left out, relative to the code folder. */
    public record Copied(int files, long bytes, String ignoreFile, List<String> skippedSecrets) {}

    private Snapshot() {}

    /**
     * Copies {@code source} into {@code target} (created), leaving out what the ignore file and the rules above
     * leave out.
     *
     * @param exclude a folder never to copy (the runs folder), or null
     */
    public static Copied copy(Path source, Path target, Path exclude) throws MagicException {
        if (!Files.isDirectory(source)) {
            throw MagicException.failed("The job's code folder " + source + " does not exist or is not a folder.");
        }
        String ignoreName = IGNORE_FILES.stream().filter(name -> Files.isRegularFile(source.resolve(name))).findFirst()
                .orElse(null);
        IgnoreRules rules;
        try {
            rules = ignoreName == null ? IgnoreRules.NONE : IgnoreRules.read(source.resolve(ignoreName));
        } catch (IOException e) {
            throw MagicException.failed("Cannot read " + source.resolve(ignoreName) + ": " + e.getMessage());
        }
        Path excluded = exclude == null ? null : exclude.toAbsolutePath().normalize();
        Path root = source.toAbsolutePath().normalize();
        Path into = target.toAbsolutePath().normalize();
        List<String> secrets = new ArrayList<>();
        long[] totals = new long[2];
        try {
            Files.createDirectories(into);
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
                    if (dir.equals(root)) {
                        return FileVisitResult.CONTINUE;
                    }
                    Path relative = root.relativize(dir);
                    if (dir.equals(excluded) || dir.equals(into) || relative.toString().equals(".git")
                            || rules.ignored(relative, true)) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    Files.createDirectories(into.resolve(relative.toString()));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    Path relative = root.relativize(file);
                    if (file.getFileName().toString().equals(".env")) {
                        secrets.add(relative.toString());
                        return FileVisitResult.CONTINUE;
                    }
                    // A link to a folder would pull in what lies outside the code folder; links to files are copied
                    // as the files they point at.
                    if (!Files.isRegularFile(file) || rules.ignored(relative, false)) {
                        return FileVisitResult.CONTINUE;
                    }
                    Files.copy(file, into.resolve(relative.toString()), StandardCopyOption.COPY_ATTRIBUTES,
                            StandardCopyOption.REPLACE_EXISTING);
                    totals[0]++;
                    totals[1] += Files.size(file);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw MagicException.failed("Copying the code folder " + source + " into the snapshot " + target
                    + " failed: " + e.getMessage());
        }
        return new Copied((int) totals[0], totals[1], ignoreName, secrets);
    }
}

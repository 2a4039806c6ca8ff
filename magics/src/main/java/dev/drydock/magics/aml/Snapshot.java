package dev.drydock.magics.aml;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.files.OutboundFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Copies a job's code folder into its run folder, so that what runs is what was submitted, whatever happens
 * to the repository afterwards. What is left out is {@link OutboundFiles}' policy with Azure ML's ignore files
 * (every folder's {@code .amlignore}, else its {@code .gitignore}): secret files, {@code .git}, what the ignore
 * files exclude, and the runs folder itself when the code folder contains it.
 */
public final class Snapshot {

    /** The ignore files, in the order the first present one is taken. */
    public static final List<String> IGNORE_FILES = OutboundFiles.Rules.AML.names();

    /** What was copied; {@code skippedSecrets} are the secret files left out, relative to the code folder. */
    public record Copied(int files, long bytes, String ignoreFile, List<String> skippedSecrets) {}

    private Snapshot() {}

    /**
     * Copies {@code source} into {@code target} (created), leaving out what the policy leaves out.
     *
     * <p>Links may point anywhere in the git repository around the code folder; outside a repository, anywhere in
     * the folder that holds the runs folder (the notebook's), so a shared {@code ../common} linked into the code
     * folder arrives as its content.
     *
     * @param exclude a folder never to copy (the runs folder), or null
     */
    public static Copied copy(Path source, Path target, Path exclude) throws MagicException {
        return copy(source, target, exclude, OutboundFiles.Rules.AML);
    }

    /**
     * Copies an environment's {@code build: {path: ...}} folder: a Docker build context, so under Docker's rules
     * (the context root's {@code .dockerignore}), as {@code docker build} and Azure ML's image build read it; secret
     * files and {@code .git} stay out as everywhere.
     */
    public static Copied buildContext(Path source, Path target, Path exclude) throws MagicException {
        return copy(source, target, exclude, OutboundFiles.Rules.DOCKER);
    }

    private static Copied copy(Path source, Path target, Path exclude, OutboundFiles.Rules rules)
            throws MagicException {
        List<Path> excluded = new ArrayList<>();
        if (exclude != null) {
            excluded.add(exclude);
        }
        Path project = exclude == null ? null : exclude.toAbsolutePath().normalize().getParent();
        OutboundFiles.Copied copied = OutboundFiles.copy(source, target, rules, excluded, project);
        return new Copied(copied.files(), copied.bytes(), copied.ignoreFile(), copied.secretFiles());
    }
}

package dev.drydock.magics.aml;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Session;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The isolated folder of one submission, {@code runs/<job name>/} beside the notebook:
 * <pre>
 * job.json                 state, times, exit code, image, outputs
 * snapshot/code/           the code folder as submitted (.amlignore/.gitignore honoured, never .env)
 * snapshot/job.yaml        the job as submitted, after --set and --name, code pointing at ./code
 * snapshot/environment/    what defines the environment: spec files, Dockerfile or build context, image id
 * wd/                      the job's working folder: a writable copy of snapshot/code (the snapshot stays as it was)
 * logs/std_log.txt         stdout and stderr of the command, as Azure ML names it
 * outputs/NAME/            each output folder; outputs/ is also the job's ./outputs; metrics.json here or in
 *                          outputs/ is read by %aml status
 * mlruns/                  the job's MLflow file store (MLFLOW_TRACKING_URI); its metrics are read by %aml status
 * </pre>
 */
public record RunFolder(Path root) {

    public static final String RUNS = "runs";

    public static Path runs(Session session) {
        return session.workingDirectory().resolve(RUNS);
    }

    public static RunFolder of(Session session, String name) {
        return new RunFolder(runs(session).resolve(name));
    }

    /** The run folder of an existing local job, or an error listing how to find one. */
    public static RunFolder existing(Session session, String name) throws MagicException {
        RunFolder folder = of(session, name);
        if (!Files.isRegularFile(folder.root().resolve(JobRecord.FILE))) {
            throw MagicException.failed("No local job named " + name + " (no " + folder.root().resolve(JobRecord.FILE)
                    + "). %aml ls lists the jobs there are.");
        }
        return folder;
    }

    /** Every local job's folder, in name order. */
    public static List<RunFolder> all(Session session) throws MagicException {
        List<RunFolder> folders = new ArrayList<>();
        Path runs = runs(session);
        if (!Files.isDirectory(runs)) {
            return folders;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(runs,
                path -> Files.isRegularFile(path.resolve(JobRecord.FILE)))) {
            stream.forEach(path -> folders.add(new RunFolder(path)));
        } catch (IOException e) {
            throw MagicException.failed("Cannot list " + runs + ": " + e.getMessage());
        }
        folders.sort((a, b) -> a.root().compareTo(b.root()));
        return folders;
    }

    /**
     * Takes this folder for one submission, or throws {@code taken} when it exists: one atomic create-if-absent
     * (mkdir), so of two kernels submitting one name at once exactly one gets it. Checking first and creating
     * later (while copying the snapshot) let both through.
     */
    public void claim(MagicException taken) throws MagicException {
        try {
            Files.createDirectories(root.getParent());
            Files.createDirectory(root);
        } catch (FileAlreadyExistsException e) {
            throw taken;
        } catch (IOException e) {
            throw MagicException.failed("Cannot create the run folder " + root + ": " + e.getMessage());
        }
    }

    public Path snapshot() {
        return root.resolve("snapshot");
    }

    public Path code() {
        return snapshot().resolve("code");
    }

    /** The job's working folder, a copy of {@link #code()} it may write into. */
    public Path working() {
        return root.resolve("wd");
    }

    public Path mlruns() {
        return root.resolve("mlruns");
    }

    public Path environment() {
        return snapshot().resolve("environment");
    }

    public Path jobYaml() {
        return snapshot().resolve("job.yaml");
    }

    public Path log() {
        return root.resolve("logs").resolve("std_log.txt");
    }

    public Path outputs() {
        return root.resolve("outputs");
    }

    public JobRecord record() throws MagicException {
        return JobRecord.read(root);
    }
}

package dev.drydock.magics.env;

import dev.drydock.magics.MagicException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What defines an environment: a name, a base image, a stage and any of a conda environment file, a pip
 * requirements file and a list of Debian/Ubuntu packages. {@code folder} is where lock files go: beside
 * {@code environments.yml}, or the notebook's folder for an environment given by options.
 *
 * @param secrets names of session variables handed to the build as BuildKit secrets, never their values
 * @param buildArgs build arguments; never secrets (the engine keeps them in the image history)
 * @param locked whether {@code pip} and {@code conda} are the lock files of {@code %env lock}
 */
public record EnvSpec(String name, String base, Stage stage, Path conda, Path pip, Path apt, boolean gpu,
        List<String> secrets, Map<String, String> buildArgs, Path folder, boolean locked) {

    /** A repository name component, so {@code drydock/NAME} is a valid image name. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]+(?:[._-][a-z0-9]+)*");

    public EnvSpec {
        secrets = List.copyOf(secrets);
        buildArgs = Map.copyOf(buildArgs);
    }

    public String repository() {
        return "drydock/" + name;
    }

    public Optional<Path> condaFile() {
        return Optional.ofNullable(conda);
    }

    public Optional<Path> pipFile() {
        return Optional.ofNullable(pip);
    }

    public Optional<Path> aptFile() {
        return Optional.ofNullable(apt);
    }

    /** The lock file {@code %env lock} writes pip's resolved packages to. */
    public Path pipLock() {
        return folder.resolve(name + ".lock.txt");
    }

    /** The lock file {@code %env lock} writes {@code conda list --explicit} to, where the image has conda. */
    public Path condaLock() {
        return folder.resolve(name + ".conda-lock.txt");
    }

    /** Checks the name and that every named file exists, naming what is wrong and where it came from. */
    public EnvSpec validated(String origin) throws MagicException {
        if (name == null || !NAME.matcher(name).matches()) {
            throw MagicException.usage("Bad environment name '" + name + "' (" + origin + "): use lowercase letters,"
                    + " digits and single . _ - between them (it becomes the image name drydock/NAME).");
        }
        if (base == null || base.isBlank()) {
            throw MagicException.usage("Environment " + name + " has no base image (" + origin
                    + "): give --base IMAGE or `base:` in environments.yml.");
        }
        for (Path file : new Path[] {conda, pip, apt}) {
            if (file != null && !Files.isRegularFile(file)) {
                throw MagicException.failed("Environment " + name + " names " + file + " (" + origin
                        + "), which does not exist or is not a file.");
            }
        }
        for (String secret : secrets) {
            if (!dev.drydock.magics.Session.VARIABLE_NAME.matcher(secret).matches()) {
                throw MagicException.usage("Bad secret name '" + secret + "' (" + origin + "): a secret is the name of"
                        + " a variable loaded with %dotenv, such as PIP_INDEX_URL.");
            }
        }
        return this;
    }

    /** This environment built from its lock files instead of its specs. */
    public EnvSpec lockedVersion() throws MagicException {
        if (!Files.isRegularFile(pipLock()) && !Files.isRegularFile(condaLock())) {
            throw MagicException.failed("Environment " + name + " has no lock file (" + pipLock() + "): run"
                    + " %env lock " + name + " first.");
        }
        Path lockedPip = Files.isRegularFile(pipLock()) ? pipLock() : null;
        Path lockedConda = Files.isRegularFile(condaLock()) ? condaLock() : conda;
        return new EnvSpec(name, base, stage, lockedConda, lockedPip, apt, gpu, secrets, buildArgs, folder, true);
    }
}

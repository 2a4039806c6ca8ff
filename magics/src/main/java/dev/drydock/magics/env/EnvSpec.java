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
 * @param dockerfile a user's Dockerfile that defines the environment instead of a base and spec files; its
 *     spec files, where given, are then only the pins {@code %env verify} checks
 * @param target the stage of {@code dockerfile} to build; null for its last
 * @param context the build context of {@code dockerfile}; what its {@code .dockerignore} lets through is hashed
 * @param poetry a {@code pyproject.toml} beside its {@code poetry.lock}: the locked set installed like {@code pip}
 * @param groups the poetry dependency groups installed besides the main one
 */
public record EnvSpec(String name, String base, Stage stage, Path conda, Path pip, Path apt, boolean gpu,
        List<String> secrets, Map<String, String> buildArgs, Path folder, boolean locked, Path dockerfile,
        String target, Path context, Path poetry, List<String> groups) {

    /** A repository name component, so {@code drydock/NAME} is a valid image name. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]+(?:[._-][a-z0-9]+)*");

    public EnvSpec {
        secrets = List.copyOf(secrets);
        buildArgs = Map.copyOf(buildArgs);
        groups = groups == null ? List.of() : List.copyOf(groups);
    }

    /** An environment rendered from a base image and spec files. */
    public EnvSpec(String name, String base, Stage stage, Path conda, Path pip, Path apt, boolean gpu,
            List<String> secrets, Map<String, String> buildArgs, Path folder, boolean locked) {
        this(name, base, stage, conda, pip, apt, gpu, secrets, buildArgs, folder, locked, null, null, null, null,
                List.of());
    }

    /** This definition with a poetry project as its pip packages. */
    public EnvSpec withPoetry(Path pyproject, List<String> withGroups) {
        return new EnvSpec(name, base, stage, conda, pip, apt, gpu, secrets, buildArgs, folder, locked, dockerfile,
                target, context, pyproject, withGroups);
    }

    /** This definition built from a user's Dockerfile. */
    public EnvSpec withDockerfile(Path file, String stageName, Path contextFolder) {
        return new EnvSpec(name, base, stage, conda, pip, apt, gpu, secrets, buildArgs, folder, locked, file,
                stageName, contextFolder == null && file != null ? file.toAbsolutePath().getParent() : contextFolder,
                poetry, groups);
    }

    /** Whether pip installs something: a requirements file or a poetry project's locked set. */
    public boolean hasPip() {
        return pip != null || poetry != null;
    }

    /** The requirements pip installs: the file's text, or the poetry project's locked set. */
    public String pipRequirements() throws MagicException {
        if (poetry != null) {
            return PoetryLock.export(poetry, groups).requirements("# From " + poetry.getFileName() + " and poetry.lock"
                    + " (main" + (groups.isEmpty() ? "" : ", " + String.join(", ", groups)) + ")\n");
        }
        return pip == null ? "" : SpecFiles.text(pip);
    }

    /** Whether a user's Dockerfile defines it (else Drydock renders one from its stage's template). */
    public boolean fromDockerfile() {
        return dockerfile != null;
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
        if (dockerfile == null && (base == null || base.isBlank())) {
            throw MagicException.usage("Environment " + name + " has no base image and no Dockerfile (" + origin
                    + "): give --base IMAGE or --dockerfile FILE (`base:` or `dockerfile:` in environments.yml).");
        }
        if (dockerfile != null && base != null) {
            throw MagicException.usage("Environment " + name + " names both a base image and a Dockerfile (" + origin
                    + "): the Dockerfile's FROM is its base, so give one of them.");
        }
        if (dockerfile == null && (target != null || context != null)) {
            throw MagicException.usage("Environment " + name + " has a target stage or a context but no Dockerfile ("
                    + origin + "): they go with --dockerfile FILE.");
        }
        if (context != null && !Files.isDirectory(context)) {
            throw MagicException.failed("Environment " + name + " names the build context " + context + " (" + origin
                    + "), which is not a folder.");
        }
        if (poetry != null && pip != null) {
            throw MagicException.usage("Environment " + name + " names both a pip requirements file and a poetry project ("
                    + origin + "): give one of them.");
        }
        if (poetry == null && !groups.isEmpty()) {
            throw MagicException.usage("Environment " + name + " chooses poetry groups " + groups + " but no poetry project ("
                    + origin + "): --with goes with --poetry pyproject.toml.");
        }
        if (poetry != null && !Files.isRegularFile(poetry.resolveSibling("poetry.lock"))) {
            throw MagicException.failed("Environment " + name + " names the poetry project " + poetry + " (" + origin
                    + "), which has no poetry.lock beside it: run poetry lock there first.");
        }
        for (Path file : new Path[] {conda, pip, apt, dockerfile, poetry}) {
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
        if (dockerfile != null) {
            throw MagicException.usage("Environment " + name + " is built from its Dockerfile " + dockerfile
                    + ", which pins what it installs itself: --locked is for environments Drydock renders.");
        }
        if (!Files.isRegularFile(pipLock()) && !Files.isRegularFile(condaLock())) {
            throw MagicException.failed("Environment " + name + " has no lock file (" + pipLock() + "): run"
                    + " %env lock " + name + " first.");
        }
        Path lockedPip = Files.isRegularFile(pipLock()) ? pipLock() : null;
        Path lockedConda = Files.isRegularFile(condaLock()) ? condaLock() : conda;
        // The lock file holds the poetry project's packages too, resolved: it replaces the project.
        return new EnvSpec(name, base, stage, lockedConda, lockedPip, apt, gpu, secrets, buildArgs, folder, true,
                null, null, null, lockedPip == null ? poetry : null, lockedPip == null ? groups : List.of());
    }
}

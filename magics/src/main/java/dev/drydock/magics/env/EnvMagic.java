package dev.drydock.magics.env;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.MagicCommand;
import dev.drydock.magics.engine.Docker;
import dev.drydock.magics.engine.DockerEngine;
import dev.drydock.magics.files.AtomicFiles;
import dev.drydock.magics.registry.ImageTransfer;
import dev.drydock.magics.registry.RegistryCredentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import dev.drydock.magics.render.Table;
import picocli.CommandLine.ParentCommand;

/** {@code %env}: pinned environments as content-addressed Docker images, one per lifecycle stage. */
@Command(name = "env",
        description = {
            "Build pinned environments into Docker images per stage and check them. Stages:",
            "eo, train (or e13n), score (or ss), deploy (or o16n).",
            "",
            "As in IPython: %%env NAME=VALUE sets a variable, %%env NAME= empties it,",
            "%%env NAME shows it, %%env alone lists them (*KEY*, *TOKEN*, *PASS* hidden).",
            "",
            "Examples:",
            "  %%env FOO=bar",
            "  %%env build train --base python:3.11-slim --pip requirements.txt --stage e13n",
            "  %%env build train            (from environments.yml beside the notebook)",
            "  %%env verify train",
            "  %%env lock train",
            "  %%env push train 127.0.0.1:5000/team/train"
        },
        subcommands = {EnvMagic.Build.class, EnvMagic.Ls.class, EnvMagic.Show.class, EnvMagic.Verify.class,
            EnvMagic.Lock.class, EnvMagic.Diff.class, EnvMagic.Push.class, EnvDevcontainer.class})
public final class EnvMagic extends MagicCommand {

    /** Names whose values {@code %env} lists as hidden, as IPython's {@code %env} does. */
    private static final java.util.regex.Pattern SENSITIVE =
            java.util.regex.Pattern.compile("(?i).*(KEY|TOKEN|SECRET|PASS|PWD|CREDENTIAL).*");

    @Parameters(arity = "0..*", paramLabel = "NAME[=VALUE]", description = "A variable for $${NAME} and shell"
            + " commands, as IPython's %%env takes it; a first word that names a subcommand is that subcommand.")
    List<String> words = new ArrayList<>();

    @Override
    protected void run() throws MagicException {
        if (words.isEmpty()) {
            list();
            return;
        }
        String first = words.get(0);
        int eq = first.indexOf('=');
        String name = eq < 0 ? first : first.substring(0, eq);
        if (words.size() > 1 || !Session.VARIABLE_NAME.matcher(name).matches()) {
            throw MagicException.usage("Unknown subcommand " + first + ": use build, ls, show, verify, lock, diff, push"
                    + " or devcontainer; or, as in IPython, %env NAME=VALUE to set a variable, %env NAME to show it,"
                    + " %env alone to list them. %env --help says more.");
        }
        if (eq >= 0) {
            String value = first.substring(eq + 1);
            session.setVariable(name, value);
            // IPython's echo; the notebook masks it if the value carries a secret.
            notebook.out("env: " + name + "=" + value + "\n");
            return;
        }
        notebook.out(session.variable(name).orElseThrow(() -> MagicException.failed("Environment does not have key: "
                + name + " (set it with %env " + name + "=VALUE or load it with %dotenv).")) + "\n");
    }

    /** Every variable a shell command sees, values of secret-looking names hidden, as IPython lists them. */
    private void list() {
        StringBuilder text = new StringBuilder();
        new java.util.TreeMap<>(session.subprocessEnvironment()).forEach((k, v) -> text.append(k).append('=')
                .append(SENSITIVE.matcher(k).matches() ? "<hidden>" : v).append('\n'));
        notebook.out(text.toString());
    }

    final Session session;
    final Notebook notebook;
    final Docker docker;
    final ImageBuilder builder;
    final RegistryCredentials credentials;

    /** The family's collaborators, given once here; every verb reaches them through its parent command. */
    public EnvMagic(Session session, Notebook notebook, Docker docker, ImageBuilder builder,
            RegistryCredentials credentials) {
        this.session = session;
        this.notebook = notebook;
        this.docker = docker;
        this.builder = builder;
        this.credentials = credentials;
    }

    /** What every subcommand needs: its family's collaborators, injected by picocli as the parent command. */
    abstract static class EnvCommand extends MagicCommand {
        @ParentCommand
        EnvMagic family;

        Session session() {
            return family.session;
        }

        Notebook notebook() {
            return family.notebook;
        }

        Environments environments() throws MagicException {
            return new Environments(family.session, family.docker.engine(), family.builder, family.credentials);
        }
    }

    @Command(name = "build", description = {
        "Build an environment's image, or say it is unchanged. The tag is drydock/NAME:HASH, where HASH",
        "covers the base image id, the spec files, the rendered Dockerfile, build arguments and the",
        "template; an unchanged environment is not rebuilt, a changed one says which input changed.",
        "With --dockerfile FILE your own Dockerfile is the environment: HASH covers it, --target, the build",
        "arguments and every file of the context that .dockerignore lets through; a rebuild names the files",
        "that changed. Spec files given with it (--pip ...) are then what %%env verify checks, not installed.",
        "",
        "Without --base or --dockerfile, NAME comes from environments.yml beside the notebook (all of them",
        "when NAME is left out). Its schema, with paths relative to the file:",
        "  environments:",
        "    train:",
        "      base: python:3.11-slim      # required",
        "      stage: train                # eo | train (e13n) | score (ss) | deploy (o16n); default train",
        "      conda: conda_dependencies.yml",
        "      pip: requirements.txt       # or poetry: pyproject.toml (its poetry.lock) and with: [dev]",
        "      apt: apt.txt                # one Debian package per line, name or name=version",
        "      gpu: false",
        "      secrets: [PIP_INDEX_URL]    # %%dotenv variables, mounted with BuildKit, never stored",
        "      args: {HTTP_PROXY: ...}     # build arguments; never secrets",
        "    score:",
        "      base: python:3.11-slim",
        "      stage: score",
        "      pip: score-requirements.txt",
        "    serve:",
        "      dockerfile: docker/score/Dockerfile   # instead of base: your own Dockerfile",
        "      target: runtime             # its stage to build (default the last)",
        "      context: .                  # default the Dockerfile's folder"
    })
    public static final class Build extends EnvCommand {

        @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The environment (image drydock/NAME).")
        String name;

        @Option(names = "--base", paramLabel = "IMAGE", description = "The base image; defines the environment from options.")
        String base;

        @Option(names = "--stage", paramLabel = "STAGE", description = "eo, train (or e13n), score (or ss), deploy (or o16n: a slim serving image); default train.")
        String stage;

        @Option(names = "--conda", paramLabel = "FILE", description = "A conda environment file (channels, dependencies, pip:).")
        String conda;

        @Option(names = "--pip", paramLabel = "FILE", description = "A pip requirements file.")
        String pip;

        @Option(names = "--apt", paramLabel = "FILE", description = "A file listing Debian/Ubuntu packages, one a line.")
        String apt;

        @Option(names = "--gpu", description = "Mark the image for GPUs (NVIDIA Container Toolkit variables).")
        boolean gpu;

        @Option(names = "--secret", paramLabel = "VAR", description = "A %%dotenv variable the pip/conda steps need"
                + " (PIP_INDEX_URL): mounted with BuildKit, never in the image. Repeatable.")
        List<String> secrets = new ArrayList<>();

        @Option(names = "--build-arg", paramLabel = "K=V", description = "A build argument (never a secret). Repeatable.")
        Map<String, String> buildArgs = new LinkedHashMap<>();

        @Option(names = "--locked", description = "Build from the lock files of %%env lock instead of the specs.")
        boolean locked;

        @Option(names = "--poetry", paramLabel = "FILE", description = "A poetry project's pyproject.toml: the locked"
                + " set of its poetry.lock (main group) is installed like a pip requirements file.")
        String poetry;

        @Option(names = "--with", paramLabel = "GROUP", description = "A poetry dependency group to install besides"
                + " main. Repeatable.")
        List<String> with = new ArrayList<>();

        @Option(names = "--dockerfile", paramLabel = "FILE", description = "Your own Dockerfile defines the environment"
                + " instead of --base; its context is hashed, so an unchanged one is not rebuilt.")
        String dockerfile;

        @Option(names = "--target", paramLabel = "STAGE", description = "The stage of the --dockerfile to build.")
        String target;

        @Option(names = "--context", paramLabel = "DIR", description = "The build context of the --dockerfile"
                + " (default its folder); what its .dockerignore excludes is neither sent nor hashed.")
        String context;

        @Override
        protected void run() throws MagicException {
            List<EnvSpec> specs = new ArrayList<>();
            if (base != null || dockerfile != null) {
                if (name == null) {
                    throw MagicException.usage("Name the environment: %env build NAME "
                            + (base != null ? "--base " + base : "--dockerfile " + dockerfile) + " ...");
                }
                specs.add(new EnvSpec(name, base, stage == null ? Stage.TRAIN : Stage.parse(stage), file(conda),
                        file(pip), file(apt), gpu, secrets, buildArgs, session().workingDirectory(), false)
                        .withDockerfile(file(dockerfile), target, file(context))
                        .withPoetry(file(poetry), with)
                        .validated("the options of %env build"));
            } else {
                if (conda != null || pip != null || poetry != null || !with.isEmpty() || apt != null || stage != null || gpu || !secrets.isEmpty()
                        || !buildArgs.isEmpty() || target != null || context != null) {
                    throw MagicException.usage("--stage, --conda, --pip, --poetry, --with, --apt, --gpu, --secret, --build-arg, --target and"
                            + " --context define an environment together with --base IMAGE or --dockerfile FILE; without"
                            + " them the environment comes from " + SpecFiles.ENVIRONMENTS_FILE + " or its last build.");
                }
                Environments environments = environments();
                if (name != null) {
                    specs.add(environments.resolve(name));
                } else {
                    specs.addAll(environments.fromFile().values());
                    if (specs.isEmpty()) {
                        throw MagicException.usage("Name the environment to build, or define some in "
                                + session().workingDirectory().resolve(SpecFiles.ENVIRONMENTS_FILE) + " (see %env build --help).");
                    }
                }
            }
            Environments environments = environments();
            for (EnvSpec spec : specs) {
                environments.build(locked ? spec.lockedVersion() : spec, notebook());
            }
        }

        private Path file(String path) {
            return path == null ? null : session().resolve(path);
        }
    }

    @Command(name = "ls", description = "List the environment images on the engine: name, stage, tag, image id, size, built at.")
    public static final class Ls extends EnvCommand {

        @Override
        protected void run() throws MagicException {
            List<List<String>> rows = new ArrayList<>();
            for (Environments.Build build : environments().builds(null)) {
                rows.add(List.of(build.name(), build.stage(), build.tag(), Environments.shortId(build.imageId()),
                        Table.size(build.size()), build.created()));
            }
            if (rows.isEmpty()) {
                notebook().out("No environment images yet: %env build NAME --base IMAGE ... makes one.\n");
                return;
            }
            notebook().display(new Table(List.of("name", "stage", "tag", "image id", "size", "built at"), rows).bundle(), null);
        }
    }

    @Command(name = "show", description = "Show the newest image of an environment: its Dockerfile, hash and labels.")
    public static final class Show extends EnvCommand {

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        protected void run() throws MagicException {
            Environments.Build build = environments().latestOrFail(name);
            Map<String, String> labels = build.labels();
            StringBuilder text = new StringBuilder();
            text.append("Image ").append(build.tag()).append(" (").append(build.imageId()).append(")\n");
            text.append("Spec hash ").append(labels.getOrDefault(Environments.LABEL_HASH, "?")).append("\n\n");
            text.append(labels.getOrDefault(Environments.LABEL_DOCKERFILE, "(no Dockerfile recorded)").stripTrailing())
                    .append("\n\nLabels:\n");
            labels.forEach((k, v) -> {
                if (!k.equals(Environments.LABEL_DOCKERFILE)) {
                    text.append("  ").append(k).append('=').append(v).append('\n');
                }
            });
            notebook().out(text.toString());
        }
    }

    @Command(name = "verify", description = {
        "Check, inside the newest image of an environment, the version of every package its spec pins",
        "(pip, conda, apt); a mismatch or a missing package is an error listing them."})
    public static final class Verify extends EnvCommand {

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        protected void run() throws MagicException {
            Environments environments = environments();
            EnvSpec spec = environments.resolve(name);
            Environments.Build build = environments.latestOrFail(name);
            List<Pin> pins = SpecFiles.pins(spec);
            if (pins.isEmpty()) {
                notebook().out(name + " pins no packages: nothing to verify.\n");
                return;
            }
            Verification.Result result = Verification.check(pins, environments.packages(build.tag(), notebook()),
                    script -> environments.capture(build.tag(), script, notebook()));
            List<Verification.Row> rows = result.rows();
            List<List<String>> cells = Verification.cells(rows);
            notebook().display(new Table(Verification.HEADERS, cells).bundle(), null);
            List<Verification.Row> bad = rows.stream().filter(r -> !r.ok()).toList();
            if (!bad.isEmpty()) {
                throw MagicException.failed(bad.size() + " of " + rows.size() + " pinned packages of " + name
                        + " do not match inside " + build.tag() + ":\n" + new Table(Verification.HEADERS,
                        Verification.cells(bad)).plain().stripTrailing());
            }
            notebook().out("All " + rows.size() + " pinned packages of " + name + " match inside " + build.tag()
                    + " (versions compared there by " + result.decidedBy() + ").\n");
        }
    }

    @Command(name = "lock", description = {
        "Capture the exact packages inside the newest image of an environment into lock files beside its",
        "spec: NAME.lock.txt (pip freeze) and, where the image has conda, NAME.conda-lock.txt",
        "(conda list --explicit). %%env build NAME --locked builds from them."})
    public static final class Lock extends EnvCommand {

        static final String SCRIPT = """
                PY=$(command -v python || command -v python3)
                echo @@freeze
                [ -n "$PY" ] && "$PY" -m pip freeze --disable-pip-version-check
                echo @@explicit
                if command -v micromamba >/dev/null 2>&1; then micromamba env export -n base --explicit
                elif command -v conda >/dev/null 2>&1; then conda list -n base --explicit
                fi
                exit 0
                """;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        protected void run() throws MagicException {
            Environments environments = environments();
            EnvSpec spec = environments.resolve(name);
            Environments.Build build = environments.latestOrFail(name);
            Captured captured = Captured.parse(build.tag(), environments.capture(build.tag(), SCRIPT, notebook()));
            String freeze = captured.freeze();
            String explicit = captured.explicit();
            String header = "# Locked by %env lock " + name + " from " + build.tag() + " (" + build.imageId() + ") at "
                    + Instant.now().truncatedTo(ChronoUnit.SECONDS) + "\n";
            List<String> written = new ArrayList<>();
            if (spec.hasPip() || !freeze.isEmpty()) {
                List<String> lines = new ArrayList<>(spec.poetry() != null
                        ? PoetryLock.export(spec.poetry(), spec.groups()).options()
                        : spec.pip() == null ? List.of() : LockFiles.indexOptions(spec.pip(), spec.pipLock().getParent()));
                // Packages conda installed show as "name @ file:///...", which pip cannot install again.
                freeze.lines().filter(l -> !l.contains(" @ file://")).forEach(lines::add);
                write(spec.pipLock(), header + String.join("\n", lines) + "\n");
                written.add(spec.pipLock().toString());
            }
            if (explicit.contains("@EXPLICIT")) {
                write(spec.condaLock(), header + explicit + "\n");
                written.add(spec.condaLock().toString());
            }
            if (written.isEmpty()) {
                throw MagicException.failed("Found neither pip nor conda inside " + build.tag() + ": nothing to lock.");
            }
            notebook().out("Locked " + name + " from " + build.tag() + " into " + String.join(" and ", written) + ".\n");
        }

        /** What {@link #SCRIPT} printed: pip's freeze and conda's explicit list, each possibly empty. */
        record Captured(String freeze, String explicit) {

            /**
             * Reads the two sections by their markers. Output without them in order (a shell that printed
             * something else, a log cut short) is an error naming the image, never an index out of bounds.
             */
            static Captured parse(String image, String out) throws MagicException {
                int freezeAt = out.indexOf("@@freeze");
                int explicitAt = freezeAt < 0 ? -1 : out.indexOf("@@explicit", freezeAt);
                if (freezeAt < 0 || explicitAt < 0) {
                    String shown = out.strip();
                    throw MagicException.failed("Reading the packages inside " + image + " gave unexpected output"
                            + (shown.isEmpty() ? " (none)" : ": " + (shown.length() > 300 ? shown.substring(0, 300) + "…" : shown))
                            + ". The image needs a POSIX shell (/bin/sh) for %env lock.");
                }
                return new Captured(out.substring(freezeAt + "@@freeze".length(), explicitAt).strip(),
                        out.substring(explicitAt + "@@explicit".length()).strip());
            }
        }

        private static void write(Path file, String text) throws MagicException {
            try {
                AtomicFiles.write(file, text.getBytes(StandardCharsets.UTF_8), false, null);
            } catch (IOException e) {
                throw MagicException.failed("Cannot write " + file + ": " + e.getMessage());
            }
        }
    }

    @Command(name = "diff", description = "Show the packages (pip, conda, apt) whose versions differ between two environments or images.")
    public static final class Diff extends EnvCommand {

        @Parameters(index = "0", paramLabel = "A", description = "An environment name or an image.")
        String a;

        @Parameters(index = "1", paramLabel = "B", description = "An environment name or an image.")
        String b;

        @Override
        protected void run() throws MagicException {
            Environments environments = environments();
            String imageA = image(environments, a);
            String imageB = image(environments, b);
            List<List<String>> rows = Verification.diff(environments.packages(imageA, notebook()),
                    environments.packages(imageB, notebook()));
            if (rows.isEmpty()) {
                notebook().out("No package differences between " + imageA + " and " + imageB + ".\n");
                return;
            }
            notebook().display(new Table(List.of("manager", "package", a, b), rows).bundle(), null);
        }

        private static String image(Environments environments, String nameOrImage) throws MagicException {
            Optional<Environments.Build> build = nameOrImage.contains(":") || nameOrImage.contains("/") ? Optional.empty()
                    : environments.latest(nameOrImage);
            if (build.isPresent()) {
                return build.get().tag();
            }
            if (environments.inspect(nameOrImage).isEmpty()) {
                throw MagicException.failed(nameOrImage + " is neither a built environment nor an image on the engine.");
            }
            return nameOrImage;
        }
    }

    @Command(name = "push", description = {
        "Tag the newest image of an environment as REGISTRY/REPO[:TAG] (the tag defaults to its hash) and push",
        "it, with one live progress display. Log in first with %%docker login REGISTRY; an Azure Container",
        "Registry (*.azurecr.io) without a login takes the Azure identity's token, as az acr login does."})
    public static final class Push extends EnvCommand {

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "REGISTRY/REPO[:TAG]")
        String target;

        @Override
        protected void run() throws MagicException {
            DockerEngine engine = family.docker.engine();
            Environments.Build build = new Environments(session(), engine, family.builder, family.credentials).latestOrFail(name);
            int slash = target.lastIndexOf('/');
            int colon = target.lastIndexOf(':');
            String repository = colon > slash ? target.substring(0, colon) : target;
            String tag = colon > slash ? target.substring(colon + 1) : build.tag().substring(build.tag().lastIndexOf(':') + 1);
            engine.client().tagImageCmd(build.imageId(), repository, tag).exec();
            ImageTransfer.push(engine, family.credentials, repository + ":" + tag, notebook());
            notebook().out("Pushed " + build.tag() + " as " + repository + ":" + tag + ".\n");
        }
    }

    static String joined(List<String> parts) {
        return parts.stream().collect(Collectors.joining(", "));
    }
}

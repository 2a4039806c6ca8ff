package dev.drydock.magics.aml;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.engine.DockerEngine;
import dev.drydock.magics.env.BuildLog;
import dev.drydock.magics.env.EnvSpec;
import dev.drydock.magics.env.Environments;
import dev.drydock.magics.env.ImageBuilder;
import dev.drydock.magics.env.Stage;
import dev.drydock.magics.files.AtomicFiles;
import dev.drydock.magics.registry.ImageTransfer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Turns a job's {@code environment:} into an image on the local engine, and records in the snapshot's
 * {@code environment/} folder what defines it: the Drydock environment's spec files and rendered Dockerfile,
 * the copied build context, or the image reference and id.
 * <ul>
 *   <li>an image is used as it is (pulled when the engine lacks it);</li>
 *   <li>a Drydock environment, and an inline {@code image} + {@code conda_file}, go through {@code %env}'s
 *   content-addressed build, so an unchanged one is not rebuilt;</li>
 *   <li>a {@code build:} context is copied into the snapshot and built from there, tagged by the hash of its
 *   files, so an unchanged context is not rebuilt either;</li>
 *   <li>{@code azureml:} assets live in a workspace and cannot run locally.</li>
 * </ul>
 */
final class LocalEnvironment {

    static final String LABEL_CONTEXT_HASH = "dev.drydock.aml.context-hash";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The image to run, and whether this submission built it. */
    record Resolved(String description, String image, boolean built) {}

    private final LocalServices local;
    /** The kernel's engine, opened by the caller (which reports a failure to open it its own way). */
    private final DockerEngine engine;

    LocalEnvironment(LocalServices local, DockerEngine engine) {
        this.local = local;
        this.engine = engine;
    }

    /** Checks what can be checked before anything runs: a workspace asset cannot run locally. */
    static void checkLocal(JobSpec.Environment environment) throws MagicException {
        if (environment instanceof JobSpec.Registered registered) {
            throw MagicException.failed("The environment azureml:" + registered.name()
                    + (registered.version() != null ? ":" + registered.version() : "@" + registered.label())
                    + " is registered in an Azure ML workspace, and this job runs locally. Connect a workspace"
                    + " (%aml workspace), or give the job an environment Drydock can build here: an image"
                    + " (docker.io/library/python:3.11), a %env environment's name, {image: ..., conda_file: ...}"
                    + " or {build: {path: ...}}.");
        }
        if (environment instanceof JobSpec.Inline inline) {
            Path file = inline.buildPath() != null ? inline.buildPath() : inline.condaFile();
            if (inline.buildPath() != null ? !Files.isDirectory(file) : !Files.isRegularFile(file)) {
                throw MagicException.failed("The job's environment names " + file + ", which does not exist"
                        + (inline.buildPath() != null ? " or is not a folder (build.path is the Docker build context)."
                        : " (conda_file)."));
            }
        }
    }

    Resolved resolve(JobSpec.Environment environment, Path snapshotEnvironment) throws MagicException {
        checkLocal(environment);
        try {
            Files.createDirectories(snapshotEnvironment);
        } catch (IOException e) {
            throw MagicException.failed("Cannot create " + snapshotEnvironment + ": " + e.getMessage());
        }
        if (environment instanceof JobSpec.Image image) {
            return image(image.image(), snapshotEnvironment);
        }
        if (environment instanceof JobSpec.DrydockEnv env) {
            Environments environments = environments();
            return drydock(environments, environments.resolve(env.name()), snapshotEnvironment);
        }
        JobSpec.Inline inline = (JobSpec.Inline) environment;
        if (inline.condaFile() != null) {
            String name = inline.name() != null ? inline.name().toLowerCase() : "aml-conda";
            EnvSpec spec = new EnvSpec(name, inline.image(), Stage.TRAIN, inline.condaFile(), null, null, false,
                    List.of(), Map.of(), inline.condaFile().getParent(), false)
                    .validated("the job's inline environment");
            return drydock(environments(), spec, snapshotEnvironment);
        }
        return context(inline, snapshotEnvironment);
    }

    private Environments environments() {
        return new Environments(local.session(), engine, local.builder(), local.credentials());
    }

    private Resolved image(String image, Path snapshotEnvironment) throws MagicException {
        Optional<InspectImageResponse> found = inspect(image);
        if (found.isEmpty()) {
            ImageTransfer.pull(engine, local.credentials(), image, local.notebook());
            found = inspect(image);
        }
        ObjectNode record = JSON.createObjectNode().put("kind", "image").put("image", image)
                .put("imageId", found.map(InspectImageResponse::getId).orElse(null));
        write(snapshotEnvironment.resolve("environment.json"), record.toPrettyString());
        return new Resolved(image, image, false);
    }

    private Resolved drydock(Environments environments, EnvSpec spec, Path snapshotEnvironment) throws MagicException {
        Environments.Built built = environments.build(spec, local.notebook());
        for (var file : new TreeMap<>(Map.of("requirements.txt", Optional.ofNullable(spec.pip()),
                "conda.yml", Optional.ofNullable(spec.conda()), "apt.txt", Optional.ofNullable(spec.apt()),
                "requirements.lock.txt", Optional.of(spec.pipLock()).filter(Files::isRegularFile))).entrySet()) {
            if (file.getValue().isPresent()) {
                copy(file.getValue().get(), snapshotEnvironment.resolve(file.getKey()));
            }
        }
        Map<String, String> labels = inspect(built.tag()).map(i -> i.getConfig().getLabels()).orElse(Map.of());
        if (labels != null && labels.containsKey(Environments.LABEL_DOCKERFILE)) {
            write(snapshotEnvironment.resolve("Dockerfile"), labels.get(Environments.LABEL_DOCKERFILE));
        }
        ObjectNode record = JSON.createObjectNode().put("kind", "drydock").put("name", spec.name())
                .put("base", spec.base()).put("stage", spec.stage().label()).put("image", built.tag())
                .put("imageId", built.imageId()).put("hash", built.hash());
        write(snapshotEnvironment.resolve("environment.json"), record.toPrettyString());
        return new Resolved("%env " + spec.name() + " (" + built.tag() + ")", built.tag(), !built.unchanged());
    }

    private Resolved context(JobSpec.Inline inline, Path snapshotEnvironment) throws MagicException {
        Path context = snapshotEnvironment.resolve("context");
        Snapshot.Copied copied = Snapshot.buildContext(inline.buildPath(), context, null);
        if (!copied.skippedSecrets().isEmpty()) {
            local.notebook().out("Left " + String.join(", ", copied.skippedSecrets())
                    + " out of the build context: secrets never go into a snapshot or an image.\n");
        }
        Path dockerfile = context.resolve(inline.dockerfilePath()).normalize();
        if (!dockerfile.startsWith(context) || !Files.isRegularFile(dockerfile)) {
            throw MagicException.failed("The build context " + inline.buildPath() + " has no "
                    + inline.dockerfilePath() + " (environment.build.dockerfile_path).");
        }
        if (!dockerfile.equals(context.resolve("Dockerfile"))) {
            // The engine's build API reads Dockerfile at the top of the context.
            copy(dockerfile, context.resolve("Dockerfile"));
        }
        String hash = hash(context);
        String name = inline.name() != null ? inline.name().toLowerCase().replaceAll("[^a-z0-9._-]", "-") : "context";
        String tag = "drydock/aml-" + name + ":" + hash.substring(0, 12);
        ObjectNode record = JSON.createObjectNode().put("kind", "build").put("context", inline.buildPath().toString())
                .put("dockerfile", inline.dockerfilePath()).put("image", tag).put("hash", hash);
        write(snapshotEnvironment.resolve("environment.json"), record.toPrettyString());
        if (inspect(tag).isPresent()) {
            local.notebook().out("Build context unchanged: image " + tag + ".\n");
            return new Resolved("build context " + inline.buildPath() + " (" + tag + ")", tag, false);
        }
        Map<String, String> labels = new TreeMap<>();
        labels.put("org.opencontainers.image.created", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        labels.put("org.opencontainers.image.title", "aml-" + name);
        labels.put("org.opencontainers.image.description", "Drydock build of the Azure ML job environment context "
                + inline.buildPath());
        labels.put(LABEL_CONTEXT_HASH, hash);
        labels.put(Environments.LABEL_SESSION, local.session().id());
        labels.put(Environments.LABEL_SOURCE, inline.buildPath().toString());
        try (BuildLog log = new BuildLog("environment of the job (" + tag + ")", local.notebook())) {
            local.builder().build(engine, new ImageBuilder.Request(context, tag, labels, Map.of(), Map.of()), log,
                    local.notebook().cancellation());
            log.finish("Built");
        }
        return new Resolved("build context " + inline.buildPath() + " (" + tag + ")", tag, true);
    }

    /** SHA-256 over the context's files, by relative path and content, in path order. */
    static String hash(Path context) throws MagicException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java runtime has SHA-256", e);
        }
        try (Stream<Path> files = Files.walk(context)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                digest.update(("\0" + context.relativize(file) + "\0").getBytes(StandardCharsets.UTF_8));
                digest.update(Files.readAllBytes(file));
            }
        } catch (IOException e) {
            throw MagicException.failed("Cannot read the build context " + context + ": " + e.getMessage());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private Optional<InspectImageResponse> inspect(String image) {
        try {
            return Optional.of(engine.client().inspectImageCmd(image).exec());
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    private static void copy(Path from, Path to) throws MagicException {
        try {
            Files.createDirectories(to.getParent());
            Files.copy(from, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw MagicException.failed("Cannot copy " + from + " into the snapshot: " + e.getMessage());
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

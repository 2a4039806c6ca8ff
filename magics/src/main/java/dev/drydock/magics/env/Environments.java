package dev.drydock.magics.env;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Image;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.engine.DockerEngine;
import dev.drydock.magics.registry.ImageTransfer;
import dev.drydock.magics.registry.RegistryCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The environments of one notebook on one engine: finding their definitions, building them
 * content-addressed, and reading back what was built from the images' labels. The engine is the record
 * of what was built: every image carries its spec, its inputs' hashes and its Dockerfile as labels.
 */
public final class Environments {

    public static final String LABEL_ENV = "dev.drydock.env";
    public static final String LABEL_STAGE = "dev.drydock.stage";
    public static final String LABEL_HASH = "dev.drydock.spec-hash";
    public static final String LABEL_INPUTS = "dev.drydock.inputs";
    public static final String LABEL_SPEC = "dev.drydock.spec";
    public static final String LABEL_DOCKERFILE = "dev.drydock.dockerfile";
    public static final String LABEL_SOURCE = "dev.drydock.source";
    public static final String LABEL_SESSION = "dev.drydock.session";
    public static final String LABEL_DOCKERFILE_PATH = "dev.drydock.dockerfile-path";
    public static final String LABEL_CONTEXT = "dev.drydock.context";
    public static final String LABEL_TARGET = "dev.drydock.target";
    public static final String LABEL_CREATED = "org.opencontainers.image.created";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Session session;
    private final DockerEngine engine;
    private final ImageBuilder builder;
    private final RegistryCredentials credentials;

    public Environments(Session session, DockerEngine engine, ImageBuilder builder, RegistryCredentials credentials) {
        this.session = session;
        this.engine = engine;
        this.builder = builder;
        this.credentials = credentials;
    }

    /** What a build did: the tag, the image id, and whether it was already there. */
    public record Built(String tag, String imageId, boolean unchanged, String hash) {}

    /** An image of an environment, read back from the engine. */
    public record Build(String tag, String imageId, String name, String stage, long size, String created,
            Map<String, String> labels) {}

    // ---------------------------------------------------------------- definitions

    /** The environments of {@code environments.yml} beside the notebook; empty when there is none. */
    public Map<String, EnvSpec> fromFile() throws MagicException {
        Path file = session.workingDirectory().resolve(SpecFiles.ENVIRONMENTS_FILE);
        return Files.isRegularFile(file) ? SpecFiles.environments(file) : Map.of();
    }

    /**
     * The definition of {@code name}: from {@code environments.yml} beside the notebook, else the one
     * {@code %env build} used in this kernel, else the one the latest build of that name recorded in its
     * labels. The label comes last because an identical environment built from another folder records
     * that folder's files, which may be gone.
     */
    public EnvSpec resolve(String name) throws MagicException {
        EnvSpec fromFile = fromFile().get(name);
        if (fromFile != null) {
            return fromFile;
        }
        Optional<EnvSpec> builtHere = builder.builtHere(name);
        if (builtHere.isPresent()) {
            return builtHere.get();
        }
        Optional<Build> latest = latest(name);
        if (latest.isPresent() && latest.get().labels().containsKey(LABEL_SPEC)) {
            return specFromLabel(name, latest.get().labels().get(LABEL_SPEC)).validated("as last built in " + latest.get().tag());
        }
        throw MagicException.failed("No environment named " + name + ": define it with %env build " + name
                + " --base IMAGE [--pip requirements.txt ...] or in " + session.workingDirectory()
                .resolve(SpecFiles.ENVIRONMENTS_FILE) + " (see %env build --help).");
    }

    // ---------------------------------------------------------------- build

    /**
     * Builds {@code spec} unless an image with its content address exists. Says which input changed since
     * the previous build of that name; the live progress goes to {@code notebook}.
     */
    public Built build(EnvSpec spec, Notebook notebook) throws MagicException {
        builder.remember(spec);
        for (String value : spec.buildArgs().values()) {
            if (!session.masker().mask(value).equals(value)) {
                throw MagicException.usage("A build argument of " + spec.name() + " holds a secret; the engine keeps"
                        + " build arguments in the image history. Pass it with --secret NAME instead.");
            }
        }
        if (spec.fromDockerfile()) {
            return buildDockerfile(spec, notebook);
        }
        InspectImageResponse base = baseImage(spec.base(), notebook);
        String template = DockerfileRenderer.template(spec.stage());
        boolean explicit = spec.conda() != null && SpecFiles.isExplicit(spec.conda());
        Optional<String> tool = spec.conda() == null ? Optional.empty()
                : Optional.of(builder.condaTool(base.getId(), () -> condaTool(spec, notebook)));
        if (spec.conda() != null && !explicit) {
            SpecFiles.conda(spec.conda()); // a malformed file fails here, naming its line, not deep in the build
        }
        String dockerfile = DockerfileRenderer.render(spec, template, tool, explicit);
        Optional<KernelJar> kernel = DockerfileRenderer.installsKernel(template) ? Optional.of(KernelJar.running())
                : Optional.empty();
        Map<String, String> inputs = BuildInputs.of(spec, base.getId(), template, dockerfile, kernel);
        String hash = BuildInputs.hash(inputs);
        String tag = BuildInputs.tag(spec, hash);

        Optional<Built> unchanged = unchanged(spec, tag, hash, inputs, notebook);
        if (unchanged.isPresent()) {
            return unchanged.get();
        }
        Map<String, String> secrets = secrets(spec);
        Map<String, String> labels = labels(spec, base.getRepoDigests() != null && !base.getRepoDigests().isEmpty()
                ? base.getRepoDigests().get(0).replaceFirst("^[^@]*@", "") : base.getId(), hash, inputs, dockerfile);
        try (BuildContext context = BuildContext.assemble(spec, dockerfile, explicit, kernel)) {
            return buildImage(spec, hash, new ImageBuilder.Request(context.dir(), tag, labels, spec.buildArgs(),
                    secrets), "", notebook);
        }
    }

    /**
     * A user's Dockerfile as an environment: its content address covers the Dockerfile, the target, the build
     * arguments and every file of the context that {@code .dockerignore} lets through, so an unchanged one
     * makes no call to the builder and a changed one names the files that changed.
     */
    private Built buildDockerfile(EnvSpec spec, Notebook notebook) throws MagicException {
        try (BuildContext context = BuildContext.snapshot(spec.context(), spec.dockerfile())) {
            String dockerfile = SpecFiles.text(spec.dockerfile());
            // The Dockerfile is an input of its own; as a context file too, one edit would be named twice.
            Map<String, String> files = new TreeMap<>(context.files());
            files.remove(context.dir().relativize(context.dockerfile()).toString().replace('\\', '/'));
            Map<String, String> inputs = BuildInputs.ofDockerfile(spec, dockerfile, files);
            String hash = BuildInputs.hash(inputs);
            String tag = BuildInputs.tag(spec, hash);
            Optional<Built> unchanged = unchanged(spec, tag, hash, inputs, notebook);
            if (unchanged.isPresent()) {
                return unchanged.get();
            }
            Map<String, String> secrets = secrets(spec);
            Map<String, String> labels = labels(spec, null, hash, inputs, dockerfile);
            labels.put(LABEL_DOCKERFILE_PATH, spec.dockerfile().toString());
            labels.put(LABEL_CONTEXT, spec.context().toString());
            if (spec.target() != null) {
                labels.put(LABEL_TARGET, spec.target());
            }
            return buildImage(spec, hash, new ImageBuilder.Request(context.dir(), List.of(tag), context.dockerfile(),
                    spec.target(), labels, spec.buildArgs(), secrets, false, false), " from "
                    + spec.dockerfile().getFileName() + (spec.target() == null ? "" : ", stage " + spec.target()), notebook);
        }
    }

    /** Builds {@code request}'s one tag with a live display and says so; {@code from} tells what from, or is empty. */
    private Built buildImage(EnvSpec spec, String hash, ImageBuilder.Request request, String from, Notebook notebook)
            throws MagicException {
        String tag = request.tags().get(0);
        try (BuildLog log = new BuildLog(spec.name() + " (" + tag + ")", notebook)) {
            String imageId = builder.build(engine, request, log, notebook.cancellation());
            log.finish("Built");
            notebook.out(String.format("Built %s (%s)%s in %.1f s.%n", tag, shortId(imageId), from, log.elapsed()));
            return new Built(tag, imageId, false, hash);
        }
    }

    /** The image already built with these inputs, said as such; else says what changed and returns nothing. */
    private Optional<Built> unchanged(EnvSpec spec, String tag, String hash, Map<String, String> inputs,
            Notebook notebook) {
        Optional<InspectImageResponse> existing = inspect(tag);
        if (existing.isPresent()) {
            String created = Optional.ofNullable(existing.get().getConfig().getLabels()).map(l -> l.get(LABEL_CREATED))
                    .orElse(existing.get().getCreated());
            notebook.out(spec.name() + " unchanged: image " + tag + " (" + shortId(existing.get().getId())
                    + ", built at " + created + ").\n");
            return Optional.of(new Built(tag, existing.get().getId(), true, hash));
        }
        Optional<Build> previous = latest(spec.name());
        if (previous.isEmpty()) {
            notebook.out("Building " + spec.name() + " for the first time as " + tag + ".\n");
        } else {
            List<String> changed = BuildInputs.changed(inputsOf(previous.get()), inputs);
            notebook.out("Rebuilding " + spec.name() + " as " + tag + ": " + (changed.isEmpty()
                    ? "its inputs differ from " + previous.get().tag()
                    : String.join(", ", changed) + " since " + previous.get().tag()) + ".\n");
        }
        return Optional.empty();
    }

    private Map<String, String> secrets(EnvSpec spec) throws MagicException {
        Map<String, String> secrets = new LinkedHashMap<>();
        for (String name : spec.secrets()) {
            secrets.put(name, session.variable(name).orElseThrow(() -> MagicException.usage("The build of "
                    + spec.name() + " needs the secret " + name + ", which is not set: load it with %dotenv.")));
        }
        return secrets;
    }

    /** @param baseDigest the base image's digest, or null for a Dockerfile's own FROM lines */
    private Map<String, String> labels(EnvSpec spec, String baseDigest, String hash, Map<String, String> inputs,
            String dockerfile) throws MagicException {
        Map<String, String> labels = new TreeMap<>();
        labels.put(LABEL_CREATED, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        labels.put("org.opencontainers.image.title", spec.name());
        labels.put("org.opencontainers.image.description", "Drydock environment " + spec.name() + ", stage "
                + spec.stage().label() + (spec.fromDockerfile() ? ", from " + spec.dockerfile().getFileName() : ""));
        if (baseDigest != null) {
            labels.put("org.opencontainers.image.base.name", spec.base());
            labels.put("org.opencontainers.image.base.digest", baseDigest);
        }
        Git.revision(spec.folder()).ifPresent(rev -> labels.put("org.opencontainers.image.revision", rev));
        // A remote URL can carry a token (https://user:token@host/...): only the address goes into the label.
        Git.origin(spec.folder()).map(url -> url.replaceFirst("://[^/@]+@", "://"))
                .ifPresent(url -> labels.put("org.opencontainers.image.source", url));
        labels.put(LABEL_ENV, spec.name());
        labels.put(LABEL_STAGE, spec.stage().label());
        labels.put(LABEL_HASH, hash);
        labels.put(LABEL_INPUTS, json(inputs));
        labels.put(LABEL_SPEC, json(specJson(spec)));
        labels.put(LABEL_DOCKERFILE, dockerfile);
        labels.put(LABEL_SOURCE, spec.folder().toString());
        labels.put(LABEL_SESSION, session.id());
        labels.put("dev.drydock.gpu", Boolean.toString(spec.gpu()));
        return labels;
    }

    private InspectImageResponse baseImage(String base, Notebook notebook) throws MagicException {
        Optional<InspectImageResponse> found = inspect(base);
        if (found.isPresent()) {
            return found.get();
        }
        // As docker build does: a base that is not here yet is pulled first.
        ImageTransfer.pull(engine, credentials, base, notebook);
        return inspect(base).orElseThrow(() -> MagicException.failed("The base image " + base
                + " is still not on the engine after pulling it."));
    }

    private String condaTool(EnvSpec spec, Notebook notebook) throws MagicException {
        ImageProbe.Result result = ImageProbe.run(engine, spec.base(), ImageProbe.CONDA_TOOL, session.id(),
                notebook.cancellation());
        if (result.status() == 0 && !result.out().isBlank()) {
            return result.out().strip();
        }
        throw MagicException.failed("The base image " + spec.base() + " of " + spec.name() + " lacks conda: none of "
                + String.join(", ", DockerfileRenderer.CONDA_TOOLS) + " is on its PATH, so " + spec.conda()
                + " cannot be installed. Use a base with conda (mambaorg/micromamba, condaforge/miniforge3,"
                + " continuumio/miniconda3) or give the packages as --pip requirements instead.");
    }

    // ---------------------------------------------------------------- reading back

    /** Every image Drydock built, newest first; only {@code name}'s when it is not null. */
    public List<Build> builds(String name) {
        var list = name == null ? engine.client().listImagesCmd().withLabelFilter(LABEL_ENV)
                : engine.client().listImagesCmd().withLabelFilter(Map.of(LABEL_ENV, name));
        List<Build> builds = new ArrayList<>();
        for (Image image : list.exec()) {
            Map<String, String> labels = image.getLabels() == null ? Map.of() : image.getLabels();
            if (!labels.containsKey(LABEL_ENV)) {
                continue;
            }
            String[] tags = image.getRepoTags() == null ? new String[0] : image.getRepoTags();
            String env = labels.get(LABEL_ENV);
            String tag = List.of(tags).stream().filter(t -> t.startsWith("drydock/" + env + ":")).findFirst()
                    .orElse(tags.length > 0 && !tags[0].equals("<none>:<none>") ? tags[0] : "<none>");
            builds.add(new Build(tag, image.getId(), env, labels.getOrDefault(LABEL_STAGE, ""),
                    image.getSize() == null ? 0 : image.getSize(),
                    labels.getOrDefault(LABEL_CREATED, Instant.ofEpochSecond(image.getCreated()).toString()), labels));
        }
        builds.sort(Comparator.comparing(Build::created).reversed().thenComparing(Build::tag));
        return builds;
    }

    /** The newest image built for {@code name}. */
    public Optional<Build> latest(String name) {
        return builds(name).stream().findFirst();
    }

    /** The newest image of {@code name}, or an error saying to build it. */
    public Build latestOrFail(String name) throws MagicException {
        return latest(name).orElseThrow(() -> MagicException.failed("Environment " + name
                + " has no image yet: run %env build " + name + " first."));
    }

    Optional<InspectImageResponse> inspect(String image) {
        try {
            return Optional.of(engine.client().inspectImageCmd(image).exec());
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    // ---------------------------------------------------------------- inside images

    /** The packages inside an image: manager → (name → version). Pip names are normalized (PEP 503). */
    public Map<Pin.Manager, Map<String, String>> packages(String image, Notebook notebook) throws MagicException {
        ImageProbe.Result result = ImageProbe.run(engine, image, ImageProbe.PACKAGES, session.id(), notebook.cancellation());
        if (result.status() != 0) {
            throw MagicException.failed("Listing the packages inside " + image + " failed (status " + result.status()
                    + "): " + result.err().strip());
        }
        return parsePackages(result.out());
    }

    static Map<Pin.Manager, Map<String, String>> parsePackages(String out) throws MagicException {
        Map<Pin.Manager, Map<String, String>> packages = new LinkedHashMap<>();
        for (Pin.Manager m : Pin.Manager.values()) {
            packages.put(m, new TreeMap<>());
        }
        String pip = section(out, "@@pip", "@@conda");
        String conda = section(out, "@@conda", "@@dpkg");
        String dpkg = section(out, "@@dpkg", null);
        for (JsonNode node : jsonList(pip)) {
            packages.get(Pin.Manager.PIP).put(Pin.normalizePip(node.path("name").asText()), node.path("version").asText());
        }
        for (JsonNode node : jsonList(conda)) {
            packages.get(Pin.Manager.CONDA).put(node.path("name").asText().toLowerCase(java.util.Locale.ROOT),
                    node.path("version").asText());
        }
        dpkg.lines().map(l -> l.split("\t")).filter(p -> p.length == 2)
                .forEach(p -> packages.get(Pin.Manager.APT).put(p[0], p[1]));
        return packages;
    }

    private static String section(String out, String start, String end) {
        int from = out.indexOf(start);
        if (from < 0) {
            return "";
        }
        from += start.length();
        int to = end == null ? out.length() : out.indexOf(end, from);
        return out.substring(from, to < 0 ? out.length() : to).strip();
    }

    private static List<JsonNode> jsonList(String text) throws MagicException {
        if (text.isBlank()) {
            return List.of();
        }
        try {
            JsonNode node = JSON.readTree(text);
            List<JsonNode> out = new ArrayList<>();
            node.forEach(out::add);
            return out;
        } catch (JsonProcessingException e) {
            throw MagicException.failed("Unexpected package list from inside the image: " + e.getOriginalMessage());
        }
    }

    /** Runs a command list in the image and returns its stdout, failing with its stderr. */
    public String capture(String image, String script, Notebook notebook) throws MagicException {
        ImageProbe.Result result = ImageProbe.run(engine, image, script, session.id(), notebook.cancellation());
        if (result.status() != 0) {
            throw MagicException.failed("Running inside " + image + " failed (status " + result.status() + "): "
                    + result.err().strip());
        }
        return result.out();
    }

    // ---------------------------------------------------------------- labels as JSON

    static Map<String, String> inputsOf(Build build) {
        String json = build.labels().get(LABEL_INPUTS);
        if (json == null) {
            return Map.of();
        }
        try {
            return JSON.readValue(json, new TypeReference<LinkedHashMap<String, String>>() {});
        } catch (JsonProcessingException e) {
            return Map.of();
        }
    }

    private static ObjectNode specJson(EnvSpec spec) {
        ObjectNode node = JSON.createObjectNode();
        if (spec.base() != null) {
            node.put("base", spec.base());
        }
        if (spec.dockerfile() != null) {
            node.put("dockerfile", spec.dockerfile().toString());
            node.put("context", spec.context().toString());
            if (spec.target() != null) {
                node.put("target", spec.target());
            }
        }
        if (spec.poetry() != null) {
            node.put("poetry", spec.poetry().toString());
            node.putPOJO("with", spec.groups());
        }
        node.put("stage", spec.stage().label());
        if (spec.conda() != null) {
            node.put("conda", spec.conda().toString());
        }
        if (spec.pip() != null) {
            node.put("pip", spec.pip().toString());
        }
        if (spec.apt() != null) {
            node.put("apt", spec.apt().toString());
        }
        node.put("gpu", spec.gpu());
        node.putPOJO("secrets", spec.secrets());
        node.putPOJO("args", spec.buildArgs());
        node.put("folder", spec.folder().toString());
        node.put("locked", spec.locked());
        return node;
    }

    static EnvSpec specFromLabel(String name, String json) throws MagicException {
        try {
            JsonNode node = JSON.readTree(json);
            List<String> secrets = new ArrayList<>();
            node.path("secrets").forEach(s -> secrets.add(s.asText()));
            Map<String, String> args = new LinkedHashMap<>();
            node.path("args").properties().forEach(e -> args.put(e.getKey(), e.getValue().asText()));
            List<String> groups = new ArrayList<>();
            node.path("with").forEach(g -> groups.add(g.asText()));
            return new EnvSpec(name, node.path("base").asText(null), Stage.parse(node.path("stage").asText("train")),
                    path(node, "conda"), path(node, "pip"), path(node, "apt"), node.path("gpu").asBoolean(),
                    secrets, args, Path.of(node.path("folder").asText(".")), node.path("locked").asBoolean(),
                    path(node, "dockerfile"), node.path("target").asText(null), path(node, "context"),
                    path(node, "poetry"), groups);
        } catch (JsonProcessingException e) {
            throw MagicException.failed("The image of " + name + " has an unreadable " + LABEL_SPEC + " label: "
                    + e.getOriginalMessage());
        }
    }

    private static Path path(JsonNode node, String field) {
        return node.hasNonNull(field) ? Path.of(node.get(field).asText()) : null;
    }

    private static String json(Object value) throws MagicException {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw MagicException.failed("Cannot write a label as JSON: " + e.getOriginalMessage());
        }
    }

    static String shortId(String id) {
        String bare = id.startsWith("sha256:") ? id.substring(7) : id;
        return bare.substring(0, Math.min(12, bare.length()));
    }

    /** Git facts for the OCI labels, when the environment's folder is in a git work tree. */
    static final class Git {
        private Git() {}

        static Optional<String> revision(Path folder) {
            return run(folder, "rev-parse", "HEAD");
        }

        static Optional<String> origin(Path folder) {
            return run(folder, "remote", "get-url", "origin");
        }

        private static Optional<String> run(Path folder, String... args) {
            List<String> argv = new ArrayList<>(List.of("git", "-C", folder.toString()));
            argv.addAll(List.of(args));
            try {
                Process process = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
                String out = new String(process.getInputStream().readAllBytes()).strip();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    return Optional.empty();
                }
                return process.exitValue() == 0 && !out.isEmpty() ? Optional.of(out) : Optional.empty();
            } catch (java.io.IOException e) {
                return Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
    }
}

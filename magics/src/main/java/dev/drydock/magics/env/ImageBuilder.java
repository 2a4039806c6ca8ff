package dev.drydock.magics.env;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.BuildImageCmd;
import com.github.dockerjava.api.model.BuildResponseItem;
import dev.drydock.magics.Cancellation;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.engine.DockerEngine;
import dev.drydock.magics.engine.EngineErrors;
import dev.drydock.magics.process.ProcessRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Builds environment images, and is the kernel's one place that remembers what it learned: which conda
 * front end each base image has, and the definition each environment was last built from here. Without secrets a build goes through docker-java's build API
 * (the engine's legacy builder, which must never see a secret); with secrets through the docker CLI with
 * BuildKit, which mounts them into single RUN steps and keeps them out of every layer.
 */
public class ImageBuilder {

    /**
     * What one build needs; {@code secrets} maps a BuildKit secret id to its value.
     *
     * @param tags the image's names; may be empty (the image is then known by its id only)
     * @param dockerfile the Dockerfile inside {@code context}; null for {@code context/Dockerfile}
     * @param target the stage of a multi-stage Dockerfile to stop at; null for the last
     */
    public record Request(Path context, List<String> tags, Path dockerfile, String target, Map<String, String> labels,
            Map<String, String> buildArgs, Map<String, String> secrets, boolean noCache, boolean pull) {

        public Request {
            tags = List.copyOf(tags);
        }

        /** A rendered environment: the context's own Dockerfile, its last stage, cache on, nothing pulled. */
        public Request(Path context, String tag, Map<String, String> labels, Map<String, String> buildArgs,
                Map<String, String> secrets) {
            this(context, List.of(tag), null, null, labels, buildArgs, secrets, false, false);
        }
    }

    private final Map<String, String> condaTools = new ConcurrentHashMap<>();
    private final Map<String, EnvSpec> builtHere = new ConcurrentHashMap<>();
    private volatile Path cli;

    /** Remembers the definition {@code %env build} just used (or found unchanged) in this kernel. */
    public void remember(EnvSpec spec) {
        builtHere.put(spec.name(), spec);
    }

    /** The definition of {@code name} last built in this kernel, if any. */
    public java.util.Optional<EnvSpec> builtHere(String name) {
        return java.util.Optional.ofNullable(builtHere.get(name));
    }

    /**
     * Builds and returns the new image's id. Throws the {@link BuildLog#failure} of a failing step, or
     * {@link MagicException#interrupted()} after stopping the build when the cell is interrupted.
     */
    public String build(DockerEngine engine, Request request, BuildLog log, Cancellation cancellation)
            throws MagicException {
        return request.secrets().isEmpty() ? buildWithEngine(engine, request, log, cancellation)
                : buildWithBuildKit(engine, request, log, cancellation);
    }

    /** The conda front end a base image has, cached by image id; see {@link DockerfileRenderer#CONDA_TOOLS}. */
    public String condaTool(String baseId, ThrowingSupplier finder) throws MagicException {
        String known = condaTools.get(baseId);
        if (known != null) {
            return known;
        }
        String tool = finder.get();
        condaTools.put(baseId, tool);
        return tool;
    }

    /** How {@link #condaTool} finds a tool it has not cached. */
    public interface ThrowingSupplier {
        String get() throws MagicException;
    }

    private String buildWithEngine(DockerEngine engine, Request request, BuildLog log, Cancellation cancellation)
            throws MagicException {
        // The folder and the file apart: buildImageCmd(folder) insists on a Dockerfile at the folder's top, which
        // a devcontainer's .devcontainer/Dockerfile with context ".." has not.
        Path dockerfile = request.dockerfile() != null ? request.dockerfile() : request.context().resolve("Dockerfile");
        BuildImageCmd command = engine.client().buildImageCmd()
                .withBaseDirectory(request.context().toFile())
                .withDockerfile(dockerfile.toFile())
                .withTags(Set.copyOf(request.tags()))
                .withLabels(request.labels())
                .withPull(request.pull())
                .withNoCache(request.noCache())
                .withRemove(true)
                .withForcerm(true);
        if (request.target() != null) {
            command.withTarget(request.target());
        }
        request.buildArgs().forEach(command::withBuildArg);
        List<String> errors = new CopyOnWriteArrayList<>();
        String[] imageId = new String[1];
        ResultCallback.Adapter<BuildResponseItem> callback = command.exec(new ResultCallback.Adapter<>() {
            @Override
            public void onNext(BuildResponseItem item) {
                if (item.getStream() != null) {
                    log.append(item.getStream());
                }
                if (item.isErrorIndicated()) {
                    errors.add(item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null
                            ? item.getErrorDetail().getMessage() : "the engine reported an error without a message");
                }
                if (item.isBuildSuccessIndicated() && item.getImageId() != null) {
                    imageId[0] = item.getImageId();
                }
            }
        });
        try {
            DockerEngine.await(callback, cancellation);
        } catch (MagicException e) {
            if (e.kind() == MagicException.Kind.KeyboardInterrupt) {
                log.finish("Interrupted");
            }
            throw e;
        } catch (RuntimeException e) {
            throw log.failure(EngineErrors.message(e));
        }
        if (!errors.isEmpty()) {
            throw log.failure(errors.get(0));
        }
        if (imageId[0] == null && !request.tags().isEmpty()) {
            imageId[0] = engine.client().inspectImageCmd(request.tags().get(0)).exec().getId();
        }
        if (imageId[0] == null) {
            throw log.failure("the engine reported no image id");
        }
        return imageId[0];
    }

    private String buildWithBuildKit(DockerEngine engine, Request request, BuildLog log, Cancellation cancellation)
            throws MagicException {
        Path docker = cli();
        Path iidFile;
        try {
            iidFile = Files.createTempFile("drydock-iid-", ".txt");
        } catch (IOException e) {
            throw MagicException.failed("Cannot make a temporary file for the build: " + e.getMessage());
        }
        try {
            List<String> argv = new ArrayList<>(List.of(docker.toString(), "build", "--progress=plain",
                    "--iidfile", iidFile.toString()));
            request.tags().forEach(tag -> argv.addAll(List.of("--tag", tag)));
            if (request.dockerfile() != null) {
                argv.addAll(List.of("--file", request.dockerfile().toString()));
            }
            if (request.target() != null) {
                argv.addAll(List.of("--target", request.target()));
            }
            if (request.noCache()) {
                argv.add("--no-cache");
            }
            if (request.pull()) {
                argv.add("--pull");
            }
            request.labels().forEach((k, v) -> argv.addAll(List.of("--label", k + "=" + v)));
            request.buildArgs().forEach((k, v) -> argv.addAll(List.of("--build-arg", k + "=" + v)));
            // The value travels in the CLI's environment only: never on its command line, where ps would show it.
            request.secrets().keySet().forEach(id -> argv.addAll(List.of("--secret", "id=" + id + ",env=" + id)));
            argv.add(request.context().toString());
            Map<String, String> env = cliEnvironment(engine);
            env.putAll(request.secrets());
            int status = ProcessRunner.run(argv, request.context(), env, log::append, log::append, cancellation);
            if (status != 0) {
                throw log.failure("docker build (BuildKit) ended with status " + status);
            }
            return Files.readString(iidFile, StandardCharsets.UTF_8).strip();
        } catch (MagicException e) {
            if (e.kind() == MagicException.Kind.KeyboardInterrupt) {
                log.finish("Interrupted");
            }
            throw e;
        } catch (IOException e) {
            throw MagicException.failed("The BuildKit build wrote no image id: " + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(iidFile);
            } catch (IOException ignored) {
                // A stray temp file holding an image id is harmless.
            }
        }
    }

    private static Map<String, String> cliEnvironment(DockerEngine engine) {
        Map<String, String> env = new HashMap<>();
        for (String name : List.of("PATH", "HOME", "USER", "TMPDIR", "XDG_RUNTIME_DIR")) {
            String value = System.getenv(name);
            if (value != null) {
                env.put(name, value);
            }
        }
        env.put("DOCKER_BUILDKIT", "1");
        env.put("DOCKER_HOST", engine.config().host().toString());
        env.put("DOCKER_CONFIG", engine.config().configDir().toString());
        engine.config().tlsCertPath().ifPresent(certs -> {
            env.put("DOCKER_CERT_PATH", certs.toString());
            env.put("DOCKER_TLS_VERIFY", "1");
        });
        return env;
    }

    /**
     * A docker CLI that can build with BuildKit without buildx: {@code DRYDOCK_DOCKER_CLI}, else the first
     * {@code docker} on PATH whose {@code build --help} works with {@code DOCKER_BUILDKIT=1} (Debian's
     * docker.io 20.10 does; a newer CLI without the buildx plugin refuses).
     */
    Path cli() throws MagicException {
        if (cli != null) {
            return cli;
        }
        List<Path> candidates = new ArrayList<>();
        String override = System.getenv("DRYDOCK_DOCKER_CLI");
        if (override != null && !override.isBlank()) {
            candidates.add(Path.of(override));
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty()) {
                candidates.add(Path.of(dir, "docker"));
            }
        }
        List<String> tried = new ArrayList<>();
        for (Path candidate : candidates) {
            if (!Files.isExecutable(candidate) || tried.contains(candidate.toString())) {
                continue;
            }
            tried.add(candidate.toString());
            if (buildKitWorks(candidate)) {
                cli = candidate;
                return candidate;
            }
        }
        throw MagicException.failed("A build with secrets needs BuildKit through the docker CLI, and no docker CLI"
                + " here can build with DOCKER_BUILDKIT=1 (tried " + (tried.isEmpty() ? "none on PATH" : String.join(", ", tried))
                + "). Install the buildx plugin or Debian's docker.io, or set DRYDOCK_DOCKER_CLI to a docker that can.");
    }

    private static boolean buildKitWorks(Path docker) {
        try {
            ProcessBuilder builder = new ProcessBuilder(docker.toString(), "build", "--help")
                    .redirectErrorStream(true);
            builder.environment().put("DOCKER_BUILDKIT", "1");
            Process process = builder.start();
            String help = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0 && help.contains("--secret");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}

package dev.drydock.magics.env;

import dev.drydock.magics.MagicException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The content address of an environment: one SHA-256 per input that defines it, and one over them all.
 * The per-input hashes travel in the image's {@code dev.drydock.inputs} label, so the next build can say
 * which input changed.
 */
public final class BuildInputs {

    /** Input keys in the order a person reads them, with how they are named in messages. */
    static final Map<String, String> DESCRIPTIONS = new LinkedHashMap<>();

    static {
        DESCRIPTIONS.put("base", "the base image");
        DESCRIPTIONS.put("apt", "the apt package list");
        DESCRIPTIONS.put("conda", "the conda environment file");
        DESCRIPTIONS.put("pip", "the pip requirements");
        DESCRIPTIONS.put("args", "the build arguments");
        DESCRIPTIONS.put("template", "the stage template");
        DESCRIPTIONS.put("kernel", "the Drydock kernel");
        DESCRIPTIONS.put("dockerfile", "the rendered Dockerfile");
        DESCRIPTIONS.put("own-dockerfile", "the Dockerfile");
        DESCRIPTIONS.put("target", "the target stage");
    }

    /** The prefix of a context file's input key: {@code context:src/app.py}. */
    static final String CONTEXT = "context:";

    private BuildInputs() {}

    /**
     * The hash of each input.
     *
     * @param baseId the base image as the engine resolved it (its image id), so a re-pulled {@code :latest} counts
     */
    public static Map<String, String> of(EnvSpec spec, String baseId, String template, String dockerfile)
            throws MagicException {
        return of(spec, baseId, template, dockerfile, Optional.empty());
    }

    /** The same, for a stage that installs the Drydock kernel from {@code kernel}: a new Drydock is a new image. */
    public static Map<String, String> of(EnvSpec spec, String baseId, String template, String dockerfile,
            Optional<KernelJar> kernel) throws MagicException {
        Map<String, String> inputs = new LinkedHashMap<>();
        inputs.put("base", sha256(spec.base() + "@" + baseId));
        inputs.put("apt", spec.apt() == null ? "none" : sha256(read(spec.apt())));
        inputs.put("conda", spec.conda() == null ? "none" : sha256(read(spec.conda())));
        inputs.put("pip", spec.poetry() != null ? sha256(spec.pipRequirements())
                : spec.pip() == null ? "none" : pipHash(spec.pip()));
        StringBuilder args = new StringBuilder();
        new TreeMap<>(spec.buildArgs()).forEach((k, v) -> args.append(k).append('=').append(v).append('\n'));
        inputs.put("args", sha256(args.toString()));
        inputs.put("template", sha256(DockerfileRenderer.VERSION + "\n" + template));
        inputs.put("dockerfile", sha256(dockerfile));
        kernel.ifPresent(jar -> inputs.put("kernel", jar.sha256()));
        return inputs;
    }

    /**
     * The hash of each input of an environment built from a user's Dockerfile: the Dockerfile, its target,
     * the build arguments and each file of the context by its path.
     */
    public static Map<String, String> ofDockerfile(EnvSpec spec, String dockerfile, Map<String, String> contextFiles) {
        Map<String, String> inputs = new LinkedHashMap<>();
        inputs.put("own-dockerfile", sha256(dockerfile));
        inputs.put("target", sha256(spec.target() == null ? "" : spec.target()));
        StringBuilder args = new StringBuilder();
        new TreeMap<>(spec.buildArgs()).forEach((k, v) -> args.append(k).append('=').append(v).append('\n'));
        inputs.put("args", sha256(args.toString()));
        contextFiles.forEach((path, sha) -> inputs.put(CONTEXT + path, sha));
        return inputs;
    }

    /** The hash over all inputs: the same inputs give the same hash on any machine. */
    public static String hash(Map<String, String> inputs) {
        StringBuilder all = new StringBuilder();
        new TreeMap<>(inputs).forEach((k, v) -> all.append(k).append('=').append(v).append('\n'));
        return sha256(all.toString());
    }

    /** The image tag for an environment with these inputs: {@code drydock/NAME:<first 12 hex of the hash>}. */
    public static String tag(EnvSpec spec, String hash) {
        return spec.repository() + ":" + hash.substring(0, 12);
    }

    /** What differs between the inputs of the previous build and these, as phrases for a message. */
    public static List<String> changed(Map<String, String> previous, Map<String, String> now) {
        List<String> out = new ArrayList<>();
        for (String key : DESCRIPTIONS.keySet()) {
            String before = previous.get(key);
            String after = now.get(key);
            if (before == null && after == null) {
                continue;
            }
            if (before == null || after == null || !before.equals(after)) {
                String what = DESCRIPTIONS.get(key);
                if ("none".equals(before)) {
                    out.add(what + " was added");
                } else if ("none".equals(after)) {
                    out.add(what + " was removed");
                } else {
                    out.add(what + " changed");
                }
            }
        }
        // Context files, by name: "context file src/app.py changed".
        java.util.Set<String> files = new java.util.TreeSet<>();
        previous.keySet().stream().filter(k -> k.startsWith(CONTEXT)).forEach(files::add);
        now.keySet().stream().filter(k -> k.startsWith(CONTEXT)).forEach(files::add);
        for (String key : files) {
            String before = previous.get(key);
            String after = now.get(key);
            String what = "context file " + key.substring(CONTEXT.length());
            if (before == null) {
                out.add(what + " was added");
            } else if (after == null) {
                out.add(what + " was removed");
            } else if (!before.equals(after)) {
                out.add(what + " changed");
            }
        }
        return out;
    }

    /** The requirements file and every file in the local folders it points pip at. */
    private static String pipHash(Path requirements) throws MagicException {
        MessageDigest digest = digest();
        digest.update(read(requirements));
        Path folder = requirements.toAbsolutePath().getParent();
        for (String dir : SpecFiles.localFindLinks(requirements)) {
            Path root = folder.resolve(dir).normalize();
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                    digest.update(("\0" + folder.relativize(file) + "\0").getBytes(StandardCharsets.UTF_8));
                    digest.update(Files.readAllBytes(file));
                }
            } catch (IOException e) {
                throw MagicException.failed(requirements + " points pip at " + dir + " (--find-links), which cannot be"
                        + " read: " + e.getMessage());
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static byte[] read(Path file) throws MagicException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw MagicException.failed("Cannot read " + file + ": " + e.getMessage());
        }
    }

    static String sha256(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java runtime has SHA-256", e);
        }
    }
}

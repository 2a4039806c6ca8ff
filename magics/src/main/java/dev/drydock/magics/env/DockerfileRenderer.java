package dev.drydock.magics.env;

import dev.drydock.magics.MagicException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Renders an environment's Dockerfile from its stage template ({@code docker/STAGE/Dockerfile.template}).
 * Dependency layers come in the order apt, conda, pip, each copying only its own spec file just before
 * it installs, so a change to requirements.txt rebuilds from the pip layer on and Docker's cache keeps
 * everything above. Secrets appear only by name, as BuildKit secret mounts read inside a single RUN.
 */
public final class DockerfileRenderer {

    /** Bumped whenever the rendering below changes what an unchanged spec turns into. */
    public static final String VERSION = "1";

    /** The folder inside the image where the spec files are copied before they are installed. */
    static final String SPEC_DIR = "/tmp/drydock";

    /** Conda front ends in the order they are preferred when a base image has several. */
    public static final List<String> CONDA_TOOLS = List.of("micromamba", "mamba", "conda");

    /** Where a stage template wants the Drydock kernel installed (the eo stage's does). */
    static final String KERNEL_PLACEHOLDER = "{{kernel}}";

    /** Where a stage template wants the scoring server of {@code docker/score/} (the deploy stage's does). */
    static final String SERVER_PLACEHOLDER = "{{server}}";

    /** The scoring server inside the jar, and its name in a build context. */
    static final String SERVER_RESOURCE = "/docker/score/score_server.py";
    static final String SERVER_FILE = "score_server.py";

    /** Jupyter finds kernels under /usr/local/share/jupyter whatever Python or conda installed it. */
    static final String KERNEL_DIR = "/usr/local/share/jupyter/kernels/drydock";

    private DockerfileRenderer() {}

    /** Whether {@code template} installs the Drydock kernel, so the build needs {@link KernelJar}. */
    public static boolean installsKernel(String template) {
        return template.contains(KERNEL_PLACEHOLDER);
    }

    /** Whether a rendered Dockerfile copies the scoring server, so its context needs {@link #server()}. */
    static boolean servesScoring(String dockerfile) {
        return dockerfile.contains("COPY " + SERVER_FILE + " ");
    }

    /** The scoring server's source, as shipped in the jar. */
    static byte[] server() throws MagicException {
        return resource(SERVER_RESOURCE).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The stage's template as shipped in the jar. For a template that copies the scoring server, the
     * server's hash is part of it, so a new server is a new content address.
     */
    public static String template(Stage stage) throws MagicException {
        String template = resource("/docker/" + stage.label() + "/Dockerfile.template");
        return template.contains(SERVER_PLACEHOLDER)
                ? template + "# " + SERVER_FILE + " sha256 " + BuildInputs.sha256(server()) + "\n" : template;
    }

    private static String resource(String resource) throws MagicException {
        try (InputStream in = DockerfileRenderer.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw MagicException.failed("Drydock's jar lacks " + resource + ": rebuild Drydock.");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw MagicException.failed("Cannot read " + resource + " from Drydock's jar: " + e.getMessage());
        }
    }

    /**
     * The Dockerfile for {@code spec}.
     *
     * @param condaTool the conda front end found in the base image; required when the spec has a conda file
     * @param explicitConda whether the conda file is an explicit list ({@code conda list --explicit})
     */
    public static String render(EnvSpec spec, String template, Optional<String> condaTool, boolean explicitConda)
            throws MagicException {
        StringBuilder deps = new StringBuilder();
        String mounts = mounts(spec.secrets());
        String exports = exports(spec.secrets());
        if (spec.apt() != null) {
            deps.append("# Debian/Ubuntu packages, one per line (name or name=version)\n")
                    .append("COPY apt.txt ").append(SPEC_DIR).append("/apt.txt\n")
                    .append("RUN apt-get update \\\n")
                    .append(" && sed -e 's/#.*//' ").append(SPEC_DIR).append("/apt.txt | xargs -r env DEBIAN_FRONTEND=noninteractive")
                    .append(" apt-get install -y --no-install-recommends \\\n")
                    .append(" && rm -rf /var/lib/apt/lists/*\n");
        }
        if (spec.conda() != null) {
            String tool = condaTool.orElseThrow(() -> new IllegalArgumentException("a conda file needs a conda tool"));
            String file = explicitConda ? "conda-explicit.txt" : "environment.yml";
            deps.append(explicitConda ? "# Conda packages, exactly as locked by %env lock\n"
                            : "# Conda packages, channels and the pip: section of the environment file\n")
                    .append("COPY ").append(file).append(' ').append(SPEC_DIR).append('/').append(file).append('\n')
                    .append("RUN ").append(mounts).append(exports)
                    .append(condaInstall(tool, SPEC_DIR + "/" + file, explicitConda)).append('\n');
            if (tool.equals("micromamba")) {
                // micromamba images activate the base environment in later RUN steps only when asked to.
                deps.append("ARG MAMBA_DOCKERFILE_ACTIVATE=1\n");
            }
        }
        if (spec.hasPip()) {
            deps.append(spec.locked() ? "# pip packages, exactly as locked by %env lock\n"
                            : spec.poetry() != null ? "# pip packages: the locked set of the poetry project\n"
                            : "# pip packages\n")
                    .append("COPY pip/ ").append(SPEC_DIR).append("/pip/\n")
                    // Relative --find-links folders resolve against the requirements file's folder, as on the host.
                    .append("RUN ").append(mounts).append("cd ").append(SPEC_DIR).append("/pip \\\n")
                    .append(" && ").append(exports)
                    // Debian's Python is "externally managed" (PEP 668); the image is the environment, so install into it.
                    .append("PIP_BREAK_SYSTEM_PACKAGES=1 pip install --no-cache-dir -r requirements.txt\n");
        }
        if (spec.gpu()) {
            deps.append("# What the NVIDIA Container Toolkit reads to expose GPUs (docker run --gpus)\n")
                    .append("ENV NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility\n");
        }
        String user = "# A non-root user for what runs in the image; the dependencies above were installed as root\n"
                + "RUN if ! id drydock >/dev/null 2>&1; then useradd --create-home --shell /bin/sh drydock 2>/dev/null"
                + " || adduser -D drydock; fi \\\n"
                + " && mkdir -p /home/drydock/work && chown drydock /home/drydock/work\n"
                + "USER drydock\n"
                + "WORKDIR /home/drydock/work";
        String header = "# Rendered by Drydock (%env build, renderer " + VERSION + ") for environment " + spec.name()
                + ", stage " + spec.stage().label() + ". Change the spec files, not this file.\n";
        return header + template.replace("{{base}}", spec.base())
                .replace("{{dependencies}}", deps.toString().stripTrailing())
                .replace(KERNEL_PLACEHOLDER, kernel(spec.stage()))
                .replace(SERVER_PLACEHOLDER, "# The scoring server of docker/score/: POST /score, GET /health\n"
                        + "COPY " + SERVER_FILE + " /opt/drydock/" + SERVER_FILE + "\n"
                        + "RUN python3 -m py_compile /opt/drydock/" + SERVER_FILE
                        + " && python3 /opt/drydock/" + SERVER_FILE + " --help > /dev/null")
                .replace("{{user}}", user);
    }

    /**
     * Copies the jar straight into its kernelspec folder (the installer leaves a jar already in place alone,
     * so the image holds it once) and installs it, which also records the class-data-sharing archive for the
     * image's own JVM. Missing Jupyter or Java fails here, with what to add, rather than when the container starts.
     */
    private static String kernel(Stage stage) {
        String jar = KERNEL_DIR + "/" + KernelJar.CONTEXT_NAME;
        return "# The Drydock kernel that built this image, so the orchestration notebooks run inside it too\n"
                + "COPY " + KernelJar.CONTEXT_NAME + " " + jar + "\n"
                + "RUN if ! command -v java > /dev/null; then echo 'The " + stage.label() + " stage installs the Drydock"
                + " kernel, which needs Java 17: add openjdk-17-jre-headless to the apt list (or a JDK to the conda"
                + " file).' >&2; exit 1; fi \\\n"
                + " && if ! command -v jupyter > /dev/null; then echo 'The " + stage.label() + " stage runs Jupyter:"
                + " add jupyter-notebook to the apt list (or notebook to the pip or conda file).' >&2; exit 1; fi \\\n"
                + " && java -jar " + jar + " install --prefix /usr/local";
    }

    private static String condaInstall(String tool, String file, boolean explicit) {
        if (tool.equals("micromamba")) {
            return "micromamba install -y -n base -f " + file + " && micromamba clean --all --yes";
        }
        if (explicit) {
            return tool + " install -y -n base --file " + file + " && " + tool + " clean --all --yes";
        }
        return tool + " env update -n base -f " + file + " && " + tool + " clean --all --yes";
    }

    private static String mounts(List<String> secrets) {
        StringBuilder out = new StringBuilder();
        for (String secret : secrets) {
            out.append("--mount=type=secret,id=").append(secret).append(' ');
        }
        return out.toString();
    }

    /** Sets each secret as a variable of this one RUN only: it never reaches ENV, a layer or the history. */
    private static String exports(List<String> secrets) {
        StringBuilder out = new StringBuilder();
        for (String secret : secrets) {
            out.append("export ").append(secret).append("=\"$(cat /run/secrets/").append(secret).append(")\" && ");
        }
        return out.toString();
    }
}

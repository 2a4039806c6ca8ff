package dev.drydock.magics.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.MagicException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Golden checks of the rendered Dockerfiles and of the content address over their inputs. */
class EnvRenderingTest {

    @TempDir
    Path dir;

    private EnvSpec spec(Path conda, Path pip, Path apt, boolean gpu, List<String> secrets) {
        return new EnvSpec("train", "drydock/python:bookworm", Stage.TRAIN, conda, pip, apt, gpu, secrets, Map.of(), dir, false);
    }

    @Test
    void rendersAptThenPipBeforeTheUserFromTheTrainTemplate() throws Exception {
        Path pip = Files.writeString(dir.resolve("requirements.txt"), "numpy==1.26.4\n");
        Path apt = Files.writeString(dir.resolve("apt.txt"), "curl\n");
        String dockerfile = DockerfileRenderer.render(spec(null, pip, apt, false, List.of()),
                DockerfileRenderer.template(Stage.TRAIN), Optional.empty(), false);
        assertEquals("""
                # Rendered by Drydock (%env build, renderer 1) for environment train, stage train. Change the spec files, not this file.
                # Drydock stage "train" (e13n): the pinned training environment; train.py runs in it.
                # `%env build` fills in the base image, the dependency layers (before anything else) and the user.
                FROM drydock/python:bookworm
                USER root
                # Debian/Ubuntu packages, one per line (name or name=version)
                COPY apt.txt /tmp/drydock/apt.txt
                RUN apt-get update \\
                 && sed -e 's/#.*//' /tmp/drydock/apt.txt | xargs -r env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
                 && rm -rf /var/lib/apt/lists/*
                # pip packages
                COPY pip/ /tmp/drydock/pip/
                RUN cd /tmp/drydock/pip \\
                 && PIP_BREAK_SYSTEM_PACKAGES=1 pip install --no-cache-dir -r requirements.txt
                # A non-root user for what runs in the image; the dependencies above were installed as root
                RUN if ! id drydock >/dev/null 2>&1; then useradd --create-home --shell /bin/sh drydock 2>/dev/null || adduser -D drydock; fi \\
                 && mkdir -p /home/drydock/work && chown drydock /home/drydock/work
                USER drydock
                WORKDIR /home/drydock/work
                ENV DRYDOCK_STAGE=train
                CMD ["python3", "train.py"]
                """, dockerfile);
    }

    @Test
    void condaUsesTheToolTheBaseHasAndComesBetweenAptAndPip() throws Exception {
        Path conda = Files.writeString(dir.resolve("environment.yml"), "dependencies: [numpy=1.26]\n");
        Path pip = Files.writeString(dir.resolve("requirements.txt"), "x==1\n");
        Path apt = Files.writeString(dir.resolve("apt.txt"), "curl\n");
        String micromamba = DockerfileRenderer.render(spec(conda, pip, apt, false, List.of()),
                DockerfileRenderer.template(Stage.TRAIN), Optional.of("micromamba"), false);
        assertTrue(micromamba.contains("RUN micromamba install -y -n base -f /tmp/drydock/environment.yml"
                + " && micromamba clean --all --yes\nARG MAMBA_DOCKERFILE_ACTIVATE=1\n"), micromamba);
        int aptAt = micromamba.indexOf("COPY apt.txt");
        int condaAt = micromamba.indexOf("COPY environment.yml");
        int pipAt = micromamba.indexOf("COPY pip/");
        int userAt = micromamba.indexOf("USER drydock");
        assertTrue(aptAt > 0 && aptAt < condaAt && condaAt < pipAt && pipAt < userAt, micromamba);

        String mamba = DockerfileRenderer.render(spec(conda, null, null, false, List.of()),
                DockerfileRenderer.template(Stage.TRAIN), Optional.of("mamba"), false);
        assertTrue(mamba.contains("RUN mamba env update -n base -f /tmp/drydock/environment.yml && mamba clean --all --yes\n"), mamba);
        String conda2 = DockerfileRenderer.render(spec(conda, null, null, false, List.of()),
                DockerfileRenderer.template(Stage.TRAIN), Optional.of("conda"), true);
        assertTrue(conda2.contains("COPY conda-explicit.txt /tmp/drydock/conda-explicit.txt\n"
                + "RUN conda install -y -n base --file /tmp/drydock/conda-explicit.txt && conda clean --all --yes\n"), conda2);
    }

    @Test
    void secretsAreMountedByNameOnlyAndGpuSetsTheToolkitVariables() throws Exception {
        Path pip = Files.writeString(dir.resolve("requirements.txt"), "x==1\n");
        String dockerfile = DockerfileRenderer.render(spec(null, pip, null, true, List.of("PIP_INDEX_URL")),
                DockerfileRenderer.template(Stage.SCORE), Optional.empty(), false);
        assertTrue(dockerfile.contains("RUN --mount=type=secret,id=PIP_INDEX_URL cd /tmp/drydock/pip \\\n"
                + " && export PIP_INDEX_URL=\"$(cat /run/secrets/PIP_INDEX_URL)\" && PIP_BREAK_SYSTEM_PACKAGES=1 pip install"),
                dockerfile);
        assertTrue(dockerfile.contains("ENV NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility\n"));
        assertTrue(dockerfile.contains("EXPOSE 5001\n"));
        assertFalse(dockerfile.contains("# syntax="), "Debian's 20.10 BuildKit must use its built-in frontend, offline");
        for (Stage stage : Stage.values()) {
            String rendered = DockerfileRenderer.render(spec(null, null, null, false, List.of()),
                    DockerfileRenderer.template(stage), Optional.empty(), false);
            assertFalse(rendered.contains("{{"), rendered);
            assertTrue(rendered.contains("ENV DRYDOCK_STAGE=" + stage.label() + "\n"), rendered);
        }
    }

    @Test
    void theHashIsStableAndMovesWithEveryInput() throws Exception {
        Path pip = Files.writeString(dir.resolve("requirements.txt"), "x==1\n--find-links wheels\n");
        Files.createDirectories(dir.resolve("wheels"));
        Files.writeString(dir.resolve("wheels/x-1-py3-none-any.whl"), "wheel bytes");
        Path apt = Files.writeString(dir.resolve("apt.txt"), "curl\n");
        Path conda = Files.writeString(dir.resolve("environment.yml"), "dependencies: [numpy]\n");
        EnvSpec spec = spec(conda, pip, apt, false, List.of());
        String template = DockerfileRenderer.template(Stage.TRAIN);
        Map<String, String> inputs = BuildInputs.of(spec, "sha256:aaa", template, "FROM x\n");
        String hash = BuildInputs.hash(inputs);
        assertEquals(hash, BuildInputs.hash(BuildInputs.of(spec, "sha256:aaa", template, "FROM x\n")));
        assertTrue(BuildInputs.tag(spec, hash).matches("drydock/train:[0-9a-f]{12}"));

        assertChanged(inputs, BuildInputs.of(spec, "sha256:bbb", template, "FROM x\n"), "the base image changed");
        assertChanged(inputs, BuildInputs.of(spec, "sha256:aaa", template + "#", "FROM x\n"),
                "the stage template changed");
        assertChanged(inputs, BuildInputs.of(spec, "sha256:aaa", template, "FROM y\n"), "the rendered Dockerfile changed");
        EnvSpec withArg = new EnvSpec("train", spec.base(), Stage.TRAIN, conda, pip, apt, false, List.of(),
                Map.of("A", "1"), dir, false);
        assertChanged(inputs, BuildInputs.of(withArg, "sha256:aaa", template, "FROM x\n"), "the build arguments changed");

        Files.writeString(apt, "curl\nwget\n");
        assertChanged(inputs, BuildInputs.of(spec, "sha256:aaa", template, "FROM x\n"), "the apt package list changed");
        Files.writeString(apt, "curl\n");
        Files.writeString(conda, "dependencies: [numpy=1.26]\n");
        assertChanged(inputs, BuildInputs.of(spec, "sha256:aaa", template, "FROM x\n"), "the conda environment file changed");
        Files.writeString(conda, "dependencies: [numpy]\n");
        Files.writeString(dir.resolve("wheels/x-1-py3-none-any.whl"), "other wheel bytes");
        assertChanged(inputs, BuildInputs.of(spec, "sha256:aaa", template, "FROM x\n"), "the pip requirements changed");

        EnvSpec noApt = spec(conda, pip, null, false, List.of());
        Files.writeString(dir.resolve("wheels/x-1-py3-none-any.whl"), "wheel bytes");
        assertChanged(inputs, BuildInputs.of(noApt, "sha256:aaa", template, "FROM x\n"), "the apt package list was removed");
        assertChanged(BuildInputs.of(noApt, "sha256:aaa", template, "FROM x\n"), inputs, "the apt package list was added");
    }

    private static void assertChanged(Map<String, String> before, Map<String, String> after, String expected) {
        assertEquals(List.of(expected), BuildInputs.changed(before, after));
        assertNotEquals(BuildInputs.hash(before), BuildInputs.hash(after));
    }

    @Test
    void theContextHoldsOnlyTheSpecFilesAndTheirWheelFolders() throws Exception {
        Path pip = Files.writeString(dir.resolve("requirements.txt"), "x==1\n-f wheels\n");
        Files.createDirectories(dir.resolve("wheels"));
        Files.writeString(dir.resolve("wheels/x-1-py3-none-any.whl"), "wheel");
        Files.writeString(dir.resolve(".env"), "TOKEN=secret\n");
        Files.writeString(dir.resolve("data.csv"), "1,2\n");
        try (BuildContext context = BuildContext.assemble(spec(null, pip, null, false, List.of()), "FROM x\n", false)) {
            try (var files = Files.walk(context.dir())) {
                assertEquals(List.of("Dockerfile", "pip", "pip/requirements.txt", "pip/wheels", "pip/wheels/x-1-py3-none-any.whl"),
                        files.filter(f -> !f.equals(context.dir())).map(f -> context.dir().relativize(f).toString()).sorted().toList());
            }
        }
        Files.writeString(pip, "x==1\n--find-links ..\n");
        MagicException outside = org.junit.jupiter.api.Assertions.assertThrows(MagicException.class,
                () -> BuildContext.assemble(spec(null, pip, null, false, List.of()), "FROM x\n", false));
        assertTrue(outside.getMessage().contains("outside a folder of its own"), outside.getMessage());
    }

    @Test
    void theEoStageInstallsTheKernelAfterTheDependenciesAndBeforeTheUser() throws Exception {
        Path apt = Files.writeString(dir.resolve("apt.txt"), "jupyter-notebook\nopenjdk-17-jre-headless\n");
        EnvSpec eo = new EnvSpec("eo", "drydock/python:bookworm", Stage.EO, null, null, apt, false, List.of(), Map.of(),
                dir, false);
        String template = DockerfileRenderer.template(Stage.EO);
        assertTrue(DockerfileRenderer.installsKernel(template));
        assertFalse(DockerfileRenderer.installsKernel(DockerfileRenderer.template(Stage.TRAIN)));
        String dockerfile = DockerfileRenderer.render(eo, template, Optional.empty(), false);
        int aptLayer = dockerfile.indexOf("COPY apt.txt");
        int kernel = dockerfile.indexOf("COPY drydock.jar /usr/local/share/jupyter/kernels/drydock/drydock.jar\n");
        int install = dockerfile.indexOf(" && java -jar /usr/local/share/jupyter/kernels/drydock/drydock.jar install --prefix /usr/local\n");
        int user = dockerfile.indexOf("USER drydock");
        assertTrue(aptLayer > 0 && aptLayer < kernel && kernel < install && install < user, dockerfile);
        assertTrue(dockerfile.contains("add openjdk-17-jre-headless to the apt list"), dockerfile);
        assertTrue(dockerfile.contains("add jupyter-notebook to the apt list"), dockerfile);
        assertTrue(dockerfile.contains("CMD [\"jupyter\", \"notebook\""), dockerfile);
    }

    @Test
    void aNewDrydockJarIsANewEoImageAndGoesIntoTheContext() throws Exception {
        Path jar = Files.write(dir.resolve("drydock.jar"), new byte[] {1, 2, 3});
        Path other = Files.createDirectories(dir.resolve("next")).resolve("drydock.jar");
        Files.write(other, new byte[] {1, 2, 4});
        EnvSpec eo = new EnvSpec("eo", "drydock/python:bookworm", Stage.EO, null, null, null, false, List.of(), Map.of(),
                dir, false);
        String template = DockerfileRenderer.template(Stage.EO);
        KernelJar first = KernelJar.of(jar);
        assertEquals("039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81", first.sha256());
        Map<String, String> inputs = BuildInputs.of(eo, "sha256:aaa", template, "FROM x\n", Optional.of(first));
        assertChanged(inputs, BuildInputs.of(eo, "sha256:aaa", template, "FROM x\n", Optional.of(KernelJar.of(other))),
                "the Drydock kernel changed");
        try (BuildContext context = BuildContext.assemble(eo, "FROM x\n", false, Optional.of(first))) {
            assertEquals(3, Files.size(context.dir().resolve("drydock.jar")));
        }
    }

    @Test
    void drydockRunFromClassesCannotBuildAnEoImageAndSaysWhy() {
        // Unit tests load Drydock from target/classes, as a development build would.
        MagicException error = org.junit.jupiter.api.Assertions.assertThrows(MagicException.class, KernelJar::running);
        assertTrue(error.getMessage().contains("not a jar") && error.getMessage().contains("drydock.jar install"),
                error.getMessage());
        MagicException missing = org.junit.jupiter.api.Assertions.assertThrows(MagicException.class,
                () -> KernelJar.of(dir.resolve("gone.jar")));
        assertTrue(missing.getMessage().contains("gone.jar"), missing.getMessage());
    }

    @Test
    void theSourceDocumentsStageNamesAreAliases() throws Exception {
        assertEquals(Stage.EO, Stage.parse("eo"));
        assertEquals(Stage.TRAIN, Stage.parse("e13n"));
        assertEquals(Stage.SCORE, Stage.parse("SS"));
        assertEquals(Stage.DEPLOY, Stage.parse("o16n"));
        assertEquals(Stage.DEPLOY, Stage.parse("deploy"));
        MagicException unknown = org.junit.jupiter.api.Assertions.assertThrows(MagicException.class, () -> Stage.parse("prod"));
        assertTrue(unknown.getMessage().contains("deploy (o16n)"), unknown.getMessage());
    }

    @Test
    void theDeployStageIsTheSlimServingImageWithTheScoringServer() throws Exception {
        Path pip = Files.writeString(dir.resolve("requirements.txt"), "x==1\n");
        String template = DockerfileRenderer.template(Stage.DEPLOY);
        String dockerfile = DockerfileRenderer.render(spec(null, pip, null, false, List.of()), template,
                Optional.empty(), false);
        assertTrue(dockerfile.contains("COPY score_server.py /opt/drydock/score_server.py\n"), dockerfile);
        assertTrue(dockerfile.contains("USER scorer\n") && dockerfile.contains("HEALTHCHECK "), dockerfile);
        assertTrue(dockerfile.indexOf("pip install") < dockerfile.indexOf("COPY score_server.py"), "dependencies first");
        assertTrue(template.contains("# score_server.py sha256 " + BuildInputs.sha256(DockerfileRenderer.server())),
                "a new server is a new content address");
        assertTrue(DockerfileRenderer.servesScoring(dockerfile));
        try (BuildContext context = BuildContext.assemble(spec(null, pip, null, false, List.of()), dockerfile, false)) {
            assertTrue(Files.readString(context.dir().resolve("score_server.py")).contains("ThreadingHTTPServer"));
        }
    }
}

package dev.drydock.magics.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.MagicException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvSpecFilesTest {

    @TempDir
    Path dir;

    @Test
    void readsEnvironmentsYmlWithPathsRelativeToTheFile() throws Exception {
        Files.writeString(dir.resolve("requirements.txt"), "numpy==1.26.4\n");
        Files.writeString(dir.resolve("apt.txt"), "curl\n");
        Files.writeString(dir.resolve("env.yml"), "dependencies: [python=3.11]\n");
        Path file = Files.writeString(dir.resolve("environments.yml"), """
                environments:
                  train:
                    base: python:3.11-slim
                    pip: requirements.txt
                    apt: apt.txt
                    gpu: true
                    secrets: [PIP_INDEX_URL]
                    args: {HTTP_PROXY: "http://proxy:3128"}
                  score:
                    base: python:3.11-slim
                    stage: score
                    conda: env.yml
                """);
        Map<String, EnvSpec> specs = SpecFiles.environments(file);
        assertEquals(List.of("train", "score"), List.copyOf(specs.keySet()));
        EnvSpec train = specs.get("train");
        assertEquals(Stage.TRAIN, train.stage());
        assertEquals(dir.resolve("requirements.txt"), train.pip());
        assertEquals(dir.resolve("apt.txt"), train.apt());
        assertTrue(train.gpu());
        assertEquals(List.of("PIP_INDEX_URL"), train.secrets());
        assertEquals(Map.of("HTTP_PROXY", "http://proxy:3128"), train.buildArgs());
        assertEquals(dir, train.folder());
        assertEquals(dir.resolve("train.lock.txt"), train.pipLock());
        EnvSpec score = specs.get("score");
        assertEquals(Stage.SCORE, score.stage());
        assertEquals(dir.resolve("env.yml"), score.conda());
        assertNull(score.pip());
    }

    @Test
    void anUnknownKeyNamesTheFileTheLineAndTheKnownKeys() throws Exception {
        Path file = Files.writeString(dir.resolve("environments.yml"), """
                environments:
                  train:
                    base: python:3.11-slim
                    requirements: requirements.txt
                """);
        MagicException e = assertThrows(MagicException.class, () -> SpecFiles.environments(file));
        assertTrue(e.getMessage().startsWith(file + ", line 4"), e.getMessage());
        assertTrue(e.getMessage().contains("unknown key `requirements`"), e.getMessage());
        assertTrue(e.getMessage().contains("pip"), e.getMessage());
    }

    @Test
    void malformedYamlNamesTheFileAndLine() throws Exception {
        Path file = Files.writeString(dir.resolve("environments.yml"), """
                environments:
                  train:
                    base: [python:3.11
                    stage: train
                """);
        MagicException e = assertThrows(MagicException.class, () -> SpecFiles.environments(file));
        assertTrue(e.getMessage().matches("(?s)" + java.util.regex.Pattern.quote(file.toString()) + ", line \\d+, column \\d+: .*"),
                e.getMessage());
    }

    @Test
    void aMissingFileOrBaseIsAClearError() throws Exception {
        MagicException missing = assertThrows(MagicException.class,
                () -> SpecFiles.environments(dir.resolve("environments.yml")));
        assertEquals(dir.resolve("environments.yml") + " does not exist.", missing.getMessage());

        Path file = Files.writeString(dir.resolve("environments.yml"), """
                environments:
                  train:
                    pip: nowhere.txt
                """);
        MagicException noBase = assertThrows(MagicException.class, () -> SpecFiles.environments(file));
        assertTrue(noBase.getMessage().contains("has no base image"), noBase.getMessage());

        Files.writeString(file, """
                environments:
                  train:
                    base: python:3.11-slim
                    pip: nowhere.txt
                """);
        MagicException noFile = assertThrows(MagicException.class, () -> SpecFiles.environments(file));
        assertTrue(noFile.getMessage().contains(dir.resolve("nowhere.txt") + " (" + file + ", environment train)"),
                noFile.getMessage());
    }

    @Test
    void readsACondaFileWithChannelsAndAPipSection() throws Exception {
        Path file = Files.writeString(dir.resolve("conda_dependencies.yml"), """
                # seed 002
                name: hello_env
                channels:
                  - conda-forge
                  - defaults
                dependencies:
                  - python=3.5.2
                  - ipykernel=4.6.1
                  - conda-forge::matplotlib=2.0.2=py35_0
                  - pip
                  - pip:
                    - azure-ml-api-sdk==0.1.0a10
                    - --extra-index-url https://pypi.python.org/simple
                    - applicationinsights==0.11.0
                """);
        SpecFiles.CondaEnv env = SpecFiles.conda(file);
        assertEquals("hello_env", env.name());
        assertEquals(List.of("conda-forge", "defaults"), env.channels());
        assertEquals(List.of("python=3.5.2", "ipykernel=4.6.1", "conda-forge::matplotlib=2.0.2=py35_0", "pip"),
                env.dependencies());
        assertEquals(3, env.pip().size());

        EnvSpec spec = new EnvSpec("t", "b", Stage.TRAIN, file, null, null, false, List.of(), Map.of(), dir, false);
        assertEquals(List.of(
                new Pin(Pin.Manager.CONDA, "python", "=3.5.2"),
                new Pin(Pin.Manager.CONDA, "ipykernel", "=4.6.1"),
                new Pin(Pin.Manager.CONDA, "matplotlib", "==2.0.2"),
                new Pin(Pin.Manager.CONDA, "pip", ""),
                new Pin(Pin.Manager.PIP, "azure-ml-api-sdk", "==0.1.0a10"),
                new Pin(Pin.Manager.PIP, "applicationinsights", "==0.11.0")), SpecFiles.pins(spec));
    }

    @Test
    void aCondaDependencyOfTheWrongShapeIsAnError() throws Exception {
        Path file = Files.writeString(dir.resolve("environment.yml"), """
                dependencies:
                  - numpy
                  - {conda: [scipy]}
                """);
        MagicException e = assertThrows(MagicException.class, () -> SpecFiles.conda(file));
        assertTrue(e.getMessage().startsWith(file + ": a dependency must be a package"), e.getMessage());

        Path broken = Files.writeString(dir.resolve("broken.yml"), "dependencies:\n  - numpy\n - scipy\n");
        MagicException syntax = assertThrows(MagicException.class, () -> SpecFiles.conda(broken));
        assertTrue(syntax.getMessage().startsWith(broken + ", line 3"), syntax.getMessage());
    }

    @Test
    void pinsComeFromAptCondaAndPipFilesAndSkipOptions() throws Exception {
        Path apt = Files.writeString(dir.resolve("apt.txt"), "# tools\ncurl=7.88.1-10+deb12u5\nlibgomp1  # for lightgbm\n");
        Path pip = Files.writeString(dir.resolve("requirements.txt"), """
                --find-links wheels
                -r other.txt
                numpy==1.26.4
                Scikit_Learn >= 1.3, <1.5  # comment
                requests[socks]~=2.31 ; python_version > "3.8"
                https://example.org/x.whl
                """);
        EnvSpec spec = new EnvSpec("t", "b", Stage.TRAIN, null, pip, apt, false, List.of(), Map.of(), dir, false);
        assertEquals(List.of(
                new Pin(Pin.Manager.APT, "curl", "=7.88.1-10+deb12u5"),
                new Pin(Pin.Manager.APT, "libgomp1", ""),
                new Pin(Pin.Manager.PIP, "numpy", "==1.26.4"),
                new Pin(Pin.Manager.PIP, "scikit-learn", ">=1.3,<1.5"),
                new Pin(Pin.Manager.PIP, "requests", "~=2.31")), SpecFiles.pins(spec));
        assertEquals(List.of("wheels"), SpecFiles.localFindLinks(pip));
    }

    @Test
    void explicitCondaListsAreRecognisedAndPinned() throws Exception {
        Path file = Files.writeString(dir.resolve("x.conda-lock.txt"), """
                # platform: linux-64
                @EXPLICIT
                https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py311h64a7726_0.conda#a502d7aad449a1206efb366d6a12c52d
                https://conda.anaconda.org/conda-forge/noarch/tzdata-2024a-h0c530f3_0.tar.bz2
                """);
        assertTrue(SpecFiles.isExplicit(file));
        EnvSpec spec = new EnvSpec("t", "b", Stage.TRAIN, file, null, null, false, List.of(), Map.of(), dir, false);
        assertEquals(List.of(new Pin(Pin.Manager.CONDA, "numpy", "==1.26.4"), new Pin(Pin.Manager.CONDA, "tzdata", "==2024a")),
                SpecFiles.pins(spec));
        assertFalse(SpecFiles.isExplicit(Files.writeString(dir.resolve("e.yml"), "dependencies: []\n")));
    }

    @Test
    void badNamesAndStagesAreUsageErrors() {
        EnvSpec upper = new EnvSpec("Train", "b", Stage.TRAIN, null, null, null, false, List.of(), Map.of(), dir, false);
        assertThrows(MagicException.class, () -> upper.validated("options"));
        MagicException stage = assertThrows(MagicException.class, () -> Stage.parse("prod"));
        assertEquals("Unknown stage 'prod': use one of eo, train (e13n), score (ss), deploy (o16n).", stage.getMessage());
    }
}

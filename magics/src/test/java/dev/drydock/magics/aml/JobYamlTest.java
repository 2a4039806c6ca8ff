package dev.drydock.magics.aml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.MagicException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobYamlTest {

    private static final Path FILE = Path.of("/work/exp/src/azure-ml-job.yaml");

    /** The shape of the third seed's azure-ml-job.yaml, with every kind of input. */
    private static final String SEED = """
            $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
            type: command
            experiment_name: example_experiment
            display_name: train
            description: Trains the example model.
            code: .
            command: >-
              python main.py --data ${{inputs.data}} --lr ${{inputs.lr}} --shuffle ${{inputs.shuffle}}
              --out ${{outputs.model}}
            environment:
              build:
                path: ../environment
            inputs:
              data:
                type: uri_file
                path: ./data/train.csv
              lr: 0.01
              shuffle: true
              folder:
                type: uri_folder
                path: file:../shared
            outputs:
              model:
                type: uri_folder
            compute: azureml:cpu-cluster
            resources:
              instance_count: 2
              shm_size: 8g
            distribution:
              type: pytorch
              process_count_per_instance: 4
            environment_variables:
              SEED: 42
            limits:
              timeout: 7200
            tags:
              owner: me
            """;

    private static JobSpec parse(String yaml, String... sets) throws MagicException {
        return JobYaml.parse(FILE, yaml, List.of(sets), null);
    }

    private static String error(String yaml, String... sets) {
        return assertThrows(MagicException.class, () -> parse(yaml, sets)).getMessage();
    }

    @Test
    void readsTheSeedShape() throws MagicException {
        JobSpec spec = parse(SEED);
        assertEquals("example_experiment", spec.experimentName());
        assertEquals("train", spec.displayName());
        assertEquals(Path.of("/work/exp/src"), spec.codeFolder().orElseThrow());
        JobSpec.Inline env = assertInstanceOf(JobSpec.Inline.class, spec.environment());
        assertEquals(Path.of("/work/exp/environment"), env.buildPath());
        assertEquals("Dockerfile", env.dockerfilePath());
        assertEquals(new JobSpec.Data("uri_file", "./data/train.csv", null), spec.inputs().get("data"));
        assertEquals(Path.of("/work/exp/shared"), ((JobSpec.Data) spec.inputs().get("folder")).localPath(spec.folder())
                .orElseThrow());
        assertEquals(new JobSpec.Literal("0.01"), spec.inputs().get("lr"));
        assertEquals(new JobSpec.Literal("True"), spec.inputs().get("shuffle"), "booleans as the SDK's str() sends them");
        assertEquals(new JobSpec.Output("uri_folder", null, null), spec.outputs().get("model"));
        assertEquals("azureml:cpu-cluster", spec.compute());
        assertTrue(!spec.localCompute());
        assertEquals(2, spec.resources().instanceCount());
        assertEquals(new JobSpec.Distribution("pytorch", 4, null, null), spec.distribution());
        assertEquals(Map.of("SEED", "42"), spec.environmentVariables());
        assertEquals(Duration.ofHours(2), spec.timeout());
        assertEquals(Map.of("owner", "me"), spec.tags());
        assertTrue(spec.command().contains("${{inputs.data}}"), "placeholders stay verbatim in the spec");
    }

    @Test
    void environmentForms() throws MagicException {
        String base = "command: echo\nenvironment: ";
        assertEquals(new JobSpec.Image("docker.io/library/python:3.11"),
                parse(base + "docker.io/library/python:3.11").environment());
        assertEquals(new JobSpec.Image("drydock/python:bookworm"), parse(base + "{image: drydock/python:bookworm}")
                .environment());
        assertEquals(new JobSpec.DrydockEnv("train"), parse(base + "train").environment());
        assertEquals(new JobSpec.Registered("sklearn-env", "3", null), parse(base + "azureml:sklearn-env:3").environment());
        assertEquals(new JobSpec.Registered("sklearn-env", null, "latest"),
                parse(base + "azureml:sklearn-env@latest").environment());
        JobSpec.Inline conda = assertInstanceOf(JobSpec.Inline.class,
                parse(base + "{image: 'python:3.11', conda_file: conda.yml}").environment());
        assertEquals(Path.of("/work/exp/src/conda.yml"), conda.condaFile());
        assertTrue(error(base + "azureml:broken").contains("azureml:NAME:VERSION"));
        assertTrue(error("command: echo\n").contains("no `environment:`"));
        assertTrue(error(base + "{image: a:1, build: {path: x}}").contains("not both"));
    }

    @Test
    void misspeltTopLevelKeyNamesLineAndNearestKey() {
        String message = error("command: echo\nenviroment: python:3\n");
        assertTrue(message.startsWith(FILE + ", line 2: unknown key `enviroment`; did you mean `environment`?"),
                message);
        assertTrue(message.contains("Valid keys here:"), message);
    }

    @Test
    void misspeltNestedKeysNameTheirPlace() {
        String input = error("""
                command: python a.py ${{inputs.data}}
                environment: python:3
                inputs:
                  data:
                    tpye: uri_file
                    path: a.csv
                """);
        assertTrue(input.contains("line 5: unknown key `tpye` under `inputs.data`; did you mean `type`?"), input);
        String env = error("command: echo\nenvironment:\n  imgae: python:3\n");
        assertTrue(env.contains("line 3: unknown key `imgae` under `environment`; did you mean `image`?"), env);
        String build = error("command: echo\nenvironment:\n  build:\n    path: .\n    dockerfile: D\n");
        assertTrue(build.contains("line 5") && build.contains("did you mean `dockerfile_path`?"), build);
        String resources = error("command: echo\nenvironment: a:1\nresources:\n  instance_cout: 2\n");
        assertTrue(resources.contains("line 4") && resources.contains("`instance_count`"), resources);
    }

    @Test
    void distributionKeysDependOnItsType() throws MagicException {
        String base = "command: echo\nenvironment: a:1\ndistribution:\n";
        assertEquals(new JobSpec.Distribution("tensorflow", null, 2, 1),
                parse(base + "  type: tensorflow\n  worker_count: 2\n  parameter_server_count: 1\n").distribution());
        assertEquals(new JobSpec.Distribution("mpi", 2, null, null),
                parse(base + "  type: mpi\n  process_count_per_instance: 2\n").distribution());
        String wrong = error(base + "  type: mpi\n  worker_count: 2\n");
        assertTrue(wrong.contains("line 5: unknown key `worker_count` under `distribution`"), wrong);
        String type = error(base + "  type: pytroch\n");
        assertTrue(type.contains("did you mean `pytorch`?"), type);
    }

    @Test
    void farOffKeysGetNoGuess() {
        String message = error("command: echo\nenvironment: a:1\nzzzzzzzz: 1\n");
        assertTrue(message.contains("unknown key `zzzzzzzz`.") && !message.contains("did you mean"), message);
    }

    @Test
    void placeholdersMustNameInputsAndOutputs() {
        String message = error("""
                command: python a.py --data ${{inputs.dta}}
                environment: a:1
                inputs:
                  data: {type: uri_file, path: a.csv}
                """);
        assertTrue(message.contains("line 1") && message.contains("${{inputs.dta}}")
                && message.contains("did you mean `data`?"), message);
        assertTrue(error("command: echo ${{outputs.model}}\nenvironment: a:1\n").contains("no output named `model`"));
    }

    @Test
    void badValuesAreNamed() {
        assertTrue(error("command: echo\nenvironment: a:1\ntype: sweep\n").contains("command jobs"));
        assertTrue(error("command: echo\nenvironment: a:1\ninputs:\n  d: {type: uri_fil, path: a}\n")
                .contains("did you mean `uri_file`?"));
        assertTrue(error("command: echo\nenvironment: a:1\ninputs:\n  d: {type: uri_file}\n").contains("needs `path:`"));
        assertTrue(error("command: echo\nenvironment: a:1\nresources: {instance_count: two}\n")
                .contains("whole number"));
        assertTrue(error("command: echo\nenvironment: a:1\nname: -bad\n").contains("bad job name"));
        assertTrue(error("command: [echo\n").contains("not valid YAML"));
        assertTrue(error("environment: a:1\n").contains("no `command:`"));
    }

    @Test
    void setOverridesAndCreatesPaths() throws MagicException {
        String yaml = """
                command: python a.py --lr ${{inputs.lr}} --data ${{inputs.data}}
                environment: a:1
                inputs:
                  lr: 0.1
                  data: {type: uri_file, path: a.csv}
                """;
        JobSpec spec = parse(yaml, "inputs.lr=0.5", "inputs.data.path=b.csv", "environment_variables.SEED=7",
                "compute=local", "environment={image: 'drydock/python:bookworm'}");
        assertEquals(new JobSpec.Literal("0.5"), spec.inputs().get("lr"));
        assertEquals("b.csv", ((JobSpec.Data) spec.inputs().get("data")).path());
        assertEquals(Map.of("SEED", "7"), spec.environmentVariables());
        assertEquals("local", spec.compute());
        assertEquals(new JobSpec.Image("drydock/python:bookworm"), spec.environment());
        assertEquals("0.5", spec.tree().path("inputs").path("lr").asText(), "the tree keeps what --set made");
    }

    @Test
    void setErrorsNameTheSet() {
        String yaml = "command: echo\nenvironment: a:1\n";
        String misspelt = error(yaml, "enviroment_variables.A=1");
        assertTrue(misspelt.contains("(--set enviroment_variables.A)") && misspelt.contains("`environment_variables`"),
                misspelt);
        assertTrue(error(yaml, "novalue").contains("PATH=VALUE"));
        assertTrue(error(yaml, "command.x=1").contains("not a map"));
    }

    @Test
    void nameOverrideWins() throws MagicException {
        assertEquals("run_2", JobYaml.parse(FILE, "name: run_1\ncommand: echo\nenvironment: a:1\n", List.of(), "run_2")
                .name());
        assertNull(parse("command: echo\nenvironment: a:1\n").name());
    }

    @Test
    void substitutesPlaceholders() {
        String command = "python a.py --data ${{inputs.data}} --lr ${{ inputs.lr }} --out ${{outputs.model}} ${{inputs.x}}";
        assertEquals("python a.py --data /drydock/inputs/data/train.csv --lr 0.1 --out /drydock/outputs/model ${{inputs.x}}",
                JobYaml.substitute(command, Map.of("data", "/drydock/inputs/data/train.csv", "lr", "0.1"),
                        Map.of("model", "/drydock/outputs/model")));
        assertEquals("echo $5 \\n", JobYaml.substitute("echo ${{inputs.v}}", Map.of("v", "$5 \\n"), Map.of()),
                "replacement text is taken literally");
    }

    @Test
    void writesTheTreeBack() throws MagicException {
        JobSpec spec = parse("command: echo ${{inputs.lr}}\nenvironment: a:1\ninputs: {lr: 0.1}\n", "inputs.lr=0.2");
        String text = JobYaml.write(spec.tree());
        JobSpec again = parse(text);
        assertEquals(spec.inputs(), again.inputs());
        assertEquals(spec.command(), again.command());
    }
}

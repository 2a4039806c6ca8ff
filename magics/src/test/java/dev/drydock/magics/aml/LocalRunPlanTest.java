package dev.drydock.magics.aml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import dev.drydock.magics.MagicException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalRunPlanTest {

    @TempDir
    Path dir;

    private JobSpec spec(String yaml) throws MagicException {
        return JobYaml.parse(dir.resolve("job.yaml"), yaml, List.of(), null);
    }

    @Test
    void inputsAndOutputsBecomeContainerPaths() throws IOException, MagicException {
        Files.writeString(dir.resolve("train.csv"), "x,y\n");
        Files.createDirectories(dir.resolve("images"));
        JobSpec spec = spec("""
                command: python train.py --data ${{inputs.data}} --images ${{inputs.images}} --lr ${{inputs.lr}} --out ${{outputs.model}}
                environment: a:1
                inputs:
                  data: {type: uri_file, path: train.csv}
                  images: {type: uri_folder, path: ./images}
                  lr: 0.5
                outputs:
                  model: {type: uri_folder}
                environment_variables: {SEED: 1}
                distribution: {type: pytorch, process_count_per_instance: 1}
                """);
        RunFolder folder = new RunFolder(dir.resolve("runs/j1"));
        LocalRun.Plan plan = LocalRun.plan(spec, folder, "j1");
        assertEquals("python train.py --data /drydock/inputs/data/train.csv --images /drydock/inputs/images --lr 0.5"
                + " --out /drydock/outputs/model", plan.command());
        // The working folder is the writable copy, never the snapshot itself; ./outputs is the outputs root.
        assertTrue(plan.binds().contains(new Bind(folder.working().toString(),
                new com.github.dockerjava.api.model.Volume("/drydock/code"), AccessMode.rw)));
        assertTrue(plan.binds().stream().noneMatch(bind -> bind.getPath().equals(folder.code().toString())));
        assertTrue(plan.binds().contains(new Bind(folder.outputs().toString(),
                new com.github.dockerjava.api.model.Volume("/drydock/code/outputs"), AccessMode.rw)));
        assertTrue(plan.binds().contains(new Bind(folder.mlruns().toString(),
                new com.github.dockerjava.api.model.Volume("/drydock/mlruns"), AccessMode.rw)));
        assertTrue(plan.binds().contains(new Bind(dir.resolve("train.csv").toString(),
                new com.github.dockerjava.api.model.Volume("/drydock/inputs/data/train.csv"), AccessMode.ro)));
        assertTrue(plan.binds().contains(new Bind(folder.outputs().toString(),
                new com.github.dockerjava.api.model.Volume("/drydock/outputs"), AccessMode.rw)));
        assertEquals("1", plan.environment().get("SEED"));
        assertEquals("j1", plan.environment().get("AZUREML_RUN_ID"));
        assertEquals("/drydock/inputs/data/train.csv", plan.environment().get("AZURE_ML_INPUT_data"));
        assertEquals("0.5", plan.environment().get("AZURE_ML_INPUT_lr"));
        assertEquals("/drydock/outputs/model", plan.environment().get("AZURE_ML_OUTPUT_model"));
        assertEquals("file:///drydock/mlruns", plan.environment().get("MLFLOW_TRACKING_URI"));
        assertEquals("1", plan.environment().get("WORLD_SIZE"));
        assertEquals(Map.of("model", "/drydock/outputs/model"), plan.outputs());
    }

    @Test
    void aMissingInputStopsBeforeAnythingRuns() throws MagicException {
        JobSpec spec = spec("command: cat ${{inputs.data}}\nenvironment: a:1\ninputs:\n  data: {type: uri_file, path: nope.csv}\n");
        String message = assertThrows(MagicException.class, () -> LocalRun.plan(spec, new RunFolder(dir.resolve("r")), "r"))
                .getMessage();
        assertTrue(message.contains(dir.resolve("nope.csv") + ", which does not exist"), message);
    }

    @Test
    void wrongKindOfPathAndRemotePathsAreNamed() throws IOException, MagicException {
        Files.createDirectories(dir.resolve("folder"));
        JobSpec file = spec("command: cat ${{inputs.d}}\nenvironment: a:1\ninputs:\n  d: {type: uri_file, path: folder}\n");
        assertTrue(assertThrows(MagicException.class, () -> LocalRun.plan(file, new RunFolder(dir), "r")).getMessage()
                .contains("is a folder, not a file"));
        JobSpec remote = spec("command: cat ${{inputs.d}}\nenvironment: a:1\ninputs:\n"
                + "  d: {type: uri_folder, path: 'azureml://datastores/workspaceblobstore/paths/data'}\n");
        assertTrue(assertThrows(MagicException.class, () -> LocalRun.plan(remote, new RunFolder(dir), "r")).getMessage()
                .contains("not on this machine"));
    }

    @Test
    void sizes() throws MagicException {
        assertEquals(8L << 30, LocalRun.bytes("8g"));
        assertEquals(512L << 20, LocalRun.bytes("512MB"));
        assertThrows(MagicException.class, () -> LocalRun.bytes("lots"));
    }
}

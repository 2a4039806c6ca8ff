package dev.drydock.magics.aml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Image;
import dev.drydock.magics.InterruptedMagic;
import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.api.MagicFamilies;
import dev.drydock.magics.container.ContainerRequest;
import dev.drydock.magics.container.Containers;
import dev.drydock.magics.container.HostUser;
import dev.drydock.magics.engine.Docker;
import dev.drydock.magics.env.EnvImageResolver;
import dev.drydock.magics.env.Environments;
import dev.drydock.magics.env.ImageBuilder;
import dev.drydock.magics.registry.RegistryCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code %aml} local runs on the real engine, with {@code drydock/python:bookworm} (bin/setup-docker
 * --python-base). The model is trained in pure Python: the image has no scikit-learn, and there is no PyPI here.
 */
@Tag("integration")
@Tag("docker")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AmlLocalIT {

    private static final String BASE = "drydock/python:bookworm";
    private static final String ENV = "aml-it-train";

    /** A nearest-centroid classifier on a CSV: model and metrics into the output folder, metric lines in the log. */
    private static final String TRAIN = """
            import argparse, csv, json, math, os, sys
            p = argparse.ArgumentParser()
            p.add_argument("--data"); p.add_argument("--out"); p.add_argument("--label", default="y")
            a = p.parse_args()
            rows = list(csv.DictReader(open(a.data)))
            features = [k for k in rows[0] if k != a.label]
            sums, counts = {}, {}
            for r in rows:
                c = r[a.label]; counts[c] = counts.get(c, 0) + 1
                s = sums.setdefault(c, [0.0] * len(features))
                for i, f in enumerate(features): s[i] += float(r[f])
            centroids = {c: [v / counts[c] for v in s] for c, s in sums.items()}
            def predict(r):
                x = [float(r[f]) for f in features]
                return min(centroids, key=lambda c: math.dist(x, centroids[c]))
            for epoch in range(3):
                print(f"metric: loss={1.0 / (epoch + 2):.3f}", flush=True)
            accuracy = sum(predict(r) == r[a.label] for r in rows) / len(rows)
            print(f"metric: accuracy={accuracy}")
            print("SEED is", os.environ.get("SEED"), "in", os.getcwd())
            print("a warning on stderr", file=sys.stderr)
            json.dump({"features": features, "centroids": centroids}, open(os.path.join(a.out, "model.json"), "w"))
            json.dump({"accuracy": accuracy, "n": len(rows)}, open(os.path.join(a.out, "metrics.json"), "w"))
            """;

    @TempDir
    static Path folder;

    private static Docker docker;
    private static DockerClient client;
    private static Session session;
    private static Magics magics;

    @BeforeAll
    static void connect() throws IOException {
        docker = new Docker();
        try {
            client = docker.engine().client();
        } catch (MagicException e) {
            fail("The Docker integration tests need an engine: run bin/setup-docker first. " + e.getMessage(), e);
        }
        try {
            client.inspectImageCmd(BASE).exec();
        } catch (RuntimeException e) {
            fail("This test needs " + BASE + ": run bin/setup-docker --python-base first.", e);
        }
        removeImages();
        session = new Session(folder, Map.of());
        // A client for a session with no workspace: every job here must run locally.
        magics = new Magics(session, MagicFamilies.ALL, List.of(docker, new RegistryCredentials(), HostUser.current(),
                new EnvImageResolver(docker), new ImageBuilder(), new AmlRestClient(session)));
        write("environments.yml", "environments:\n  " + ENV + ":\n    base: " + BASE + "\n");
        write("src/train.py", TRAIN);
        write("src/notes.md", "not for the snapshot");
        write("src/.amlignore", "*.md\n");
        write("src/.env", "TOKEN=do-not-copy");
        StringBuilder csv = new StringBuilder("a,b,y\n");
        for (int i = 0; i < 40; i++) {
            csv.append(i % 2 == 0 ? (1 + i * 0.01) + ",1.0,red\n" : (5 + i * 0.01) + ",5.0,blue\n");
        }
        write("data/train.csv", csv.toString());
        write("job.yaml", """
                $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
                type: command
                experiment_name: centroids
                code: ./src
                command: python3 train.py --data ${{inputs.training_data}} --out ${{outputs.model}}
                environment: %s
                inputs:
                  training_data:
                    type: uri_file
                    path: ./data/train.csv
                outputs:
                  model:
                    type: uri_folder
                compute: local
                environment_variables:
                  SEED: 7
                """.formatted(ENV));
    }

    @AfterAll
    static void cleanUp() {
        if (client != null) {
            for (Container container : client.listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(ContainerRequest.SESSION_LABEL, session.id())).exec()) {
                Containers.removeQuietly(client, container.getId());
            }
            removeImages();
        }
    }

    private static void removeImages() {
        for (Image image : client.listImagesCmd().withLabelFilter(Map.of(Environments.LABEL_ENV, ENV)).exec()) {
            client.removeImageCmd(image.getId()).withForce(true).exec();
        }
        for (Image image : client.listImagesCmd().withLabelFilter(LocalEnvironment.LABEL_CONTEXT_HASH).exec()) {
            if (image.getRepoTags() != null && List.of(image.getRepoTags()).stream().anyMatch(t -> t.startsWith("drydock/aml-it"))) {
                client.removeImageCmd(image.getId()).withForce(true).exec();
            }
        }
    }

    private static void write(String path, String text) throws IOException {
        Path file = folder.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private static RecordingNotebook aml(String args) throws MagicException {
        RecordingNotebook notebook = new RecordingNotebook();
        magics.run(new MagicCall("aml", args, null), notebook);
        return notebook;
    }

    private static String shown(RecordingNotebook notebook) {
        StringBuilder text = new StringBuilder(notebook.out());
        notebook.displays().forEach(d -> text.append(d.bundle().get("text/plain")));
        return text.toString();
    }

    @Test
    @Order(1)
    void trainsAModelLocallyFromASnapshot() throws Exception {
        RecordingNotebook notebook = aml("submit job.yaml --name train_1 --stream");
        String out = notebook.out();
        assertTrue(out.contains("Building " + ENV + " for the first time"), out);
        assertTrue(out.contains("metric: accuracy=1.0"), "the log streams into the cell: " + out);
        assertTrue(out.contains("SEED is 7 in /drydock/code"), out);
        assertTrue(out.contains("a warning on stderr"), out);
        assertTrue(out.contains("Left out .env: secrets never go into a snapshot."), out);
        assertTrue(out.contains("Job train_1 Completed (exit code 0)"), out);

        RunFolder run = RunFolder.of(session, "train_1");
        JobRecord record = run.record();
        assertEquals(JobRecord.State.Completed, record.status());
        assertEquals(0, record.exitCode());
        assertTrue(record.environmentBuilt());
        assertTrue(record.command().contains("--data /drydock/inputs/training_data/train.csv --out /drydock/outputs/model"),
                record.command());
        assertTrue(Files.readString(run.outputs().resolve("model/model.json")).contains("centroids"));
        assertTrue(Files.readString(run.log()).contains("metric: loss=0.250"));
        assertTrue(Files.isRegularFile(run.code().resolve("train.py")));
        assertFalse(Files.exists(run.code().resolve(".env")));
        assertFalse(Files.exists(run.code().resolve("notes.md")), ".amlignore is honoured");
        assertTrue(Files.readString(run.jobYaml()).contains("name: train_1"));
        assertTrue(Files.readString(run.environment().resolve("Dockerfile")).contains("FROM " + BASE));
        assertTrue(Files.readString(run.environment().resolve("environment.json")).contains("\"kind\" : \"drydock\""));
        assertTrue(client.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(LocalRun.LABEL_JOB, "train_1")).exec().isEmpty(), "the container is removed");

        String status = shown(aml("status train_1"));
        assertTrue(status.contains("Status:      Completed"), status);
        assertTrue(status.matches("(?s).*accuracy\\s+1\\.0\\s+1\\s+outputs/model/metrics.json.*"), status);
        assertTrue(status.matches("(?s).*loss\\s+0\\.250\\s+3\\s+logs/std_log.txt.*"), status);
    }

    @Test
    @Order(2)
    void aRerunDoesNotRebuildTheEnvironment() throws Exception {
        RecordingNotebook notebook = aml("submit job.yaml --name train_2 --stream --set environment_variables.SEED=8");
        assertTrue(notebook.out().contains(ENV + " unchanged"), notebook.out());
        assertTrue(notebook.out().contains("SEED is 8"), notebook.out());
        assertFalse(RunFolder.of(session, "train_2").record().environmentBuilt());
        String list = shown(aml("ls"));
        assertTrue(list.contains("train_1") && list.contains("train_2") && list.contains("Completed"), list);
        String stream = aml("stream train_1").out();
        assertTrue(stream.contains("metric: accuracy=1.0") && stream.contains("Job train_1 Completed"), stream);
    }

    @Test
    @Order(2)
    void aSecretPrintedInTwoHalvesIsMaskedInTheLogAndNothingPlantedIsInTheSnapshot() throws Exception {
        dev.drydock.magics.files.Planted.plant(folder.resolve("planted"), ".amlignore");
        session.setSecret("SPLIT_TOKEN", "split-secret-7f2e9c41");
        aml("submit job.yaml --name split_1 --stream --set code=./planted"
                + " --set \"command=printf split-secr; sleep 0.05; echo et-7f2e9c41 done\"");
        RunFolder run = RunFolder.of(session, "split_1");
        String log = Files.readString(run.log());
        assertFalse(log.contains("split-secret-7f2e9c41"), log);
        assertTrue(log.contains("**** done"), log);
        try (var files = Files.walk(run.code())) {
            assertEquals(java.util.Set.of(".amlignore", "main.py", "sub/util.py"), files.filter(Files::isRegularFile)
                    .map(p -> run.code().relativize(p).toString()).collect(java.util.stream.Collectors.toSet()));
        }
    }

    @Test
    @Order(2)
    void aSharedFolderLinkedIntoTheCodeFolderIsInTheSnapshotAndImports() throws Exception {
        write("common/helpers.py", "GREETING = 'hello from common'\n");
        write("experiments/one/src/main.py", "from common.helpers import GREETING\nprint(GREETING)\n");
        Files.createSymbolicLink(folder.resolve("experiments/one/src/common"), Path.of("../../../common"));
        RecordingNotebook notebook = aml("submit job.yaml --name linked_1 --stream --set code=./experiments/one/src"
                + " --set \"command=python3 main.py\"");
        assertTrue(notebook.out().contains("hello from common"), notebook.out());
        RunFolder run = RunFolder.of(session, "linked_1");
        assertTrue(Files.isRegularFile(run.code().resolve("common/helpers.py")));
        assertFalse(Files.isSymbolicLink(run.code().resolve("common")));

        Files.createSymbolicLink(folder.resolve("experiments/one/src/outside"), Path.of("/etc"));
        MagicException refused = assertThrows(MagicException.class, () -> aml("submit job.yaml --name linked_2"
                + " --set code=./experiments/one/src --set \"command=python3 main.py\""));
        assertTrue(refused.getMessage().contains("the link outside points to /etc, outside the project"),
                refused.getMessage());
    }

    @Test
    @Order(3)
    void aScriptThatExitsOneFailsTheJob() throws Exception {
        MagicException e = assertThrows(MagicException.class, () -> aml("submit job.yaml --name fails_1 --stream"
                + " --set \"command=echo about to fail; exit 1\""));
        assertTrue(e.getMessage().contains("Job fails_1 Failed (exit code 1)"), e.getMessage());
        assertTrue(e.getMessage().contains("about to fail"), "the error shows the log's last lines: " + e.getMessage());
        JobRecord record = RunFolder.of(session, "fails_1").record();
        assertEquals(JobRecord.State.Failed, record.status());
        assertEquals(1, record.exitCode());
    }

    @Test
    @Order(4)
    void aMissingInputIsAnErrorBeforeAnythingRuns() {
        MagicException e = assertThrows(MagicException.class, () -> aml("submit job.yaml --name missing_1"
                + " --set inputs.training_data.path=./data/nope.csv"));
        assertTrue(e.getMessage().contains("nope.csv, which does not exist. Nothing was run."), e.getMessage());
        assertFalse(Files.exists(RunFolder.of(session, "missing_1").root()), "no run folder was made");
    }

    @Test
    @Order(5)
    void anEnvironmentThatDoesNotBuildIsAClearError() throws Exception {
        write("badenv/Dockerfile", "FROM " + BASE + "\nRUN echo cannot build this && exit 3\n");
        MagicException e = assertThrows(MagicException.class, () -> aml("submit job.yaml --name badenv_1"
                + " --set \"environment={name: aml-it-bad, build: {path: ./badenv}}\""));
        assertTrue(e.getMessage().startsWith("Job badenv_1 failed before it started:"), e.getMessage());
        assertTrue(e.getMessage().contains("cannot build this"), e.getMessage());
        JobRecord record = RunFolder.of(session, "badenv_1").record();
        assertEquals(JobRecord.State.Failed, record.status());
        assertTrue(record.error().startsWith("The environment did not build"), record.error());
    }

    /**
     * An environment's build folder is a Docker build context: what its .dockerignore excludes and a planted .env
     * are not in the image built (docker save shows every layer's files), what it lets through is.
     */
    @Test
    @Order(5)
    void aBuildContextGoesThroughTheDockerRules() throws Exception {
        String nonce = Long.toHexString(System.nanoTime());
        write("ctxenv/Dockerfile", "FROM " + BASE + "\nCOPY . /ctx\n");
        write("ctxenv/.dockerignore", "notes.txt\n");
        write("ctxenv/app.txt", "let-through-" + nonce);
        write("ctxenv/notes.txt", "docker-ignored-" + nonce);
        write("ctxenv/.env", "TOKEN=planted-secret-" + nonce);
        aml("submit job.yaml --name ctxenv_1 --stream --set \"command=ls -a /ctx\""
                + " --set \"environment={name: it-ctx, build: {path: ./ctxenv}}\"");
        JobRecord record = RunFolder.of(session, "ctxenv_1").record();
        assertEquals(JobRecord.State.Completed, record.status(), record::toString);
        java.io.ByteArrayOutputStream saved = new java.io.ByteArrayOutputStream();
        try (java.io.InputStream in = client.saveImageCmd(record.image()).exec()) {
            in.transferTo(saved);
        }
        String image = saved.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(image.contains("let-through-" + nonce), "the context's files are in the image");
        assertFalse(image.contains("docker-ignored-" + nonce), "a .dockerignored file went into the image");
        assertFalse(image.contains("planted-secret-" + nonce), "a .env went into the image");
    }

    @Test
    @Order(6)
    void aMisspeltKeyNamesTheNearestOne() throws Exception {
        write("typo.yaml", "command: echo hi\nenviroment: " + BASE + "\n");
        MagicException e = assertThrows(MagicException.class, () -> aml("submit typo.yaml"));
        assertTrue(e.getMessage().contains("typo.yaml, line 2: unknown key `enviroment`; did you mean `environment`?"),
                e.getMessage());
    }

    @Test
    @Order(7)
    void aJobRunsInTheBackgroundAndCancels() throws Exception {
        RecordingNotebook submitted = aml("submit job.yaml --name sleepy_1 --set \"environment=" + BASE + "\""
                + " --set \"command=echo started; sleep 60\"");
        assertTrue(submitted.out().contains("%aml stream sleepy_1 follows its log"), submitted.out());
        RunFolder run = RunFolder.of(session, "sleepy_1");
        assertEquals(JobRecord.State.Running, run.record().status());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(run.log()).contains("started") && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(Files.readString(run.log()).contains("started"), "the log is saved while the cell is gone");
        assertTrue(aml("cancel sleepy_1").out().contains("Job sleepy_1 is Canceled."));
        assertEquals(JobRecord.State.Canceled, run.record().status());
        assertTrue(client.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(LocalRun.LABEL_JOB, "sleepy_1")).exec().isEmpty());
    }

    @Test
    @Order(8)
    void anInterruptWhileStreamingCancelsTheJob() throws Exception {
        RecordingNotebook notebook = new RecordingNotebook();
        Path log = RunFolder.of(session, "interrupted_1").log();
        InterruptedMagic submit = InterruptedMagic.start(magics, new MagicCall("aml",
                "submit job.yaml --name interrupted_1 --stream --set environment=" + BASE
                        + " --set \"command=echo started; sleep 60\"", null), notebook,
                () -> logSays(log, "started"), java.time.Duration.ofSeconds(60));
        MagicException e = submit.interrupt();
        assertEquals(MagicException.Kind.KeyboardInterrupt, e.kind(), e.getMessage());
        assertEquals(JobRecord.State.Canceled, RunFolder.of(session, "interrupted_1").record().status());
        assertTrue(client.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(LocalRun.LABEL_JOB, "interrupted_1")).exec().isEmpty(), "its container is gone");
    }

    /**
     * An engine that freezes while a job streams (a SIGSTOPped dockerd): the interrupt ends the cell, through the
     * engine's bounded clean-up client, with a Canceled record saying the container may still run. Its
     * container is removed afterwards through the real engine.
     */
    @Test
    @Order(8)
    void anInterruptOnAFrozenEngineEndsTheCellAndSaysTheContainerMayStillRun() throws Exception {
        try (dev.drydock.magics.engine.FreezableEngine engine = new dev.drydock.magics.engine.FreezableEngine(folder);
                Docker frozenDocker = new Docker(() -> new dev.drydock.magics.engine.DockerEngine(
                        dev.drydock.magics.engine.DockerConfig.resolve(Map.of("DOCKER_HOST", engine.endpoint().toString()),
                                folder)))) {
            Magics frozenMagics = new Magics(session, MagicFamilies.ALL, List.of(frozenDocker, new RegistryCredentials(),
                    HostUser.current(), new EnvImageResolver(frozenDocker), new ImageBuilder(),
                    new AmlRestClient(session)));
            RecordingNotebook notebook = new RecordingNotebook();
            Path log = RunFolder.of(session, "frozen_1").log();
            InterruptedMagic submit = InterruptedMagic.start(frozenMagics, new MagicCall("aml",
                    "submit job.yaml --name frozen_1 --stream --set environment=" + BASE
                            + " --set \"command=echo started; sleep 60\"", null), notebook,
                    () -> logSays(log, "started"), java.time.Duration.ofSeconds(60));
            engine.freeze();
            MagicException e = submit.interrupt();
            assertEquals(MagicException.Kind.KeyboardInterrupt, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("The Docker engine does not answer, so container "),
                    () -> e.getMessage() + (e.getCause() == null ? "" : " (cause: " + e.getCause() + ")"));
            JobRecord record = RunFolder.of(session, "frozen_1").record();
            assertEquals(JobRecord.State.Canceled, record.status());
            assertTrue(record.error().contains("may still be running"), record.error());
        } finally {
            for (Container left : client.listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(LocalRun.LABEL_JOB, "frozen_1")).exec()) {
                Containers.removeQuietly(client, left.getId());
            }
        }
    }

    /** What a job script sees, as on Azure ML: a writable working folder, the run's variables, MLflow's store. */
    private static final String RUNTIME = """
            import os, time
            run_id = os.environ["AZUREML_RUN_ID"]
            os.makedirs("outputs", exist_ok=True)
            open("outputs/x", "w").write(run_id)
            open("scratch.txt", "w").write("written beside the code")
            open("train.py", "a").write("# changed by the job\\n")
            print("input", os.environ["AZURE_ML_INPUT_training_data"], "output", os.environ["AZURE_ML_OUTPUT_model"])
            print("experiment", os.environ.get("AZUREML_ARM_PROJECT_NAME"))
            # The layout of MLflow's FileStore (no mlflow offline): <experiment>/<run>/metrics/<key>, "ms value step".
            store = os.environ["MLFLOW_TRACKING_URI"][len("file://"):]
            metrics = os.path.join(store, "1", "0123456789abcdef0123456789abcdef", "metrics")
            os.makedirs(metrics)
            with open(os.path.join(metrics, "rmse"), "w") as f:
                for step, value in enumerate([0.9, 0.4, 0.2]):
                    f.write(f"{int(time.time() * 1000)} {value} {step}\\n")
            print("tracking", os.environ["MLFLOW_TRACKING_URI"])
            """;

    @Test
    @Order(9)
    void aJobWritesItsWorkingFolderAndSeesAzureMlsVariablesWhileTheSnapshotStaysAsSubmitted() throws Exception {
        write("src/runtime.py", RUNTIME);
        RecordingNotebook notebook = aml("submit job.yaml --name runtime_1 --stream --set environment=" + BASE
                + " --set \"command=python3 runtime.py\"");
        String out = notebook.out();
        assertTrue(out.contains("Job runtime_1 Completed (exit code 0)"), out);
        assertTrue(out.contains("input /drydock/inputs/training_data/train.csv output /drydock/outputs/model"), out);
        assertTrue(out.contains("experiment centroids"), out);
        assertTrue(out.contains("tracking file:///drydock/mlruns"), out);
        assertEquals("runtime_1", session.variable(LocalJobs.JOB_NAME_VARIABLE).orElseThrow());

        RunFolder run = RunFolder.of(session, "runtime_1");
        assertEquals("runtime_1", Files.readString(run.outputs().resolve("x")), "./outputs is the run's outputs root");
        assertTrue(Files.readString(run.working().resolve("scratch.txt")).contains("beside the code"));
        assertTrue(Files.readString(run.working().resolve("train.py")).endsWith("# changed by the job\n"));
        // The snapshot is what was submitted, byte for byte, and nothing the job wrote.
        assertEquals(Files.readString(folder.resolve("src/train.py")), Files.readString(run.code().resolve("train.py")));
        try (var files = Files.walk(run.code())) {
            assertEquals(List.of(".amlignore", "runtime.py", "train.py"), files.filter(Files::isRegularFile)
                    .map(file -> run.code().relativize(file).toString()).sorted().toList());
        }
        assertTrue(Files.isRegularFile(run.mlruns().resolve("1/0123456789abcdef0123456789abcdef/metrics/rmse")));

        String status = shown(aml("status runtime_1"));
        assertTrue(status.matches("(?s).*rmse\\s+0\\.2\\s+3\\s+mlruns/1/0123456789abcdef0123456789abcdef.*"), status);
    }

    @Test
    @Order(10)
    void twoKernelsSubmittingOneNameAtOnceGetItOnce() throws Exception {
        for (int round = 0; round < 4; round++) {
            String name = "race_" + round;
            Magics[] kernels = {kernel(folder), kernel(folder)};
            java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
            List<java.util.concurrent.CompletableFuture<String>> submits = new java.util.ArrayList<>();
            for (Magics kernel : kernels) {
                submits.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        together.await();
                        kernel.run(new MagicCall("aml", "submit job.yaml --name " + name + " --stream --set environment="
                                + BASE + " --set \"command=echo ran\"", null), new RecordingNotebook());
                        return "ok";
                    } catch (MagicException e) {
                        return e.getMessage();
                    } catch (Exception e) {
                        return e.toString();
                    }
                }));
            }
            List<String> results = submits.stream().map(java.util.concurrent.CompletableFuture::join).toList();
            assertEquals(1, results.stream().filter("ok"::equals).count(), results.toString());
            assertTrue(results.stream().anyMatch(r -> r.startsWith("A job named " + name + " exists already")),
                    results.toString());
            JobRecord record = RunFolder.of(session, name).record();
            assertEquals(JobRecord.State.Completed, record.status());
            assertEquals("ran\n", Files.readString(RunFolder.of(session, name).log()));
            for (Magics kernel : kernels) {
                kernel.close();
            }
        }
    }

    @Test
    @Order(11)
    void aKernelShutDownMidJobLeavesNoContainerAndACanceledRecord() throws Exception {
        Magics kernel = kernel(folder);
        kernel.run(new MagicCall("aml", "submit job.yaml --name shutdown_1 --set environment=" + BASE
                + " --set \"command=echo started; sleep 600\"", null), new RecordingNotebook());
        RunFolder run = RunFolder.of(session, "shutdown_1");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!logSays(run.log(), "started") && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(JobRecord.State.Running, run.record().status());

        // The kernel's shutdown may come on a thread it has just interrupted: the job is stopped and recorded anyway.
        Thread.currentThread().interrupt();
        kernel.close();
        assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");

        JobRecord record = run.record();
        assertEquals(JobRecord.State.Canceled, record.status());
        assertTrue(record.error().contains("the kernel shut down"), record.error());
        assertEquals("started\n", Files.readString(run.log()), "the log as far as the job got");
        assertTrue(client.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(LocalRun.LABEL_JOB, "shutdown_1")).exec().isEmpty(), "no container is left");
        MagicException refused = assertThrows(MagicException.class, () -> kernel.run(new MagicCall("aml",
                "submit job.yaml --name shutdown_2 --set environment=" + BASE, null), new RecordingNotebook()));
        assertTrue(refused.getMessage().contains("shutting down"), refused.getMessage());
    }

    @Test
    @Order(12)
    void oneJobNameInTwoFoldersRunsInBoth(@TempDir Path other) throws Exception {
        Files.copy(folder.resolve("job.yaml"), other.resolve("job.yaml"));
        Files.copy(folder.resolve("environments.yml"), other.resolve("environments.yml"));
        Files.createDirectories(other.resolve("src"));
        Files.createDirectories(other.resolve("data"));
        Files.copy(folder.resolve("data/train.csv"), other.resolve("data/train.csv"));
        Magics here = kernel(folder);
        Magics there = kernel(other);
        // A name of this run's own: containers that an interrupted earlier run left are not counted.
        String twin = "twin_" + Long.toHexString(System.nanoTime());
        String args = "submit job.yaml --name " + twin + " --set environment=" + BASE + " --set \"command=sleep 600\"";
        here.run(new MagicCall("aml", args, null), new RecordingNotebook());
        there.run(new MagicCall("aml", args, null), new RecordingNotebook());
        assertEquals(2, client.listContainersCmd().withLabelFilter(Map.of(LocalRun.LABEL_JOB, twin)).exec().size(),
                "both run: no Docker 409 on a shared container name");
        here.close();
        there.close();
        assertTrue(client.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(LocalRun.LABEL_JOB, twin)).exec().isEmpty());
    }

    /**
     * Records a kernel left behind when it was killed (no close()): each says Running, with its container in the
     * state the kill left it. A later kernel's status ends them from what the engine knows.
     */
    @Test
    @Order(13)
    void aStaleRunningRecordIsReconciledFromTheEngine() throws Exception {
        String dead = "2147483646@" + java.net.InetAddress.getLocalHost().getHostName();
        String tenMinutesAgo = java.time.Instant.now().minusSeconds(600).truncatedTo(java.time.temporal.ChronoUnit.MILLIS)
                .toString();
        String exited = staleJob("stale_exited", "true", dead, tenMinutesAgo);
        client.startContainerCmd(exited).exec();
        client.waitContainerCmd(exited).start().awaitStatusCode(60, TimeUnit.SECONDS);
        String orphan = staleJob("stale_orphan", "sleep 600", dead, tenMinutesAgo);
        client.startContainerCmd(orphan).exec();
        String watched = staleJob("stale_watched", "sleep 600", JobRecord.THIS_KERNEL, java.time.Instant.now().toString());
        client.startContainerCmd(watched).exec();
        staleJob("stale_gone", null, dead, tenMinutesAgo);
        RunFolder preparing = RunFolder.of(session, "stale_preparing");
        Files.createDirectories(preparing.root());
        new JobRecord("stale_preparing", "stale_preparing", null, "local", JobRecord.State.NotStarted, tenMinutesAgo,
                null, null, null, null, null, null, null, null, null, Map.of(), Map.of(), Map.of(), dead)
                .write(preparing.root(), session.masker());

        Magics later = kernel(folder);
        RecordingNotebook list = new RecordingNotebook();
        later.run(new MagicCall("aml", "ls", null), list);

        JobRecord completed = RunFolder.of(session, "stale_exited").record();
        assertEquals(JobRecord.State.Completed, completed.status());
        assertTrue(LocalJobs.duration(completed).endsWith(" s") && !LocalJobs.duration(completed).contains("min"),
                "the engine's times, not ten minutes: " + LocalJobs.duration(completed));
        JobRecord canceled = RunFolder.of(session, "stale_orphan").record();
        assertEquals(JobRecord.State.Canceled, canceled.status());
        assertTrue(canceled.error().contains("ended without stopping it"), canceled.error());
        assertEquals(JobRecord.State.Running, RunFolder.of(session, "stale_watched").record().status(),
                "a job whose kernel lives is left to it");
        JobRecord gone = RunFolder.of(session, "stale_gone").record();
        assertEquals(JobRecord.State.Failed, gone.status());
        assertTrue(gone.error().contains("container is gone"), gone.error());
        JobRecord neverStarted = preparing.record();
        assertEquals(JobRecord.State.Canceled, neverStarted.status(), "killed while building its environment");
        assertTrue(neverStarted.error().contains("ended before the job started"), neverStarted.error());
        for (String id : List.of(exited, orphan)) {
            assertTrue(client.listContainersCmd().withShowAll(true).withIdFilter(List.of(id)).exec().isEmpty());
        }
        Containers.removeQuietly(client, watched);
        later.close();
    }

    /** A Running record as a killed kernel leaves it, and (unless command is null) its created container. */
    private static String staleJob(String name, String command, String kernel, String startedAt) throws Exception {
        RunFolder run = RunFolder.of(session, name);
        Files.createDirectories(run.log().getParent());
        Files.writeString(run.log(), "");
        String id = command == null ? null : client.createContainerCmd(BASE).withCmd("/bin/sh", "-c", command)
                .withName(LocalRun.containerName(name) + "-stale")
                .withLabels(Map.of(ContainerRequest.SESSION_LABEL, session.id(), LocalRun.LABEL_JOB, name))
                .exec().getId();
        new JobRecord(name, name, "centroids", "local", JobRecord.State.Running, startedAt, startedAt, null, null, null,
                BASE, BASE, false, id, command, Map.of(), Map.of(), Map.of(), kernel).write(run.root(), session.masker());
        return id;
    }

    /** Another kernel: its own session (and so its own watched jobs) over {@code dir}, on the shared engine. */
    /** Another kernel: its own session and engine client, which its close() closes (the shared one stays open). */
    private static Magics kernel(Path dir) {
        // A kernel of its own: its shutdown closes its engine client, as a real kernel's does.
        Session own = new Session(dir, Map.of());
        Docker engine = new Docker();
        return new Magics(own, MagicFamilies.ALL, List.of(engine, new RegistryCredentials(), HostUser.current(),
                new EnvImageResolver(engine), new ImageBuilder(), new AmlRestClient(own)));
    }

    private static boolean logSays(Path log, String text) {
        try {
            return Files.exists(log) && Files.readString(log).contains(text);
        } catch (java.io.IOException e) {
            return false;
        }
    }
}

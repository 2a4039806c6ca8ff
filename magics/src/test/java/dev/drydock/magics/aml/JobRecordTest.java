package dev.drydock.magics.aml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.SecretMasker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobRecordTest {

    @TempDir
    Path dir;

    private static JobRecord created() throws MagicException {
        JobSpec spec = JobYaml.parse(Path.of("/x/exp/job.yaml"), "command: echo\nenvironment: a:1\ntags: {k: v}\n",
                List.of(), null);
        return JobRecord.created(spec, "calm_lamp_1", Map.of("model", "/runs/calm_lamp_1/outputs/model"));
    }

    @Test
    void walksNotStartedRunningCompleted() throws MagicException {
        JobRecord record = created();
        assertEquals(JobRecord.State.NotStarted, record.status());
        assertEquals("calm_lamp_1", record.displayName(), "the display name defaults to the name");
        assertEquals("exp", record.experimentName(), "the experiment defaults to the YAML's folder");
        JobRecord running = record.to(JobRecord.State.Running, null, null);
        assertNotNull(running.startedAt());
        assertNull(running.endedAt());
        JobRecord done = running.to(JobRecord.State.Completed, 0, null);
        assertNotNull(done.endedAt());
        assertEquals(running.startedAt(), done.startedAt());
        assertEquals(0, done.exitCode());
    }

    @Test
    void finalStatesNeverChange() throws MagicException {
        JobRecord failed = created().to(JobRecord.State.Running, null, null).to(JobRecord.State.Failed, 1, "boom");
        for (JobRecord.State next : JobRecord.State.values()) {
            assertThrows(IllegalStateException.class, () -> failed.to(next, null, null), next.toString());
        }
        assertThrows(IllegalStateException.class, () -> created().to(JobRecord.State.Completed, 0, null),
                "a job that never ran cannot complete");
        assertEquals(JobRecord.State.Failed, created().to(JobRecord.State.Failed, null, "no image").status(),
                "an environment that does not build fails the job before it starts");
        assertEquals(JobRecord.State.Canceled, created().to(JobRecord.State.Canceled, null, null).status());
    }

    @Test
    void roundTripsThroughJobJson() throws MagicException {
        JobRecord record = created().to(JobRecord.State.Running, null, null)
                .withEnvironment("image a:1", "a:1", false)
                .withContainer("abc", "echo", Map.of("lr", "0.1"), "1@host")
                .to(JobRecord.State.Failed, 2, "exit 2");
        record.write(dir, new SecretMasker());
        assertTrue(Files.isRegularFile(dir.resolve("job.json")));
        assertEquals(record, JobRecord.read(dir));
        assertTrue(assertThrows(MagicException.class, () -> JobRecord.read(dir.resolve("none"))).getMessage()
                .contains("job.json is missing"));
    }

    /**
     * A value from .env can reach a record through the command, a literal input, an error or a tag: job.json is
     * written through the session's masker like every record Drydock writes, also for a secret that JSON escapes.
     */
    @Test
    void jobJsonIsMaskedLikeEveryRecord() throws Exception {
        SecretMasker masker = new SecretMasker();
        masker.add("s3cr\"et-value");
        masker.add("tok-9f8e7d6c");
        JobRecord record = created().to(JobRecord.State.Running, null, null)
                .withContainer("abc", "train --key s3cr\"et-value", Map.of("token", "tok-9f8e7d6c"), "1@host")
                .to(JobRecord.State.Failed, 1, "login failed for tok-9f8e7d6c");
        record.write(dir, masker);
        String written = Files.readString(dir.resolve("job.json"));
        assertFalse(written.contains("s3cr"), written);
        assertFalse(written.contains("tok-9f8e7d6c"), written);
        JobRecord read = JobRecord.read(dir);
        assertEquals("train --key ****", read.command());
        assertEquals(Map.of("token", "****"), read.inputs());
        assertEquals("login failed for ****", read.error());
        assertEquals(record.createdAt(), read.createdAt(), "what holds no secret is kept as it was");
    }

    @Test
    void aKernelIsGoneOnlyWhenKnownToBe() throws Exception {
        JobRecord mine = created();
        assertEquals(JobRecord.THIS_KERNEL, mine.kernel(), "a new job names the kernel that submitted it");
        assertTrue(mine.kernelAlive());
        String host = JobRecord.THIS_KERNEL.substring(JobRecord.THIS_KERNEL.indexOf('@') + 1);
        assertFalse(owned(mine, "2147483646@" + host).kernelAlive(), "no such process");
        assertTrue(owned(mine, "2147483646@another-host").kernelAlive(), "another machine's kernel cannot be checked");
        assertTrue(owned(mine, null).kernelAlive(), "a record from before kernels were named");
        JobRecord old = new JobRecord("j", "j", null, "local", JobRecord.State.Running, "2000-01-01T00:00:00Z", null,
                null, null, null, null, null, null, null, null, null, null, null, JobRecord.THIS_KERNEL);
        assertFalse(old.kernelAlive(), "this pid started after the job was created: a reused pid, not its kernel");
    }

    private static JobRecord owned(JobRecord record, String kernel) {
        return new JobRecord(record.name(), record.displayName(), record.experimentName(), record.compute(),
                record.status(), record.createdAt(), record.startedAt(), record.endedAt(), record.exitCode(),
                record.error(), record.environment(), record.image(), record.environmentBuilt(), record.container(),
                record.command(), record.inputs(), record.outputs(), record.tags(), kernel);
    }
}

package dev.drydock.magics.container;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectExecResponse;
import dev.drydock.magics.Cancellation;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Ends the process of an interrupted {@code %container exec}. The engine's API has no call for it (stopping
 * the attach stream leaves the process running), but it reports the process's host pid. On a local engine
 * that pid is signalled directly, and only after checking, through its cgroup, that it belongs to the
 * container: with an engine in another pid namespace (rootless, a VM) the same number is someone else.
 */
final class ExecProcess {

    private static final long GRACE_MILLIS = 2_000;

    private ExecProcess() {}

    /** Stops the exec's process if it still runs; returns why it could not, or empty when it is gone. */
    static Optional<String> stop(DockerClient client, URI engine, String execId) {
        // The kernel interrupts the cell's thread too; the engine call and the grace period must not see that.
        return Cancellation.uninterruptibly(() -> stopUninterrupted(client, engine, execId));
    }

    private static Optional<String> stopUninterrupted(DockerClient client, URI engine, String execId) {
        InspectExecResponse exec;
        try {
            exec = client.inspectExecCmd(execId).exec();
        } catch (RuntimeException e) {
            // Any failure here must not hide the interrupt the person asked for; it only changes the advice.
            return Optional.of("the engine could not say whether it still runs (" + e.getMessage() + ")");
        }
        if (!Boolean.TRUE.equals(exec.isRunning())) {
            return Optional.empty();
        }
        Long pid = exec.getPidLong();
        if (!"unix".equals(engine.getScheme()) || pid == null || pid <= 0) {
            return Optional.of("the engine is not on this machine, so its process cannot be signalled from here");
        }
        if (!belongsTo(pid, exec.getContainerID())) {
            return Optional.of("its process id " + pid + " is not this container's here (the engine runs in another"
                    + " process namespace)");
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty()) {
            return Optional.empty();
        }
        if (!process.get().destroy()) {
            return Optional.of("this kernel may not signal process " + pid + " (it runs as another user)");
        }
        try {
            process.get().onExit().get(GRACE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (Exception stillRunning) {
            process.get().destroyForcibly();
        }
        return Optional.empty();
    }

    /** Whether the process's cgroup names the container, as cgroup v1 ({@code /docker/ID}) and v2 ({@code docker-ID.scope}) do. */
    static boolean belongsTo(long pid, String containerId) {
        try {
            return containerId != null && !containerId.isEmpty()
                    && Files.readString(Path.of("/proc", Long.toString(pid), "cgroup")).contains(containerId);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}

package dev.drydock.magics.aml;

import java.util.Optional;
import java.util.Set;

/**
 * A job as the workspace reports it ({@code GET jobs/{name}}).
 *
 * @param name the job name (its ARM resource name)
 * @param status the service's {@code JobStatus}: NotStarted, Starting, Provisioning, Preparing, Queued, Running,
 *     Finalizing, CancelRequested, Completed, Failed, Canceled, NotResponding, Paused or Unknown
 * @param displayName the display name, else the name
 * @param experimentName the experiment it belongs to
 * @param computeId the compute's ARM id, empty for serverless
 * @param studioUrl the Azure ML studio page of the job, when the service gave one
 * @param error why it failed, when it did and the service said
 */
public record AmlRemoteJob(String name, String status, String displayName, String experimentName,
        Optional<String> computeId, Optional<String> studioUrl, Optional<String> error) {

    /** The states the Azure ML SDK stops following a job in. */
    public static final Set<String> TERMINAL = Set.of("Completed", "Failed", "Canceled", "NotResponding", "Paused");

    public boolean terminal() {
        return TERMINAL.contains(status);
    }
}

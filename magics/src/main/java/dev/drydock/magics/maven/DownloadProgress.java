package dev.drydock.magics.maven;

import dev.drydock.magics.render.Table;
import dev.drydock.magics.Cancellation;
import dev.drydock.magics.Notebook;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.aether.transfer.AbstractTransferListener;
import org.eclipse.aether.transfer.TransferCancelledException;
import org.eclipse.aether.transfer.TransferEvent;

/**
 * One live line for the downloads of a resolution ("Downloading jackson-core-2.21.2.jar from central: 120
 * of 580 KB; 3 files done"), shown only once something is downloaded: what the local repository already
 * holds makes no output. An interrupt cancels the transfers in flight, as Maven Resolver asks a listener to.
 */
final class DownloadProgress extends AbstractTransferListener {

    private static final long UPDATE_NANOS = 200_000_000L;

    private final Notebook notebook;
    private final Cancellation cancellation;
    private final String displayId = "maven-" + UUID.randomUUID();
    private final Map<String, long[]> inFlight = new ConcurrentHashMap<>();
    private int done;
    private long bytes;
    private boolean shown;
    private long lastUpdate;

    DownloadProgress(Notebook notebook, Cancellation cancellation) {
        this.notebook = notebook;
        this.cancellation = cancellation;
    }

    @Override
    public void transferStarted(TransferEvent event) throws TransferCancelledException {
        checkCancelled();
        inFlight.put(event.getResource().getResourceName(), new long[] {0, event.getResource().getContentLength()});
        show(event, true);
    }

    @Override
    public void transferProgressed(TransferEvent event) throws TransferCancelledException {
        checkCancelled();
        long[] progress = inFlight.get(event.getResource().getResourceName());
        if (progress != null) {
            progress[0] = event.getTransferredBytes();
        }
        show(event, false);
    }

    @Override
    public synchronized void transferSucceeded(TransferEvent event) {
        inFlight.remove(event.getResource().getResourceName());
        done++;
        bytes += event.getTransferredBytes();
    }

    @Override
    public void transferFailed(TransferEvent event) {
        // Not found in one repository is normal while others are tried; the resolution reports what is missing.
        inFlight.remove(event.getResource().getResourceName());
    }

    /** Replaces the live line with a summary, when there was one. */
    synchronized void finish() {
        if (shown) {
            notebook.update(displayId, Map.of("text/plain", "Downloaded " + done + " file" + (done == 1 ? "" : "s")
                    + " (" + Table.size(bytes) + ")."));
        }
    }

    private void checkCancelled() throws TransferCancelledException {
        if (cancellation.isCancelled()) {
            throw new TransferCancelledException();
        }
    }

    private synchronized void show(TransferEvent event, boolean force) {
        long now = System.nanoTime();
        if (!force && now - lastUpdate < UPDATE_NANOS) {
            return;
        }
        lastUpdate = now;
        String name = event.getResource().getResourceName();
        long[] progress = inFlight.getOrDefault(name, new long[] {0, -1});
        String line = "Downloading " + name.substring(name.lastIndexOf('/') + 1) + " from "
                + event.getResource().getRepositoryId() + ": " + Table.size(progress[0])
                + (progress[1] > 0 ? " of " + Table.size(progress[1]) : "") + "; " + done + " file"
                + (done == 1 ? "" : "s") + " done";
        Map<String, Object> bundle = Map.of("text/plain", line);
        if (shown) {
            notebook.update(displayId, bundle);
        } else {
            shown = true;
            notebook.display(bundle, displayId);
        }
    }
}

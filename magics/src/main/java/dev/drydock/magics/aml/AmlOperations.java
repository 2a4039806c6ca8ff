package dev.drydock.magics.aml;

import dev.drydock.magics.render.Progress;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.rest.Response;
import com.azure.core.util.BinaryData;
import com.azure.core.util.polling.LongRunningOperationStatus;
import com.azure.core.util.polling.PollResponse;
import com.azure.core.util.polling.PollingContext;
import com.azure.core.util.polling.PollingStrategyOptions;
import com.azure.core.util.polling.SyncChainedPollingStrategy;
import com.azure.core.util.polling.SyncLocationPollingStrategy;
import com.azure.core.util.polling.SyncOperationResourcePollingStrategy;
import com.azure.core.util.polling.SyncPoller;
import com.azure.core.util.polling.SyncPollingStrategy;
import com.azure.core.util.polling.SyncStatusCheckPollingStrategy;
import com.azure.core.util.serializer.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.drydock.magics.Cancellation;
import dev.drydock.magics.MagicException;
import java.time.Duration;
import java.util.List;

/**
 * Azure Resource Manager's long-running operations, followed with azure-core's {@link SyncPoller} as ARM
 * defines them: the {@code Azure-AsyncOperation} status resource first, then {@code Operation-Location},
 * then {@code Location}, then the resource's own {@code provisioningState}; {@code Retry-After} sets the wait
 * between polls. The wait is bounded, shows its progress in the cell's display, and stops on an interrupt
 * (the operation goes on in Azure).
 */
final class AmlOperations {

    static final HttpHeaderName AZURE_ASYNC_OPERATION = HttpHeaderName.fromString("Azure-AsyncOperation");
    private static final TypeReference<BinaryData> BINARY = TypeReference.createInstance(BinaryData.class);

    private final AmlHttp http;

    AmlOperations(AmlHttp http) {
        this.http = http;
    }

    /** How an operation ended: its status and the last body read (the status resource's, or the resource's). */
    record Outcome(LongRunningOperationStatus status, JsonNode body) {
        boolean succeeded() {
            return status == LongRunningOperationStatus.SUCCESSFULLY_COMPLETED;
        }

        /** The error the status resource or the resource carries, whole; else the status. */
        String reason() {
            JsonNode error = body.path("error");
            if (error.isObject()) {
                return AmlHttp.error(body, body.toString(), 0);
            }
            String state = body.path("properties").path("provisioningState").asText(body.path("status").asText(""));
            return state.isEmpty() ? status.toString() : state;
        }
    }

    /**
     * Sends the request that starts an operation and follows it to its end, at most {@code bound}.
     *
     * @param what the operation as the progress line and errors name it ("deployment blue of my-endpoint")
     */
    Outcome run(HttpMethod method, String url, JsonNode body, String what, Progress progress,
            Cancellation cancellation, Duration bound) throws MagicException {
        AmlHttp.Reply started = http.call(method, url, body);
        // Each poll bounded as every request to Azure is.
        PollingStrategyOptions options = new PollingStrategyOptions(http.arm()).setContext(http.requestContext());
        Recorded strategy = new Recorded(new SyncChainedPollingStrategy<>(List.of(
                new SyncOperationResourcePollingStrategy<>(AZURE_ASYNC_OPERATION, options),
                new SyncOperationResourcePollingStrategy<>(HttpHeaderName.fromString("Operation-Location"), options),
                new SyncLocationPollingStrategy<>(options),
                new ProvisioningState(http),
                new SyncStatusCheckPollingStrategy<>())));
        long start = System.nanoTime();
        SyncPoller<BinaryData, BinaryData> poller;
        PollResponse<BinaryData> latest;
        try {
            poller = SyncPoller.createPoller(http.pollInterval(), started::response, strategy, BINARY, BINARY);
            latest = strategy.initial;
            while (!latest.getStatus().isComplete()) {
                Duration waited = Duration.ofNanos(System.nanoTime() - start);
                if (waited.compareTo(bound) > 0) {
                    throw MagicException.failed("The " + what + " is still " + state(latest) + " after "
                            + minutes(bound) + "; it goes on in Azure (the studio shows it). Run the cell again to"
                            + " follow it anew.");
                }
                progress.show("The " + what + " is " + state(latest) + " (" + waited.toSeconds() + " s)…");
                Duration pause = latest.getRetryAfter() != null ? latest.getRetryAfter() : http.pollInterval();
                sleep(pause, cancellation);
                latest = poller.poll();
            }
        } catch (RuntimeException e) {
            if (e.getCause() instanceof MagicException cause) {
                throw cause;
            }
            throw http.unreachable(url, e);
        }
        return new Outcome(latest.getStatus(), json(latest.getValue()));
    }

    private static String state(PollResponse<BinaryData> response) {
        JsonNode body = json(response.getValue());
        String state = body.path("properties").path("provisioningState").asText(body.path("status").asText(""));
        return state.isEmpty() ? response.getStatus().toString() : state;
    }

    private static JsonNode json(BinaryData data) {
        if (data == null) {
            return AmlHttp.JSON.createObjectNode();
        }
        try {
            String text = data.toString();
            return text.isBlank() ? AmlHttp.JSON.createObjectNode() : AmlHttp.JSON.readTree(text);
        } catch (java.io.IOException e) {
            return AmlHttp.JSON.createObjectNode();
        }
    }

    private static String minutes(Duration bound) {
        return bound.toMinutes() >= 1 ? bound.toMinutes() + " min" : bound.toSeconds() + " s";
    }

    /** A pause the interrupt ends; ARM's Retry-After is honoured up to a minute so the cell stays responsive. */
    private static void sleep(Duration pause, Cancellation cancellation) throws MagicException {
        long until = System.nanoTime() + Math.min(pause.toMillis(), 60_000) * 1_000_000;
        while (System.nanoTime() < until) {
            cancellation.throwIfCancelled();
            AmlHttp.sleep(Duration.ofMillis(Math.min(200, Math.max(1, (until - System.nanoTime()) / 1_000_000))));
        }
        cancellation.throwIfCancelled();
    }

    /** Keeps the status of the initial response, which {@link SyncPoller} does not hand out. */
    private static final class Recorded implements SyncPollingStrategy<BinaryData, BinaryData> {
        private final SyncPollingStrategy<BinaryData, BinaryData> delegate;
        PollResponse<BinaryData> initial;

        Recorded(SyncPollingStrategy<BinaryData, BinaryData> delegate) {
            this.delegate = delegate;
        }

        @Override
        public boolean canPoll(Response<?> response) {
            return delegate.canPoll(response);
        }

        @Override
        public PollResponse<BinaryData> onInitialResponse(Response<?> response, PollingContext<BinaryData> context,
                TypeReference<BinaryData> type) {
            initial = delegate.onInitialResponse(response, context, type);
            return initial;
        }

        @Override
        public PollResponse<BinaryData> poll(PollingContext<BinaryData> context, TypeReference<BinaryData> type) {
            return delegate.poll(context, type);
        }

        @Override
        public BinaryData getResult(PollingContext<BinaryData> context, TypeReference<BinaryData> type) {
            return delegate.getResult(context, type);
        }
    }

    /**
     * ARM's last resort: a PUT or PATCH answered with a body and no status header is followed by reading the
     * resource until {@code properties.provisioningState} is terminal. A resource that names no state while it
     * is being polled has not succeeded; the wait's bound ends it.
     */
    private static final class ProvisioningState implements SyncPollingStrategy<BinaryData, BinaryData> {
        private static final String URL = "drydock-resource-url";
        private final AmlHttp http;

        ProvisioningState(AmlHttp http) {
            this.http = http;
        }

        @Override
        public boolean canPoll(Response<?> response) {
            HttpMethod method = response.getRequest().getHttpMethod();
            return (method == HttpMethod.PUT || method == HttpMethod.PATCH) && (response.getStatusCode() == 201
                    || json((BinaryData) response.getValue()).path("properties").has("provisioningState"));
        }

        @Override
        public PollResponse<BinaryData> onInitialResponse(Response<?> response, PollingContext<BinaryData> context,
                TypeReference<BinaryData> type) {
            context.setData(URL, response.getRequest().getUrl().toString());
            BinaryData body = (BinaryData) response.getValue();
            return new PollResponse<>(status(json(body)), body);
        }

        @Override
        public PollResponse<BinaryData> poll(PollingContext<BinaryData> context, TypeReference<BinaryData> type) {
            try {
                AmlHttp.Reply reply = http.call(HttpMethod.GET, context.getData(URL), null);
                return new PollResponse<>(status(reply.body()), BinaryData.fromString(reply.text()));
            } catch (MagicException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }

        @Override
        public BinaryData getResult(PollingContext<BinaryData> context, TypeReference<BinaryData> type) {
            return context.getLatestResponse().getValue();
        }

        private static LongRunningOperationStatus status(JsonNode resource) {
            return switch (resource.path("properties").path("provisioningState").asText("")) {
                case "Succeeded" -> LongRunningOperationStatus.SUCCESSFULLY_COMPLETED;
                case "Failed" -> LongRunningOperationStatus.FAILED;
                case "Canceled" -> LongRunningOperationStatus.USER_CANCELLED;
                default -> LongRunningOperationStatus.IN_PROGRESS;
            };
        }
    }
}

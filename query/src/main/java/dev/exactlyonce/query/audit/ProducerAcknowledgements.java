package dev.exactlyonce.query.audit;

import dev.exactlyonce.grpc.v1.GetProducerStatsRequest;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.ProducerStats;
import dev.exactlyonce.query.QuerySettings;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The producer's acknowledged count for an audit window, asked over gRPC (GetProducerStats at
 * app.query.producer-address). The producer counts since it started, so Reset remembers the count
 * at the window start (in memory: a restarted query service cannot use the producer's count for a
 * window opened before; it says so, and the audit then judges committed records only).
 */
@Singleton
public class ProducerAcknowledgements {

    /** The acknowledged count for a window, or why there is none. */
    public record Acknowledged(OptionalLong count, String source) {}

    private record Baseline(String pod, long acknowledged) {}

    private final String address;
    private final ManagedChannel channel;
    private final Map<Long, Baseline> baselines = new ConcurrentHashMap<>();

    public ProducerAcknowledgements(QuerySettings settings) {
        this.address = settings.producerAddress();
        this.channel = ManagedChannelBuilder.forTarget(address).usePlaintext().build();
    }

    /** Called by Reset with the id of the window it opened. */
    public void rememberWindowStart(long windowId) {
        try {
            ProducerStats stats = stats();
            baselines.put(windowId, new Baseline(stats.getPodName(), stats.getAcknowledged()));
        } catch (StatusRuntimeException e) {
            // the audit will say that the producer's count is unavailable for this window
        }
    }

    /**
     * @param windowId the current window, or null when no Reset ever happened (the window is all of
     *     time)
     */
    public Acknowledged forWindow(Long windowId) {
        ProducerStats stats;
        try {
            stats = stats();
        } catch (StatusRuntimeException e) {
            return new Acknowledged(
                    OptionalLong.empty(),
                    "unavailable: producer at "
                            + address
                            + " did not answer ("
                            + e.getStatus().getCode()
                            + ")");
        }
        String pod = stats.getPodName();
        if (windowId == null) {
            return new Acknowledged(
                    OptionalLong.of(stats.getAcknowledged()),
                    "producer " + pod + " since it started");
        }
        Baseline baseline = baselines.get(windowId);
        if (baseline == null) {
            return new Acknowledged(
                    OptionalLong.empty(),
                    "unavailable: no producer count at the window start (query service restarted since Reset?)");
        }
        if (!baseline.pod().equals(pod) || stats.getAcknowledged() < baseline.acknowledged()) {
            // another producer process answered: everything it counted happened inside the window
            return new Acknowledged(
                    OptionalLong.of(stats.getAcknowledged()),
                    "producer " + pod + " since it started (after the window start)");
        }
        return new Acknowledged(
                OptionalLong.of(stats.getAcknowledged() - baseline.acknowledged()),
                "producer " + pod + " since the window start");
    }

    private ProducerStats stats() {
        return OrderServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(3, TimeUnit.SECONDS)
                .getProducerStats(GetProducerStatsRequest.getDefaultInstance());
    }

    @PreDestroy
    void close() {
        channel.shutdownNow();
    }
}

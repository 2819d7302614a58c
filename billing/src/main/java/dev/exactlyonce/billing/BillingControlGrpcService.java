package dev.exactlyonce.billing;

import com.google.protobuf.Timestamp;
import dev.exactlyonce.billing.BillingMetrics.Total;
import dev.exactlyonce.grpc.v1.BillingConfig;
import dev.exactlyonce.grpc.v1.BillingControlGrpc;
import dev.exactlyonce.grpc.v1.BillingPartitionPosition;
import dev.exactlyonce.grpc.v1.BillingStats;
import dev.exactlyonce.grpc.v1.GetBillingConfigRequest;
import dev.exactlyonce.grpc.v1.GetBillingStatsRequest;
import dev.exactlyonce.grpc.v1.ResetBillingStatsRequest;
import dev.exactlyonce.grpc.v1.UpdateBillingConfigRequest;
import dev.exactlyonce.server.SettingRules;
import io.grpc.stub.StreamObserver;
import io.micronaut.configuration.kafka.ConsumerRegistry;
import io.micronaut.context.annotation.Property;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * exactlyonce.v1.BillingControl: settings for every replica, crash drills, this replica's counters.
 */
@Singleton
public class BillingControlGrpcService extends BillingControlGrpc.BillingControlImplBase {

    private static final Logger LOG = LoggerFactory.getLogger(BillingControlGrpcService.class);

    private final SharedBillingConfig config;
    private final BillingMetrics metrics;
    private final InvoiceProducers producers;
    private final ConsumerRegistry consumers;
    private final BillingStage stage;
    private final BillingSettings settings;
    private final String podName;
    private final Instant startedAt = Instant.now();

    public BillingControlGrpcService(
            SharedBillingConfig config,
            BillingMetrics metrics,
            InvoiceProducers producers,
            ConsumerRegistry consumers,
            BillingStage stage,
            BillingSettings settings,
            @Property(name = "app.pod-name") String podName) {
        this.config = config;
        this.metrics = metrics;
        this.producers = producers;
        this.consumers = consumers;
        this.stage = stage;
        this.settings = settings;
        this.podName = podName;
    }

    @Override
    public void getBillingConfig(
            GetBillingConfigRequest request, StreamObserver<BillingConfig> response) {
        reply(response, effective(config.current()));
    }

    @Override
    public void updateBillingConfig(
            UpdateBillingConfigRequest request, StreamObserver<BillingConfig> response) {
        SettingRules.answerUpdate(
                response,
                () -> {
                    BillingConfig updated = config.update(request);
                    LOG.info("billing settings updated: {}", updated.toString().replace('\n', ' '));
                    return effective(updated);
                });
    }

    @Override
    public void getBillingStats(
            GetBillingStatsRequest request, StreamObserver<BillingStats> response) {
        reply(response, stats());
    }

    @Override
    public void resetBillingStats(
            ResetBillingStatsRequest request, StreamObserver<BillingStats> response) {
        metrics.reset();
        reply(response, stats());
    }

    private BillingConfig effective(BillingConfig stored) {
        return stored.toBuilder()
                .setPodName(podName)
                .setGroupId(settings.groupId())
                .setTransactionalId(producers.transactionalId())
                .build();
    }

    private BillingStats stats() {
        BillingStats.Builder stats =
                BillingStats.newBuilder()
                        .setOrdersReceived(metrics.total(Total.ORDERS_RECEIVED))
                        .setInvoicesSent(metrics.total(Total.INVOICES_SENT))
                        .setFailures(metrics.total(Total.FAILURES))
                        .setRetries(metrics.total(Total.RETRIES))
                        .setDeadLettered(metrics.total(Total.DEAD_LETTERED))
                        .setTransactionsCommitted(metrics.total(Total.TRANSACTIONS_COMMITTED))
                        .setTransactionsAborted(metrics.total(Total.TRANSACTIONS_ABORTED))
                        .setProducersRecreated(metrics.total(Total.PRODUCERS_RECREATED))
                        .setCrashesFired(metrics.total(Total.CRASHES_FIRED))
                        .setAlreadyInvoiced(metrics.total(Total.ALREADY_INVOICED))
                        .setCommitsRetried(metrics.total(Total.COMMITS_RETRIED))
                        .setPodName(podName)
                        .setProcessingMode(config.current().getProcessingMode())
                        .setStartedAt(
                                Timestamp.newBuilder()
                                        .setSeconds(startedAt.getEpochSecond())
                                        .setNanos(startedAt.getNano()));
        // the assignment as the listener's consumer last saw it; the consumer itself belongs to the
        // poll thread, so the position is the one the stage last made durable
        Map<Integer, Long> positions = stage.committedPositions();
        for (String id : consumers.getConsumerIds()) {
            try {
                consumers.getConsumerAssignment(id).stream()
                        .sorted(Comparator.comparingInt(TopicPartition::partition))
                        .forEach(
                                tp ->
                                        stats.addPartitions(
                                                BillingPartitionPosition.newBuilder()
                                                        .setPartition(tp.partition())
                                                        .setPosition(
                                                                positions.getOrDefault(
                                                                        tp.partition(), -1L))));
            } catch (IllegalArgumentException e) {
                // no assignment yet: the consumer has not joined the group
                LOG.debug("no assignment for {} yet", id);
            }
        }
        return stats.build();
    }

    private static <T> void reply(StreamObserver<T> response, T value) {
        response.onNext(value);
        response.onCompleted();
    }
}

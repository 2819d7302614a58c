package dev.exactlyonce.consumer;

import com.google.protobuf.Timestamp;
import dev.exactlyonce.consumer.ConsumerMetrics.Total;
import dev.exactlyonce.grpc.v1.ConsumerConfig;
import dev.exactlyonce.grpc.v1.ConsumerControlGrpc;
import dev.exactlyonce.grpc.v1.ConsumerPartitionPosition;
import dev.exactlyonce.grpc.v1.ConsumerStats;
import dev.exactlyonce.grpc.v1.GetConsumerConfigRequest;
import dev.exactlyonce.grpc.v1.GetConsumerStatsRequest;
import dev.exactlyonce.grpc.v1.ResetConsumerStatsRequest;
import dev.exactlyonce.grpc.v1.UpdateConsumerConfigRequest;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.server.SettingRules;
import io.grpc.stub.StreamObserver;
import io.micronaut.context.annotation.Property;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * exactlyonce.v1.ConsumerControl: settings for every replica, crash drills, this replica's
 * counters.
 */
@Singleton
public class ConsumerControlGrpcService extends ConsumerControlGrpc.ConsumerControlImplBase {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerControlGrpcService.class);

    private final SharedConsumerConfig config;
    private final ConsumerMetrics metrics;
    private final OrderConsumer consumer;
    private final CrashDrill crashDrill;
    private final BatchWriter writer;
    private final String podName;
    private final Instant startedAt = Instant.now();

    public ConsumerControlGrpcService(
            SharedConsumerConfig config,
            ConsumerMetrics metrics,
            OrderConsumer consumer,
            CrashDrill crashDrill,
            BatchWriter writer,
            @Property(name = "app.pod-name") String podName) {
        this.config = config;
        this.metrics = metrics;
        this.consumer = consumer;
        this.crashDrill = crashDrill;
        this.writer = writer;
        this.podName = podName;
    }

    @Override
    public void getConsumerConfig(
            GetConsumerConfigRequest request, StreamObserver<ConsumerConfig> response) {
        reply(response, effective(config.current()));
    }

    @Override
    public void updateConsumerConfig(
            UpdateConsumerConfigRequest request, StreamObserver<ConsumerConfig> response) {
        SettingRules.answerUpdate(
                response,
                () -> {
                    ConsumerConfig updated = config.update(request);
                    LOG.info(
                            "consumer settings updated: {}", updated.toString().replace('\n', ' '));
                    return effective(updated);
                });
    }

    @Override
    public void getConsumerStats(
            GetConsumerStatsRequest request, StreamObserver<ConsumerStats> response) {
        reply(response, stats());
    }

    @Override
    public void resetConsumerStats(
            ResetConsumerStatsRequest request, StreamObserver<ConsumerStats> response) {
        metrics.reset();
        reply(response, stats());
    }

    private ConsumerConfig effective(ConsumerConfig stored) {
        return stored.toBuilder().setPodName(podName).setGroupId(consumer.groupId()).build();
    }

    private ConsumerStats stats() {
        ConsumerStats.Builder stats =
                ConsumerStats.newBuilder()
                        .setReceived(metrics.total(Total.RECEIVED))
                        .setProcessed(metrics.total(Total.PROCESSED))
                        .setDuplicatesSkipped(metrics.total(Total.DUPLICATES_SKIPPED))
                        .setKeyConflicts(metrics.total(Total.KEY_CONFLICTS))
                        .setFailures(metrics.total(Total.FAILURES))
                        .setRetries(metrics.total(Total.RETRIES))
                        .setDeadLettered(metrics.total(Total.DEAD_LETTERED))
                        .setPodName(podName)
                        .setProcessingMode(config.current().getProcessingMode())
                        .setStartedAt(
                                Timestamp.newBuilder()
                                        .setSeconds(startedAt.getEpochSecond())
                                        .setNanos(startedAt.getNano()));
        Map<Integer, Long> stored = Map.of();
        try {
            stats.setCrashesFired(crashDrill.crashesFired());
            stored = writer.storedOffsets(consumer.groupId(), Topics.ORDERS);
        } catch (RuntimeException e) {
            // PostgreSQL unreachable: the counters above still answer
            LOG.debug("stats without database figures: {}", e.toString());
        }
        for (OrderConsumer.PartitionView view : consumer.partitions()) {
            stats.addPartitions(
                    ConsumerPartitionPosition.newBuilder()
                            .setPartition(view.partition())
                            .setPosition(view.position())
                            .setKafkaCommittedOffset(view.kafkaCommitted())
                            .setDbOffset(stored.getOrDefault(view.partition(), -1L)));
        }
        return stats.build();
    }

    private static <T> void reply(StreamObserver<T> response, T value) {
        response.onNext(value);
        response.onCompleted();
    }
}

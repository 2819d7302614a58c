package dev.exactlyonce.consumer;

import dev.exactlyonce.consumer.OrderConsumer.PartitionView;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the outside sees of the consumer's progress: its Kafka offset commits (the real ones in
 * at-most-once and at-least-once; in exactly-once only "for lag", as the database holds the real
 * offsets), the {@code consumer_lag} gauge of each partition, and the position and Kafka-committed
 * offset of each assigned partition for GetConsumerStats.
 *
 * <p>Commits and refreshes run on the poll-loop thread (KafkaConsumer is single-threaded); {@link
 * #partitions()} is read by the gRPC threads.
 */
final class LagReporter {

    private static final Logger LOG = LoggerFactory.getLogger(LagReporter.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final ConsumerMetrics metrics;

    // read by other threads
    private final Map<Integer, PartitionView> partitions = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Long> kafkaCommitted = new ConcurrentHashMap<>();

    private long viewRefreshedAt;

    LagReporter(KafkaConsumer<String, byte[]> consumer, ConsumerMetrics metrics) {
        this.consumer = consumer;
        this.metrics = metrics;
    }

    /**
     * Commits synchronously (the step COMMIT_KAFKA_OFFSETS, or exactly-once's commit for lag).
     *
     * @return false when the commit failed: the partitions moved to another consumer, or Kafka did
     *     not answer in time
     */
    boolean commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        try {
            consumer.commitSync(offsets);
            offsets.forEach((tp, offset) -> kafkaCommitted.put(tp, offset.offset()));
            return true;
        } catch (KafkaException e) {
            // CommitFailedException / RebalanceInProgressException: the partitions moved;
            // TimeoutException
            LOG.warn("Kafka offset commit failed: {}", e.toString());
            return false;
        }
    }

    /** What Kafka had committed for partitions just assigned (null: nothing yet). */
    void committedBefore(Map<TopicPartition, OffsetAndMetadata> committed) {
        committed.forEach(
                (tp, offset) -> kafkaCommitted.put(tp, offset == null ? -1 : offset.offset()));
    }

    /**
     * Updates the lag gauges and the partition views, at most once a second unless {@code force}. A
     * partition in {@code awaitingSeek} has no position yet: its view is left out.
     */
    void refresh(boolean force, Set<TopicPartition> awaitingSeek) {
        long now = System.nanoTime();
        if (!force && now - viewRefreshedAt < 1_000_000_000L) {
            return;
        }
        viewRefreshedAt = now;
        for (TopicPartition tp : consumer.assignment()) {
            consumer.currentLag(tp).ifPresent(lag -> metrics.lag(tp.partition(), lag));
            if (awaitingSeek.contains(tp)) {
                continue;
            }
            try {
                long position = consumer.position(tp, Duration.ofMillis(100));
                partitions.put(
                        tp.partition(),
                        new PartitionView(
                                tp.partition(), position, kafkaCommitted.getOrDefault(tp, -1L)));
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                // not known yet; shown next time
            } catch (NoOffsetForPartitionException e) {
                // the consumer group protocol's client initialises positions in its background
                // thread, paused partitions included, and reports a group's first start without
                // offsets (auto.offset.reset=none) to a later call such as this one; the partitions
                // are positioned by PartitionAssignment; shown next time
            }
        }
    }

    /** A partition this consumer no longer owns. */
    void forget(TopicPartition tp) {
        kafkaCommitted.remove(tp);
        partitions.remove(tp.partition());
    }

    /** The assigned partitions as GetConsumerStats shows them, by partition number. */
    List<PartitionView> partitions() {
        return partitions.values().stream()
                .sorted((a, b) -> Integer.compare(a.partition(), b.partition()))
                .toList();
    }
}

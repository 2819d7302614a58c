package dev.exactlyonce.consumer;

import dev.exactlyonce.consumer.ExpectedStoredOffsets.StoredOffsets;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the consumer starts reading each partition it is given. The group hands partitions over in
 * the rebalance callbacks (which run inside {@code poll}); a partition just assigned is paused
 * until the loop, before its next poll, has read where to start: in exactly-once from PostgreSQL
 * (the offsets stored with the rows), which may be down, and a callback must not wait for that.
 *
 * <p>Used on the poll-loop thread only.
 */
final class PartitionAssignment implements ConsumerRebalanceListener {

    private static final Logger LOG = LoggerFactory.getLogger(PartitionAssignment.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final SharedConsumerConfig config;
    private final ExpectedStoredOffsets expectedStored;
    private final LagReporter lag;
    private final DeliveryModeSteps steps;

    /** Assigned but not positioned yet: paused until the loop has read where to start. */
    private final Set<TopicPartition> pendingSeek = new HashSet<>();

    PartitionAssignment(
            KafkaConsumer<String, byte[]> consumer,
            SharedConsumerConfig config,
            ExpectedStoredOffsets expectedStored,
            LagReporter lag,
            DeliveryModeSteps steps) {
        this.consumer = consumer;
        this.config = config;
        this.expectedStored = expectedStored;
        this.lag = lag;
        this.steps = steps;
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
        // positioned by the loop before the next poll (it may need PostgreSQL, which may be down)
        consumer.pause(assigned);
        pendingSeek.addAll(assigned);
        LOG.info("assigned {}", assigned);
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
        forget(revoked);
        if (!revoked.isEmpty()) {
            LOG.info("revoked {}", revoked);
        }
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
        forget(lost);
        LOG.warn("lost {} (session expired): a batch for them would be fenced", lost);
    }

    private void forget(Collection<TopicPartition> gone) {
        pendingSeek.removeAll(gone);
        steps.forget(gone);
        gone.forEach(
                tp -> {
                    expectedStored.forget(tp);
                    lag.forget(tp);
                });
    }

    /** Assigned partitions without a position yet (paused). */
    Set<TopicPartition> awaitingSeek() {
        return Collections.unmodifiableSet(pendingSeek);
    }

    /**
     * Seeks the partitions assigned since the last poll and resumes them.
     *
     * <p>Exactly-once resumes from the offsets stored with the rows (kafka_offsets), not from
     * Kafka's committed offsets, which lag behind when the process died between the database commit
     * and the Kafka commit. (When Kafka's is ahead, the rows before it were written by an
     * at-least-once or at-most-once period, which keeps its offsets in Kafka only; then Kafka's
     * wins.) The other modes start from Kafka's committed offsets.
     */
    void positionPending(StoredOffsets storedOffsets) throws InterruptedException {
        if (pendingSeek.isEmpty()) {
            return;
        }
        Set<TopicPartition> toPosition = new HashSet<>(pendingSeek);
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(toPosition);
        lag.committedBefore(committed);
        if (config.current().getProcessingMode() == DeliveryMode.EXACTLY_ONCE) {
            Map<Integer, Long> stored = storedOffsets.read();
            Map<TopicPartition, OffsetAndMetadata> catchUp = new HashMap<>();
            for (TopicPartition tp : toPosition) {
                long storedOffset = stored.getOrDefault(tp.partition(), -1L);
                expectedStored.expect(tp, storedOffset);
                OffsetAndMetadata kafkaOffset = committed.get(tp);
                long start =
                        Math.max(storedOffset, kafkaOffset == null ? -1 : kafkaOffset.offset());
                if (start >= 0) {
                    consumer.seek(tp, start);
                } else {
                    // a group's first start (auto.offset.reset=none)
                    consumer.seekToBeginning(List.of(tp));
                }
                if (storedOffset > (kafkaOffset == null ? -1 : kafkaOffset.offset())) {
                    catchUp.put(tp, new OffsetAndMetadata(storedOffset));
                }
                LOG.info(
                        "{}: stored offset {}, Kafka committed {}, starting at {}",
                        tp,
                        storedOffset,
                        kafkaOffset == null ? "none" : kafkaOffset.offset(),
                        start >= 0 ? start : "earliest");
            }
            if (!catchUp.isEmpty()) {
                // the process died between the database commit and the Kafka commit: bring
                // Kafka's offsets (kept only so that lag is visible) up to the database now, not
                // at the next record
                lag.commit(catchUp);
            }
        } else {
            toPosition.forEach(expectedStored::forget);
            // a group's first start: from the beginning (auto.offset.reset=none never chooses for
            // us); never with an empty list, which seekToBeginning takes as "every assigned
            // partition"
            List<TopicPartition> firstStart =
                    toPosition.stream().filter(tp -> committed.get(tp) == null).toList();
            if (!firstStart.isEmpty()) {
                consumer.seekToBeginning(firstStart);
            }
        }
        pendingSeek.removeAll(toPosition);
        toPosition.retainAll(consumer.assignment());
        consumer.resume(toPosition);
    }

    /** After a fenced batch: forget the expectations and position every partition again. */
    void repositionAll() {
        expectedStored.forgetAll();
        Set<TopicPartition> assignment = consumer.assignment();
        consumer.pause(assignment);
        pendingSeek.addAll(assignment);
    }
}

package dev.exactlyonce.consumer;

import dev.exactlyonce.consumer.ConsumerMetrics.Total;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Positions Kafka no longer has. With {@code auto.offset.reset=none} Kafka never moves a position
 * silently: a poll from a position below the partition's log start (the records were deleted by
 * retention before this group read them) throws, and here the gap is recorded in PostgreSQL
 * (retention_gaps, which the audit reports), counted, logged, and only then is the partition moved
 * to its log start. Never skipped without a trace.
 *
 * <p>Used on the poll-loop thread only.
 */
final class RetentionGaps {

    private static final Logger LOG = LoggerFactory.getLogger(RetentionGaps.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final BatchWriter writer;
    private final ConsumerMetrics metrics;
    private final DatabaseOutageBackoff outage;
    private final String groupId;

    RetentionGaps(
            KafkaConsumer<String, byte[]> consumer,
            BatchWriter writer,
            ConsumerMetrics metrics,
            DatabaseOutageBackoff outage,
            String groupId) {
        this.consumer = consumer;
        this.writer = writer;
        this.metrics = metrics;
        this.outage = outage;
        this.groupId = groupId;
    }

    /**
     * Records the gap of each partition the poll found out of range, and seeks to its log start.
     */
    void recordAndSkip(OffsetOutOfRangeException e) throws InterruptedException {
        Map<TopicPartition, Long> logStart =
                consumer.beginningOffsets(e.offsetOutOfRangePartitions().keySet());
        for (var outOfRange : e.offsetOutOfRangePartitions().entrySet()) {
            TopicPartition tp = outOfRange.getKey();
            long position = outOfRange.getValue();
            long start = logStart.getOrDefault(tp, 0L);
            if (position < start) {
                outage.untilAvailable(
                        "recording a retention gap",
                        () -> {
                            writer.recordRetentionGap(groupId, tp.partition(), position, start);
                            return null;
                        });
                metrics.add(Total.RETENTION_SKIPPED, start - position);
                LOG.error(
                        "{}: offsets {}..{} were deleted by retention before group {} read them; recorded in "
                                + "retention_gaps, resuming at {}",
                        tp,
                        position,
                        start - 1,
                        groupId,
                        start);
                consumer.seek(tp, start);
            } else {
                // beyond the log end: the topic was deleted and created again; its records are
                // all unread
                LOG.warn(
                        "{}: position {} is beyond the log end; the topic was recreated? Reading it from {}",
                        tp,
                        position,
                        start);
                consumer.seek(tp, start);
            }
        }
    }
}

package dev.exactlyonce.query.kafka;

import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.kafka.Topics;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Streams the committed records of a topic (read_committed: aborted transactions and markers are
 * skipped by the client) from given start offsets up to the last stable offsets of the moment the
 * scan starts, handing each record's message id to a sink. Nothing is kept in memory.
 */
@Singleton
public class CommittedLogScanner {

    /** A scan that makes no progress for this long fails instead of hanging the audit. */
    private static final long STALL_TIMEOUT_MS = 30_000;

    private final KafkaClients clients;

    public CommittedLogScanner(KafkaClients clients) {
        this.clients = clients;
    }

    /**
     * Receives one committed record: its partition, offset and message id (null when it has none).
     */
    @FunctionalInterface
    public interface RecordSink {
        void accept(int partition, long offset, String messageId) throws Exception;
    }

    /**
     * @param startOffsets per partition; partitions not listed start at the log start
     * @return the number of records handed to the sink
     */
    public long scan(String topic, Map<Integer, Long> startOffsets, RecordSink sink)
            throws Exception {
        try (Consumer<byte[], byte[]> consumer = clients.committedReader("query-audit-" + topic)) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
            List<TopicPartition> partitions =
                    infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            // read_committed: these are the last stable offsets, the end of what is committed right
            // now
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            Map<TopicPartition, Long> beginnings = consumer.beginningOffsets(partitions);
            Map<TopicPartition, Long> remaining = new HashMap<>();
            for (TopicPartition tp : partitions) {
                long from =
                        Math.max(startOffsets.getOrDefault(tp.partition(), 0L), beginnings.get(tp));
                consumer.seek(tp, from);
                if (from < ends.get(tp)) {
                    remaining.put(tp, ends.get(tp));
                } else {
                    consumer.pause(List.of(tp));
                }
            }
            long records = 0;
            long lastProgress = System.nanoTime();
            while (!remaining.isEmpty()) {
                var batch = consumer.poll(Duration.ofMillis(200));
                for (ConsumerRecord<byte[], byte[]> record : batch) {
                    Long end =
                            remaining.get(new TopicPartition(record.topic(), record.partition()));
                    if (end != null && record.offset() < end) {
                        sink.accept(record.partition(), record.offset(), messageId(record));
                        records++;
                    }
                }
                boolean progressed = !batch.isEmpty();
                for (var it = remaining.entrySet().iterator(); it.hasNext(); ) {
                    var entry = it.next();
                    if (consumer.position(entry.getKey()) >= entry.getValue()) {
                        consumer.pause(List.of(entry.getKey()));
                        it.remove();
                        progressed = true;
                    }
                }
                if (progressed) {
                    lastProgress = System.nanoTime();
                } else if (System.nanoTime() - lastProgress
                        > TimeUnit.MILLISECONDS.toNanos(STALL_TIMEOUT_MS)) {
                    throw new IllegalStateException(
                            "reading "
                                    + topic
                                    + " made no progress for "
                                    + STALL_TIMEOUT_MS / 1000
                                    + " s; still to read: "
                                    + remaining);
                }
            }
            return records;
        }
    }

    /** The record's message id by {@link Topics#messageId}, the rule the consumer stores. */
    static String messageId(ConsumerRecord<byte[], byte[]> record) {
        OrderEvent order = null;
        if (record.value() != null) {
            try {
                order = OrderEvent.parseFrom(record.value());
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                // a poison record: the header may still name it
            }
        }
        return Topics.messageId(order, record.headers());
    }
}

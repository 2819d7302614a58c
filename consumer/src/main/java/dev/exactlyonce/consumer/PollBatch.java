package dev.exactlyonce.consumer;

import dev.exactlyonce.consumer.OrderStore.OffsetAdvance;
import dev.exactlyonce.grpc.v1.ConsumerConfig;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * One poll's worth of work, decided before any step runs.
 *
 * @param config the settings in force for this batch (read once, before the poll)
 * @param received records polled
 * @param rows the orders to store, in offset order per partition
 * @param deadLetters written to dead_letters in the same transaction as the rows (and, in
 *     exactly-once, the offsets)
 * @param kafkaOffsets the next offset per partition, for Kafka's commit
 * @param storedOffsets exactly-once only: the next offset per partition for kafka_offsets, with the
 *     value this consumer expects to replace (zombie fencing); empty in the other modes
 */
record PollBatch(
        ConsumerConfig config,
        int received,
        List<OrderRow> rows,
        List<DeadLetter> deadLetters,
        Map<TopicPartition, OffsetAndMetadata> kafkaOffsets,
        List<OffsetAdvance> storedOffsets) {}

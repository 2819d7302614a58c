package dev.exactlyonce.billing;

import static dev.exactlyonce.grpc.v1.BillingCrashPoint.AFTER_COMMIT;
import static dev.exactlyonce.grpc.v1.BillingCrashPoint.AFTER_SEND;
import static dev.exactlyonce.grpc.v1.BillingCrashPoint.BEFORE_COMMIT;

import dev.exactlyonce.grpc.v1.BillingConfig;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Billing, one poll batch at a time: read orders, write one invoice per order, and make the input
 * offsets durable — in the order of steps of the processing mode. Read it top-down; the crash points
 * (crash_point) sit between the steps, and a crash between two steps is what tells the modes apart.
 *
 * <pre>
 * at-most-once   commit offsets ─ BEFORE/AFTER_COMMIT ─ send invoices (no wait) ─ AFTER_SEND     crash after the commit: invoices lost
 * at-least-once  send invoices, wait for the acks ─ AFTER_SEND/BEFORE_COMMIT ─ commit offsets ─ AFTER_COMMIT
 *                                                                                          crash before the commit: invoices written twice
 * exactly-once   begin ─ send invoices ─ AFTER_SEND ─ sendOffsetsToTransaction(offsets, consumer.groupMetadata())
 *                ─ BEFORE_COMMIT ─ commit ─ AFTER_COMMIT                                   invoices and offsets commit together or not at all
 * </pre>
 *
 * Runs on the listener's poll thread (the only thread that may touch the {@link Consumer}).
 */
@Singleton
public class BillingStage {

    private static final Logger LOG = LoggerFactory.getLogger(BillingStage.class);

    private final SharedBillingConfig config;
    private final InvoiceBatch invoiceBatch;
    private final InvoiceProducers producers;
    private final CrashDrill crashDrill;
    private final BillingMetrics metrics;
    /** Per partition of "orders": the offset after the last order this replica's offsets step made durable. */
    private final Map<Integer, Long> committedPositions = new ConcurrentHashMap<>();

    BillingStage(SharedBillingConfig config, InvoiceBatch invoiceBatch, InvoiceProducers producers,
                 CrashDrill crashDrill, BillingMetrics metrics) {
        this.config = config;
        this.invoiceBatch = invoiceBatch;
        this.producers = producers;
        this.crashDrill = crashDrill;
        this.metrics = metrics;
    }

    /** Bills one poll batch. On any failure the consumer is rewound to the batch's first offsets: nothing is skipped. */
    public void process(ConsumerRecords<String, byte[]> orders, Consumer<?, ?> consumer) throws InterruptedException {
        long started = System.nanoTime();
        BillingConfig settings = config.current();
        metrics.received(orders.count());
        // the transform: pure, no side effect yet (invoices or dead letters for every order of the batch)
        InvoiceBatch.Records records = invoiceBatch.bill(orders, settings);
        // the positions after the batch: what "these orders are done" means to the consumer group
        Map<TopicPartition, OffsetAndMetadata> nextOffsets = nextOffsets(orders);
        switch (settings.getProcessingMode()) {
            case AT_MOST_ONCE -> atMostOnce(orders, records, nextOffsets, consumer, settings);
            case AT_LEAST_ONCE -> atLeastOnce(orders, records, nextOffsets, consumer, settings);
            case EXACTLY_ONCE -> exactlyOnce(orders, records, nextOffsets, consumer, settings);
            default -> throw new IllegalStateException("no billing steps for " + settings.getProcessingMode());
        }
        metrics.batchTook(System.nanoTime() - started);
    }

    /** Commit the input offsets, then send the invoices without waiting: a crash in between loses them. */
    private void atMostOnce(ConsumerRecords<String, byte[]> orders, InvoiceBatch.Records records,
                            Map<TopicPartition, OffsetAndMetadata> nextOffsets, Consumer<?, ?> consumer,
                            BillingConfig settings) {
        int count = orders.count();
        crashDrill.reached(BEFORE_COMMIT, count, settings);
        try {
            consumer.commitSync(nextOffsets);
        } catch (KafkaException e) {
            // nothing sent yet: read the batch again
            LOG.warn("at-most-once: offset commit failed ({}); the batch is read again", e.toString());
            rewind(consumer, orders);
            return;
        }
        remember(nextOffsets);
        crashDrill.reached(AFTER_COMMIT, count, settings);
        Producer<String, byte[]> producer = producers.plain();
        for (ProducerRecord<String, byte[]> record : records.all()) {
            // fire and forget: a failed send is a lost invoice, which is what at-most-once allows
            producer.send(record, (metadata, error) -> {
                if (error != null) {
                    LOG.warn("at-most-once: invoice lost ({})", error.toString());
                }
            });
        }
        countSent(DeliveryMode.AT_MOST_ONCE, records);
        crashDrill.reached(AFTER_SEND, count, settings);
    }

    /** Send the invoices and wait for every ack, then commit the input offsets: a crash in between writes them twice. */
    private void atLeastOnce(ConsumerRecords<String, byte[]> orders, InvoiceBatch.Records records,
                             Map<TopicPartition, OffsetAndMetadata> nextOffsets, Consumer<?, ?> consumer,
                             BillingConfig settings) throws InterruptedException {
        int count = orders.count();
        Producer<String, byte[]> producer = producers.plain();
        try {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (ProducerRecord<String, byte[]> record : records.all()) {
                acks.add(producer.send(record));
            }
            for (Future<RecordMetadata> ack : acks) {
                ack.get();
            }
        } catch (ExecutionException | KafkaException e) {
            // some invoices may be written: reading the batch again duplicates them, never loses them
            LOG.warn("at-least-once: send failed ({}); the batch is read again", e.toString());
            rewind(consumer, orders);
            return;
        }
        countSent(DeliveryMode.AT_LEAST_ONCE, records);
        crashDrill.reached(AFTER_SEND, count, settings);
        crashDrill.reached(BEFORE_COMMIT, count, settings);
        try {
            consumer.commitSync(nextOffsets);
        } catch (KafkaException e) {
            // e.g. the group rebalanced: the partitions' new owner bills the batch again (duplicates)
            LOG.warn("at-least-once: offset commit failed ({}); the batch is billed again", e.toString());
            rewind(consumer, orders);
            return;
        }
        remember(nextOffsets);
        crashDrill.reached(AFTER_COMMIT, count, settings);
    }

    /**
     * One Kafka transaction holds the invoices, the dead letters AND the input offsets: read_committed
     * readers of "invoices" see them exactly when the group's offsets move past the orders, or never.
     */
    private void exactlyOnce(ConsumerRecords<String, byte[]> orders, InvoiceBatch.Records records,
                             Map<TopicPartition, OffsetAndMetadata> nextOffsets, Consumer<?, ?> consumer,
                             BillingConfig settings) {
        int count = orders.count();
        Producer<String, byte[]> producer = producers.transactional();
        try {
            producer.beginTransaction();
            for (ProducerRecord<String, byte[]> record : records.all()) {
                // a send error surfaces at commitTransaction(), which then throws: the transaction aborts
                producer.send(record);
            }
            crashDrill.reached(AFTER_SEND, count, settings);
            // the offsets go to the group coordinator as part of the transaction; with the consumer's
            // group metadata (generation, member id) the broker rejects a zombie whose generation is
            // over (KIP-447), so an instance that lost the partitions cannot commit them
            producer.sendOffsetsToTransaction(nextOffsets, consumer.groupMetadata());
            crashDrill.reached(BEFORE_COMMIT, count, settings);
            producer.commitTransaction();
        } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException
                 | UnsupportedVersionException fatal) {
            // this producer can do nothing more, not even abort; a new one (initTransactions) aborts what was open
            producers.recreate(producer, fatal);
            metrics.transactionAborted();
            rewind(consumer, orders);
            return;
        } catch (KafkaException abortable) {
            // e.g. CommitFailedException (the group moved on: this instance is a zombie), a timeout:
            // abort, so that nothing of the batch is visible, and read the batch again
            LOG.warn("exactly-once: transaction aborted ({}); the batch is read again", abortable.toString());
            abort(producer, abortable);
            rewind(consumer, orders);
            return;
        }
        metrics.transactionCommitted();
        remember(nextOffsets);
        countSent(DeliveryMode.EXACTLY_ONCE, records);
        crashDrill.reached(AFTER_COMMIT, count, settings);
    }

    private void abort(Producer<String, byte[]> producer, KafkaException cause) {
        try {
            producer.abortTransaction();
            metrics.transactionAborted();
        } catch (KafkaException e) {
            e.addSuppressed(cause);
            producers.recreate(producer, e);
            metrics.transactionAborted();
        }
    }

    /**
     * Back to the batch's first offsets, so that the next poll returns the same orders. Partitions this
     * consumer no longer owns are left alone: their new owner starts from the committed offsets.
     */
    public void rewind(Consumer<?, ?> consumer, ConsumerRecords<String, byte[]> orders) {
        for (TopicPartition partition : orders.partitions()) {
            if (consumer.assignment().contains(partition)) {
                consumer.seek(partition, orders.records(partition).get(0).offset());
            }
        }
    }

    private void remember(Map<TopicPartition, OffsetAndMetadata> nextOffsets) {
        nextOffsets.forEach((partition, offset) -> committedPositions.put(partition.partition(), offset.offset()));
    }

    /** For GetBillingStats: per partition, the offset after the last order whose offsets this replica committed. */
    Map<Integer, Long> committedPositions() {
        return Map.copyOf(committedPositions);
    }

    private void countSent(DeliveryMode mode, InvoiceBatch.Records records) {
        metrics.sent(mode, records.invoices().size(), records.deadLetters().size(), records.failures(), records.retries());
    }

    static Map<TopicPartition, OffsetAndMetadata> nextOffsets(ConsumerRecords<String, byte[]> orders) {
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (TopicPartition partition : orders.partitions()) {
            List<ConsumerRecord<String, byte[]>> records = orders.records(partition);
            next.put(partition, new OffsetAndMetadata(records.get(records.size() - 1).offset() + 1));
        }
        return next;
    }
}

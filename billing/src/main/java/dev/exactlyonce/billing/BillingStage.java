package dev.exactlyonce.billing;

import static dev.exactlyonce.grpc.v1.BillingCrashPoint.AFTER_COMMIT;
import static dev.exactlyonce.grpc.v1.BillingCrashPoint.AFTER_SEND;
import static dev.exactlyonce.grpc.v1.BillingCrashPoint.BEFORE_COMMIT;

import dev.exactlyonce.grpc.v1.BillingConfig;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.kafka.Topics;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
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
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Billing, one poll batch at a time: read orders, write one invoice per order, and make the input
 * offsets durable — in the order of steps of the processing mode. Read it top-down; the crash
 * points (crash_point) sit between the steps, and a crash between two steps is what tells the modes
 * apart.
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
    private final InvoiceLedger ledger;

    /**
     * This replica's own settings (commit retry timeout); the shared BillingConfig is read per
     * batch.
     */
    private final BillingSettings replicaSettings;

    /**
     * Partitions whose position is unknown since a producer was replaced mid-transaction (poll
     * thread only).
     */
    private final Set<TopicPartition> unsure = new HashSet<>();

    /**
     * Per partition of "orders": the offset after the last order this replica's offsets step made
     * durable.
     */
    private final Map<Integer, Long> committedPositions = new ConcurrentHashMap<>();

    BillingStage(
            SharedBillingConfig config,
            InvoiceBatch invoiceBatch,
            InvoiceProducers producers,
            CrashDrill crashDrill,
            BillingMetrics metrics,
            InvoiceLedger ledger,
            BillingSettings replicaSettings) {
        this.config = config;
        this.invoiceBatch = invoiceBatch;
        this.producers = producers;
        this.crashDrill = crashDrill;
        this.metrics = metrics;
        this.ledger = ledger;
        this.replicaSettings = replicaSettings;
    }

    /**
     * Bills one poll batch. Nothing is skipped: after a failure whose outcome is known (nothing was
     * committed) the consumer is rewound to the batch's first offsets; after one whose outcome is
     * unknown (a commit with no answer) the next poll first takes the group's committed offsets
     * ({@link #resyncUnsure}).
     */
    public void process(ConsumerRecords<String, byte[]> orders, Consumer<?, ?> consumer)
            throws InterruptedException {
        long started = System.nanoTime();
        if (!unsure.isEmpty()) {
            resyncUnsure(orders, consumer);
            return;
        }
        BillingConfig settings = config.current();
        metrics.received(orders.count());
        // the transform: pure, no side effect yet (invoices or dead letters for every order of the
        // batch)
        InvoiceBatch.Records records = invoiceBatch.bill(orders, settings);
        // the positions after the batch: what "these orders are done" means to the consumer group
        Map<TopicPartition, OffsetAndMetadata> nextOffsets = nextOffsets(orders);
        if (settings.getProcessingMode() != DeliveryMode.EXACTLY_ONCE) {
            // invoices written outside exactly-once are not in the ledger: read it again when
            // exactly-once resumes
            ledger.forgetAll();
        }
        switch (settings.getProcessingMode()) {
            case AT_MOST_ONCE -> atMostOnce(orders, records, nextOffsets, consumer, settings);
            case AT_LEAST_ONCE -> atLeastOnce(orders, records, nextOffsets, consumer, settings);
            case EXACTLY_ONCE -> exactlyOnce(orders, records, nextOffsets, consumer, settings);
            default ->
                    throw new IllegalStateException(
                            "no billing steps for " + settings.getProcessingMode());
        }
        metrics.batchTook(System.nanoTime() - started);
    }

    /**
     * Commit the input offsets, then send the invoices without waiting: a crash in between loses
     * them.
     */
    private void atMostOnce(
            ConsumerRecords<String, byte[]> orders,
            InvoiceBatch.Records records,
            Map<TopicPartition, OffsetAndMetadata> nextOffsets,
            Consumer<?, ?> consumer,
            BillingConfig settings) {
        int count = orders.count();
        crashDrill.reached(BEFORE_COMMIT, count, settings);
        try {
            consumer.commitSync(nextOffsets);
        } catch (KafkaException e) {
            // nothing sent yet: read the batch again
            LOG.warn(
                    "at-most-once: offset commit failed ({}); the batch is read again",
                    e.toString());
            rewind(consumer, orders);
            return;
        }
        remember(nextOffsets);
        crashDrill.reached(AFTER_COMMIT, count, settings);
        Producer<String, byte[]> producer = producers.plain();
        for (ProducerRecord<String, byte[]> record : records.all()) {
            // fire and forget: a failed send is a lost invoice, which is what at-most-once allows
            producer.send(
                    record,
                    (metadata, error) -> {
                        if (error != null) {
                            LOG.warn("at-most-once: invoice lost ({})", error.toString());
                        }
                    });
        }
        countSent(DeliveryMode.AT_MOST_ONCE, records);
        crashDrill.reached(AFTER_SEND, count, settings);
    }

    /**
     * Send the invoices and wait for every ack, then commit the input offsets: a crash in between
     * writes them twice.
     */
    private void atLeastOnce(
            ConsumerRecords<String, byte[]> orders,
            InvoiceBatch.Records records,
            Map<TopicPartition, OffsetAndMetadata> nextOffsets,
            Consumer<?, ?> consumer,
            BillingConfig settings)
            throws InterruptedException {
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
            // some invoices may be written: reading the batch again duplicates them, never loses
            // them
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
            // e.g. the group rebalanced: the partitions' new owner bills the batch again
            // (duplicates)
            LOG.warn(
                    "at-least-once: offset commit failed ({}); the batch is billed again",
                    e.toString());
            rewind(consumer, orders);
            return;
        }
        remember(nextOffsets);
        crashDrill.reached(AFTER_COMMIT, count, settings);
    }

    /**
     * One Kafka transaction holds the invoices, the dead letters AND the input offsets:
     * read_committed readers of "invoices" see them exactly when the group's offsets move past the
     * orders, or never. An order whose invoice is already committed (a client's retry: same
     * message_id, later offset) is recognised by the {@link InvoiceLedger} and not invoiced again.
     */
    private void exactlyOnce(
            ConsumerRecords<String, byte[]> orders,
            InvoiceBatch.Records billed,
            Map<TopicPartition, OffsetAndMetadata> nextOffsets,
            Consumer<?, ?> consumer,
            BillingConfig settings) {
        int count = orders.count();
        InvoiceBatch.Records records =
                withoutInvoiced(billed, consumer.groupMetadata().generationId());
        Producer<String, byte[]> producer = producers.transactional();
        try {
            producer.beginTransaction();
            for (ProducerRecord<String, byte[]> record : records.all()) {
                // a send error surfaces at commitTransaction(), which then throws: the transaction
                // aborts
                producer.send(record);
            }
            crashDrill.reached(AFTER_SEND, count, settings);
            // the offsets go to the group coordinator as part of the transaction; with the
            // consumer's
            // group metadata (generation, member id) the broker rejects a zombie whose generation
            // is
            // over (KIP-447), so an instance that lost the partitions cannot commit them
            producer.sendOffsetsToTransaction(nextOffsets, consumer.groupMetadata());
            crashDrill.reached(BEFORE_COMMIT, count, settings);
        } catch (ProducerFencedException
                | OutOfOrderSequenceException
                | AuthorizationException
                | UnsupportedVersionException fatal) {
            // this producer can do nothing more, not even abort
            replaceProducer(producer, fatal, orders);
            return;
        } catch (KafkaException abortable) {
            // e.g. a timeout, the group moved on: abort, so that nothing of the batch is visible,
            // and read it again
            LOG.warn(
                    "exactly-once: transaction aborted ({}); the batch is read again",
                    abortable.toString());
            abort(producer, abortable, consumer, orders);
            return;
        }
        if (!commit(producer, consumer, orders, settings)) {
            return;
        }
        metrics.transactionCommitted();
        remember(nextOffsets);
        records.invoices()
                .forEach(invoice -> ledger.committed(invoice.partition(), invoiceId(invoice)));
        metrics.alreadyInvoiced(billed.invoices().size() - records.invoices().size());
        countSent(DeliveryMode.EXACTLY_ONCE, records);
        crashDrill.reached(AFTER_COMMIT, count, settings);
    }

    /**
     * commitTransaction, retried while its outcome is unknown. A TimeoutException does not mean the
     * commit failed — the EndTxn may have reached the coordinator — so the producer allows nothing
     * else now (not abortTransaction, not beginTransaction) until the commit is retried to an
     * answer (Kafka's KafkaProducer#commitTransaction javadoc). If it has none within
     * commit-retry-timeout, the producer is replaced; the new one's initTransactions finishes or
     * aborts the transaction, and the group's committed offsets then tell where the batch stands.
     */
    private boolean commit(
            Producer<String, byte[]> producer,
            Consumer<?, ?> consumer,
            ConsumerRecords<String, byte[]> orders,
            BillingConfig settings) {
        long deadline = System.nanoTime() + replicaSettings.commitRetryTimeout().toNanos();
        boolean outcomeUnknown = false;
        while (true) {
            try {
                producer.commitTransaction();
                return true;
            } catch (TimeoutException unknown) {
                outcomeUnknown = true;
                metrics.commitRetried();
                if (System.nanoTime() - deadline > 0) {
                    LOG.warn(
                            "exactly-once: commit outcome still unknown after {} ({})",
                            replicaSettings.commitRetryTimeout(),
                            unknown.toString());
                    replaceProducer(producer, unknown, orders);
                    return false;
                }
                LOG.warn(
                        "exactly-once: commit outcome unknown ({}); committing again",
                        unknown.toString());
            } catch (ProducerFencedException
                    | OutOfOrderSequenceException
                    | AuthorizationException
                    | UnsupportedVersionException fatal) {
                replaceProducer(producer, fatal, orders);
                return false;
            } catch (KafkaException failed) {
                if (outcomeUnknown) {
                    // an error after a commit with no answer (e.g. the coordinator aborted it on
                    // its timeout and
                    // bumped the epoch) proves nothing about what the first try did: ask the group,
                    // not the error
                    LOG.warn(
                            "exactly-once: commit retry failed ({}); positions from the group's offsets",
                            failed.toString());
                    replaceProducer(producer, failed, orders);
                    return false;
                }
                // e.g. CommitFailedException (the group moved on: this instance is a zombie):
                // nothing committed
                LOG.warn(
                        "exactly-once: commit failed ({}); the batch is read again",
                        failed.toString());
                abort(producer, failed, consumer, orders);
                return false;
            }
        }
    }

    private void abort(
            Producer<String, byte[]> producer,
            KafkaException cause,
            Consumer<?, ?> consumer,
            ConsumerRecords<String, byte[]> orders) {
        try {
            producer.abortTransaction();
        } catch (RuntimeException e) {
            // the producer refuses (an earlier call timed out and is pending, or it failed fatally)
            e.addSuppressed(cause);
            replaceProducer(producer, e, orders);
            return;
        }
        metrics.transactionAborted();
        rewind(consumer, orders);
    }

    /**
     * The producer is closed; what became of its open transaction is up to the next producer's
     * initTransactions. Until then this replica does not know where the batch's partitions stand,
     * so it bills nothing of them before asking the group coordinator ({@link #resyncUnsure}).
     */
    private void replaceProducer(
            Producer<String, byte[]> producer,
            Exception why,
            ConsumerRecords<String, byte[]> orders) {
        producers.recreate(producer, why);
        metrics.transactionAborted();
        unsure.addAll(orders.partitions());
        ledger.forget(
                orders.partitions().stream()
                        .map(TopicPartition::partition)
                        .collect(Collectors.toSet()));
    }

    /**
     * After a producer was replaced: the new producer (initTransactions) settles the old one's
     * transaction, then each unsure partition goes to the group's committed offset (read_committed
     * asks for a stable one, waiting out a transaction still being completed). The polled batch is
     * not billed: the next poll reads from the settled positions.
     */
    private void resyncUnsure(ConsumerRecords<String, byte[]> orders, Consumer<?, ?> consumer) {
        rewind(consumer, orders);
        try {
            producers.transactional();
            Set<TopicPartition> owned = new HashSet<>(unsure);
            owned.retainAll(consumer.assignment());
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(owned);
            for (TopicPartition partition : owned) {
                OffsetAndMetadata offset = committed.get(partition);
                if (offset != null) {
                    consumer.seek(partition, offset);
                } else {
                    consumer.seekToBeginning(List.of(partition));
                }
            }
            LOG.info(
                    "exactly-once: positions settled from the group's committed offsets: {}",
                    committed);
            unsure.clear();
        } catch (KafkaException e) {
            LOG.warn(
                    "exactly-once: positions not settled yet ({}); trying again with the next poll",
                    e.toString());
        }
    }

    /**
     * Drops the invoices of orders the ledger says are already invoiced: a client's retry, or the
     * same order twice in the batch.
     */
    private InvoiceBatch.Records withoutInvoiced(InvoiceBatch.Records records, int generation) {
        Set<String> inBatch = new HashSet<>();
        return records.keepInvoices(
                invoice -> {
                    String id = invoiceId(invoice);
                    return !ledger.invoiced(invoice.partition(), generation).contains(id)
                            && inBatch.add(id);
                });
    }

    private static String invoiceId(ProducerRecord<String, byte[]> invoice) {
        return new String(
                invoice.headers().lastHeader(Topics.HEADER_INVOICE_ID).value(),
                StandardCharsets.UTF_8);
    }

    /**
     * Back to the batch's first offsets, so that the next poll returns the same orders. Partitions
     * this consumer no longer owns are left alone: their new owner starts from the committed
     * offsets.
     */
    public void rewind(Consumer<?, ?> consumer, ConsumerRecords<String, byte[]> orders) {
        for (TopicPartition partition : orders.partitions()) {
            if (consumer.assignment().contains(partition)) {
                consumer.seek(partition, orders.records(partition).get(0).offset());
            }
        }
    }

    private void remember(Map<TopicPartition, OffsetAndMetadata> nextOffsets) {
        nextOffsets.forEach(
                (partition, offset) ->
                        committedPositions.put(partition.partition(), offset.offset()));
    }

    /**
     * For GetBillingStats: per partition, the offset after the last order whose offsets this
     * replica committed.
     */
    Map<Integer, Long> committedPositions() {
        return Map.copyOf(committedPositions);
    }

    private void countSent(DeliveryMode mode, InvoiceBatch.Records records) {
        metrics.sent(
                mode,
                records.invoices().size(),
                records.deadLetters().size(),
                records.failures(),
                records.retries());
    }

    static Map<TopicPartition, OffsetAndMetadata> nextOffsets(
            ConsumerRecords<String, byte[]> orders) {
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (TopicPartition partition : orders.partitions()) {
            List<ConsumerRecord<String, byte[]>> records = orders.records(partition);
            next.put(
                    partition, new OffsetAndMetadata(records.get(records.size() - 1).offset() + 1));
        }
        return next;
    }
}

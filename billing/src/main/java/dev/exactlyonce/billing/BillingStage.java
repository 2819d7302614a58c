package dev.exactlyonce.billing;

import static dev.exactlyonce.grpc.v1.BillingCrashPoint.AFTER_COMMIT;
import static dev.exactlyonce.grpc.v1.BillingCrashPoint.AFTER_SEND;
import static dev.exactlyonce.grpc.v1.BillingCrashPoint.BEFORE_COMMIT;

import dev.exactlyonce.grpc.v1.BillingConfig;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.kafka.TransactionErrors;
import dev.exactlyonce.semantics.BillingSemantics;
import dev.exactlyonce.semantics.BillingSemantics.Step;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Billing, one poll batch at a time: read orders, write one invoice per order, and make the input
 * offsets durable — in the order of steps of the processing mode ({@link BillingSemantics}, the
 * table QueryService.CompareSemantics shows). Read it top-down; what happens when a step fails is
 * {@link BillingRecovery}; the crash points (crash_point) sit between the steps, and a crash
 * between two steps is what tells the modes apart.
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

    /** How long one poll batch waits for the shared settings before it is read again. */
    private static final Duration SETTINGS_WAIT = Duration.ofSeconds(1);

    private final SharedBillingConfig config;
    private final InvoiceBatch invoiceBatch;
    private final InvoiceProducers producers;
    private final CrashDrill crashDrill;
    private final BillingMetrics metrics;
    private final InvoiceLedger ledger;

    private final BillingRecovery recovery;

    /** This replica's own settings: how far a transaction takes more poll batches. */
    private final BillingSettings replicaSettings;

    // only keeps the log to one line per wait
    private volatile boolean waitingForSettings;

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
            BillingRecovery recovery,
            BillingSettings replicaSettings) {
        this.config = config;
        this.invoiceBatch = invoiceBatch;
        this.producers = producers;
        this.crashDrill = crashDrill;
        this.metrics = metrics;
        this.ledger = ledger;
        this.recovery = recovery;
        this.replicaSettings = replicaSettings;
    }

    /**
     * Bills one poll batch. Nothing is skipped: after a failure whose outcome is known (nothing was
     * committed) the consumer is rewound to the batch's first offsets; after one whose outcome is
     * unknown (a commit with no answer) the next poll first takes the group's committed offsets
     * ({@link BillingRecovery#resyncUnsure}).
     */
    public void process(ConsumerRecords<String, byte[]> orders, Consumer<?, ?> consumer)
            throws InterruptedException {
        long started = System.nanoTime();
        if (recovery.unsure()) {
            recovery.resyncUnsure(orders, consumer);
            return;
        }
        if (!config.awaitLoaded(SETTINGS_WAIT)) {
            // started while the settings topic was unreadable: the defaults stand in for a mode
            // that may have been changed at runtime, and no order is billed under a guessed mode
            if (!waitingForSettings) {
                LOG.warn(
                        "the shared settings are not read yet (settings topic unreadable): no"
                                + " order is billed until they are");
                waitingForSettings = true;
            }
            recovery.rewind(consumer, orders);
            return;
        }
        if (waitingForSettings) {
            LOG.info("shared settings read: billing with {}", config.current().getProcessingMode());
            waitingForSettings = false;
        }
        BillingConfig settings = config.current();
        metrics.received(orders.count());
        // the transform: pure, no side effect yet (an invoice or a dead letter for every order)
        InvoiceBatch.Records records = invoiceBatch.bill(orders, settings);
        // the positions after the batch: what "these orders are done" means to the consumer group
        Map<TopicPartition, OffsetAndMetadata> nextOffsets = nextOffsets(orders);
        if (settings.getProcessingMode() != DeliveryMode.EXACTLY_ONCE) {
            // invoices written outside exactly-once are not in the ledger: read it again when
            // exactly-once resumes
            ledger.forgetAll();
        }
        Batch batch = new Batch(orders, records, nextOffsets, consumer, settings);
        boolean billed = true;
        for (Step step : BillingSemantics.steps(settings.getProcessingMode())) {
            boolean done =
                    switch (step) {
                        case COMMIT_INPUT_OFFSETS -> commitInputOffsets(batch);
                        case SEND_INVOICES_NO_WAIT -> sendInvoicesNoWait(batch);
                        case SEND_INVOICES_AND_WAIT -> sendInvoicesAndWait(batch);
                        case TRANSACTION -> transaction(batch);
                    };
            if (!done) {
                // the step failed and the batch is read again: no later step runs
                billed = false;
                break;
            }
        }
        metrics.batchTook(System.nanoTime() - started);
        if (billed) {
            recovery.billed();
        } else {
            recovery.notBilled();
        }
    }

    /** One poll batch on its way through the steps. */
    private record Batch(
            ConsumerRecords<String, byte[]> orders,
            InvoiceBatch.Records records,
            Map<TopicPartition, OffsetAndMetadata> nextOffsets,
            Consumer<?, ?> consumer,
            BillingConfig settings) {

        DeliveryMode mode() {
            return settings.getProcessingMode();
        }

        int count() {
            return orders.count();
        }
    }

    /**
     * At-most-once's first step, at-least-once's last: the group's offsets move past the batch. A
     * crash after it and before the invoices are sent loses them; a crash before it, after they
     * were sent, bills them twice.
     */
    private boolean commitInputOffsets(Batch batch) {
        crashDrill.reached(BEFORE_COMMIT, batch.count(), batch.settings());
        try {
            batch.consumer().commitSync(batch.nextOffsets());
        } catch (WakeupException shutdown) {
            // micronaut-kafka's close() wakes the consumer once, and its poll loop ends only when
            // its own poll() meets that wakeup; consumed here, billing kept polling after SIGTERM
            // and never exited. The batch is read again by whoever owns it next.
            recovery.rewind(batch.consumer(), batch.orders());
            recovery.wakeUpAgain(batch.consumer());
            return false;
        } catch (KafkaException e) {
            // e.g. the group rebalanced: the batch is read again (by this replica or the
            // partitions' new owner); in at-least-once its invoices are then written twice
            LOG.warn(
                    "{}: offset commit failed ({}); the batch is read again",
                    batch.mode(),
                    e.toString());
            recovery.readAgain(batch.consumer(), batch.orders(), e);
            return false;
        }
        remember(batch.nextOffsets());
        crashDrill.reached(AFTER_COMMIT, batch.count(), batch.settings());
        return true;
    }

    /** At-most-once: fire and forget, a failed send is a lost invoice. */
    private boolean sendInvoicesNoWait(Batch batch) {
        Producer<String, byte[]> producer = producers.atMostOnce();
        for (ProducerRecord<String, byte[]> record : batch.records().all()) {
            producer.send(
                    record,
                    (metadata, error) -> {
                        if (error != null) {
                            LOG.warn("at-most-once: invoice lost ({})", error.toString());
                        }
                    });
        }
        countSent(batch.mode(), batch.records());
        crashDrill.reached(AFTER_SEND, batch.count(), batch.settings());
        return true;
    }

    /**
     * At-least-once: every invoice acknowledged before the offsets move; a failure reads the batch
     * again, which may write some invoices twice and never loses one.
     */
    private boolean sendInvoicesAndWait(Batch batch) throws InterruptedException {
        Producer<String, byte[]> producer = producers.atLeastOnce();
        try {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (ProducerRecord<String, byte[]> record : batch.records().all()) {
                acks.add(producer.send(record));
            }
            for (Future<RecordMetadata> ack : acks) {
                ack.get();
            }
        } catch (ExecutionException | KafkaException e) {
            LOG.warn("at-least-once: send failed ({}); the batch is read again", e.toString());
            recovery.readAgain(batch.consumer(), batch.orders(), e);
            return false;
        }
        countSent(batch.mode(), batch.records());
        crashDrill.reached(AFTER_SEND, batch.count(), batch.settings());
        return true;
    }

    /**
     * One Kafka transaction holds the invoices, the dead letters AND the input offsets:
     * read_committed readers of "invoices" see them exactly when the group's offsets move past the
     * orders, or never. An order whose invoice is already committed (a client's retry: same
     * message_id, later offset) is recognised by the {@link InvoiceLedger} and not invoiced again.
     *
     * <p>Group commit: behind a backlog, the transaction goes on taking the orders the consumer has
     * fetched already ({@link #moreOrders}), up to {@code app.billing.transaction-max-time} and
     * {@code transaction-max-records}, so that one commit (its round trips to the coordinators, its
     * markers) serves many poll batches. A billing that keeps up commits each poll batch at once.
     */
    private boolean transaction(Batch first) {
        Consumer<?, ?> consumer = first.consumer();
        BillingConfig settings = first.settings();
        ConsumerGroupMetadata group = consumer.groupMetadata();
        OpenTransaction open = new OpenTransaction();
        // in the transaction before anything can fail: a failure rewinds or resyncs every batch in
        // it
        open.add(first.orders(), first.nextOffsets());
        Producer<String, byte[]> producer = producers.transactional();
        try {
            producer.beginTransaction();
            for (Batch batch = first;
                    batch != null;
                    batch = moreOrders(open, batch, group, consumer, settings)) {
                InvoiceBatch.Records toSend =
                        withoutInvoiced(batch.records(), group.generationId(), open.invoiceIds());
                open.sending(batch.records(), toSend);
                for (ProducerRecord<String, byte[]> record : toSend.all()) {
                    // a send error surfaces at commitTransaction(), which then throws: it aborts
                    producer.send(record);
                }
            }
            crashDrill.reached(AFTER_SEND, open.count(), settings);
            // the offsets go to the group coordinator as part of the transaction; with the
            // consumer's group metadata (generation, member id) the broker rejects a zombie whose
            // generation is over (KIP-447), so an instance that lost the partitions cannot commit
            // them
            producer.sendOffsetsToTransaction(open.nextOffsets(), consumer.groupMetadata());
            crashDrill.reached(BEFORE_COMMIT, open.count(), settings);
        } catch (KafkaException failed) {
            if (TransactionErrors.isFatal(failed)) {
                // this producer can do nothing more, not even abort
                recovery.replaceProducer(producer, failed, open.orders());
                return done(open, consumer, false);
            }
            // e.g. a timeout, or the group refused the offsets (TransactionErrors.isGroupRefusal:
            // a zombie, or under the consumer protocol a member epoch that moved): abort, so that
            // nothing of the batch is visible, and read it again
            LOG.warn(
                    "exactly-once: transaction aborted ({}{}); the batch is read again",
                    TransactionErrors.isGroupRefusal(failed)
                            ? "the group refused the offsets: "
                            : "",
                    failed.toString());
            recovery.abort(producer, failed, consumer, open.orders());
            return done(open, consumer, false);
        } catch (RuntimeException unexpected) {
            // not Kafka's: a failure of billing's own code. The transaction must end here: left
            // open, every later beginTransaction would be refused and billing would stop for good
            LOG.error(
                    "exactly-once: transaction aborted after an unexpected failure; the batch is"
                            + " read again",
                    unexpected);
            recovery.abort(producer, unexpected, consumer, open.orders());
            return done(open, consumer, false);
        }
        if (!recovery.commit(producer, consumer, open.orders())) {
            return done(open, consumer, false);
        }
        metrics.transactionCommitted(open.count());
        remember(open.nextOffsets());
        InvoiceBatch.Records sent = open.sent();
        sent.invoices()
                .forEach(invoice -> ledger.committed(invoice.partition(), invoiceId(invoice)));
        metrics.alreadyInvoiced(open.alreadyInvoiced());
        countSent(DeliveryMode.EXACTLY_ONCE, sent);
        crashDrill.reached(AFTER_COMMIT, open.count(), settings);
        return done(open, consumer, true);
    }

    /**
     * The next poll batch for the open transaction: behind a backlog (the last poll was full,
     * {@code max-poll-records}), the orders the consumer has already fetched ({@code
     * poll(Duration.ZERO)} waits for nothing), while the transaction is younger than {@code
     * transaction-max-time} and holds fewer than {@code transaction-max-records}; null closes it. A
     * billing that keeps up gets smaller polls and commits each at once, as without group commit
     * (taking every trickle of orders for up to 100 ms left it behind under the unary bench:
     * invoices at 0.70 of stored orders/s against 0.86). Only orders of the same group generation
     * and partitions join: after a rebalance started in that poll they are read again later, and
     * the transaction commits what it has (the group accepts its offsets only from a member that
     * still owns them; otherwise it aborts).
     */
    @SuppressWarnings("unchecked")
    private Batch moreOrders(
            OpenTransaction open,
            Batch last,
            ConsumerGroupMetadata group,
            Consumer<?, ?> consumer,
            BillingConfig settings) {
        if (last.count() < replicaSettings.maxPollRecords()
                || open.count() >= replicaSettings.transactionMaxRecords()
                || open.ageNanos() >= replicaSettings.transactionMaxTime().toNanos()) {
            return null;
        }
        ConsumerRecords<String, byte[]> more;
        try {
            more = (ConsumerRecords<String, byte[]>) consumer.poll(Duration.ZERO);
        } catch (WakeupException shutdown) {
            // micronaut-kafka's close(): finish this transaction, then pass the wakeup on
            open.wakeUpWhenDone();
            return null;
        }
        if (more.isEmpty()) {
            return null;
        }
        ConsumerGroupMetadata now = consumer.groupMetadata();
        if (now.generationId() != group.generationId()
                || !now.memberId().equals(group.memberId())
                || !consumer.assignment().containsAll(open.partitions())) {
            recovery.rewind(consumer, more);
            return null;
        }
        InvoiceBatch.Records billed;
        try {
            billed = invoiceBatch.bill(more, settings);
        } catch (InterruptedException shutdown) {
            // interrupted in a simulated failure's backoff: these orders are read again, the
            // transaction ends with what it has
            recovery.rewind(consumer, more);
            Thread.currentThread().interrupt();
            return null;
        }
        metrics.received(more.count());
        Batch batch = new Batch(more, billed, nextOffsets(more), consumer, settings);
        open.add(batch.orders(), batch.nextOffsets());
        return batch;
    }

    /** Ends a transaction's work: passes on a wakeup its polls met. */
    private boolean done(OpenTransaction open, Consumer<?, ?> consumer, boolean committed) {
        if (open.wakesUpWhenDone()) {
            recovery.wakeUpAgain(consumer);
        }
        return committed;
    }

    /**
     * Drops the invoices of orders the ledger says are already invoiced (a client's retry) and of
     * orders already in this transaction (the same order twice).
     */
    private InvoiceBatch.Records withoutInvoiced(
            InvoiceBatch.Records records, int generation, Set<String> inTransaction) {
        return records.keepInvoices(
                invoice -> {
                    String id = invoiceId(invoice);
                    return !ledger.invoiced(invoice.partition(), generation).contains(id)
                            && inTransaction.add(id);
                });
    }

    private static String invoiceId(ProducerRecord<String, byte[]> invoice) {
        return new String(
                invoice.headers().lastHeader(Topics.HEADER_INVOICE_ID).value(),
                StandardCharsets.UTF_8);
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

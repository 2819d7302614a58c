package dev.exactlyonce.billing;

import dev.exactlyonce.kafka.TransactionErrors;
import dev.exactlyonce.server.StalledLoop;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What billing does when a step of {@link BillingStage} fails, kept apart from the steps: read the
 * batch again (rewind), abort the transaction, retry a commit whose outcome is unknown, replace a
 * producer that can do nothing more ({@link TransactionErrors#isFatal}), and afterwards take the
 * positions of the partitions it is unsure of from the group's committed offsets. Poll thread only
 * (the only thread that may touch the {@link Consumer}).
 *
 * <p>A batch that failed is read again after a backoff (retry-initial-backoff, doubling up to
 * retry-max-backoff), not at once: a failure that does not go away (a record the broker refuses, a
 * topic that is gone) would otherwise read, fail and log as fast as the poll thread runs. Each
 * failure and each billed batch goes to the {@link StalledLoop}: a batch read again for longer than
 * stalled-after turns readiness NOT_SERVING with the last failure.
 */
@Singleton
class BillingRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(BillingRecovery.class);

    private final InvoiceProducers producers;
    private final BillingMetrics metrics;
    private final InvoiceLedger ledger;

    /** This replica's own settings: how long a commit with an unknown outcome is retried. */
    private final BillingSettings replicaSettings;

    private final StalledLoop stalled;

    /** Partitions whose position is unknown since a producer was replaced mid-transaction. */
    private final Set<TopicPartition> unsure = new HashSet<>();

    /** Why the current batch was not billed (null while nothing failed). */
    private String failure;

    private Duration backoff;

    BillingRecovery(
            InvoiceProducers producers,
            BillingMetrics metrics,
            InvoiceLedger ledger,
            BillingSettings replicaSettings,
            StalledLoop stalled) {
        this.producers = producers;
        this.metrics = metrics;
        this.ledger = ledger;
        this.replicaSettings = replicaSettings;
        this.stalled = stalled;
        this.backoff = replicaSettings.retryInitialBackoff();
    }

    /** A batch went through all its steps: the loop moves. */
    void billed() {
        stalled.moving();
        backoff = replicaSettings.retryInitialBackoff();
    }

    /**
     * A batch stopped at a failed step and will be read again: marks the stall watch and waits the
     * backoff. A batch stopped for no failure (a shutdown's wakeup) does not wait.
     */
    void notBilled() throws InterruptedException {
        if (failure == null) {
            return;
        }
        stalled.retrying(failure);
        failure = null;
        Thread.sleep(backoff.toMillis());
        backoff = min(backoff.multipliedBy(2), replicaSettings.retryMaxBackoff());
    }

    /**
     * New partitions: what stalled was a batch of the partitions this replica had, which may be
     * another's now; the watch starts over from the next batch.
     */
    void partitionsAssigned() {
        stalled.moving();
    }

    /** A step failed before anything was committed: the batch is read again. */
    void readAgain(Consumer<?, ?> consumer, ConsumerRecords<String, byte[]> orders, Exception why) {
        failure = why.toString();
        rewind(consumer, orders);
    }

    /** True while some partition waits for {@link #resyncUnsure}: bill nothing before it. */
    boolean unsure() {
        return !unsure.isEmpty();
    }

    /**
     * commitTransaction, retried while its outcome is unknown. A TimeoutException does not mean the
     * commit failed — the EndTxn may have reached the coordinator — so the producer allows nothing
     * else now (not abortTransaction, not beginTransaction) until the commit is retried to an
     * answer (Kafka's KafkaProducer#commitTransaction javadoc). If it has none within
     * commit-retry-timeout, the producer is replaced; the new one's initTransactions finishes or
     * aborts the transaction, and the group's committed offsets then tell where the batch stands.
     */
    boolean commit(
            Producer<String, byte[]> producer,
            Consumer<?, ?> consumer,
            ConsumerRecords<String, byte[]> orders) {
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
            } catch (KafkaException failed) {
                if (TransactionErrors.isFatal(failed)) {
                    replaceProducer(producer, failed, orders);
                    return false;
                }
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
                // e.g. the group refused the offsets (TransactionErrors.isGroupRefusal: a zombie,
                // or a member epoch that moved): nothing committed
                LOG.warn(
                        "exactly-once: commit failed ({}); the batch is read again",
                        failed.toString());
                abort(producer, failed, consumer, orders);
                return false;
            }
        }
    }

    void abort(
            Producer<String, byte[]> producer,
            RuntimeException cause,
            Consumer<?, ?> consumer,
            ConsumerRecords<String, byte[]> orders) {
        failure = cause.toString();
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
    void replaceProducer(
            Producer<String, byte[]> producer,
            Exception why,
            ConsumerRecords<String, byte[]> orders) {
        failure = why.toString();
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
    void resyncUnsure(ConsumerRecords<String, byte[]> orders, Consumer<?, ?> consumer) {
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
        } catch (WakeupException shutdown) {
            wakeUpAgain(consumer); // the poll loop's close(): see BillingStage.commitInputOffsets
        } catch (KafkaException e) {
            LOG.warn(
                    "exactly-once: positions not settled yet ({}); trying again with the next poll",
                    e.toString());
        }
    }

    /**
     * A wakeup that one of billing's own consumer calls took belongs to micronaut-kafka's close():
     * its poll loop ends only when its next poll() meets one, so it is raised again for that poll
     * (a listener's exception, a WakeupException too, goes to the exception handler, not the loop).
     */
    void wakeUpAgain(Consumer<?, ?> consumer) {
        LOG.info("the consumer was woken up to close: passing the wakeup on to the poll loop");
        consumer.wakeup();
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

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}

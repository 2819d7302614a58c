package dev.exactlyonce.consumer;

import static dev.exactlyonce.grpc.v1.CrashPoint.AFTER_DB_COMMIT;
import static dev.exactlyonce.grpc.v1.CrashPoint.AFTER_OFFSET_COMMIT;
import static dev.exactlyonce.grpc.v1.CrashPoint.BEFORE_DB_COMMIT;

import dev.exactlyonce.consumer.BatchWriter.StoredOffsets;
import dev.exactlyonce.consumer.BatchWriter.Written;
import dev.exactlyonce.consumer.ConsumerMetrics.Total;
import dev.exactlyonce.consumer.OrderStore.FencedException;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.semantics.ConsumerSemantics;
import dev.exactlyonce.semantics.ConsumerSemantics.Step;
import io.micronaut.context.annotation.Property;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each delivery mode does with a poll batch, in one place: the steps of {@link
 * ConsumerSemantics#steps(DeliveryMode)}, in that order. The only difference between the modes is
 * the order of "write the rows" and "commit the offsets", and where the offsets live; a crash
 * between two steps (the crash drill's points) is what makes the difference visible:
 *
 * <ul>
 *   <li>at-most-once: commit Kafka offsets, write rows. Crash in between: the batch is lost.
 *   <li>at-least-once: write rows, commit Kafka offsets. Crash in between: the batch is written
 *       again.
 *   <li>exactly-once: ONE database transaction holds the rows AND the offsets (kafka_offsets), so
 *       they are both there or both not; on assignment the consumer seeks to the stored offsets.
 *       Kafka's offsets are committed afterwards only so that lag tools see progress.
 * </ul>
 *
 * With enable_idempotency the same transaction also skips message ids already in
 * processed_messages: stored offsets protect against replays, the dedup against a producer that
 * sent a message twice.
 */
@Singleton
class DeliveryModeSteps {

    /** The Kafka side, owned by the poll loop (KafkaConsumer is single-threaded). */
    interface KafkaOffsets {
        /** Commits synchronously; false when the partitions moved to another consumer. */
        boolean commit(Map<TopicPartition, OffsetAndMetadata> offsets);
    }

    /**
     * Runs database work until PostgreSQL answers (the poll loop pauses its partitions meanwhile).
     */
    interface Database {
        Written write(java.util.function.Supplier<Written> transaction) throws InterruptedException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryModeSteps.class);

    /**
     * Exactly-once: how often the Kafka offsets are committed for lag (the database holds the real
     * ones).
     */
    static final Duration LAG_COMMIT_INTERVAL = Duration.ofSeconds(1);

    private final BatchWriter writer;
    private final CrashDrill crashDrill;
    private final ConsumerMetrics metrics;
    private final String groupId;
    private final String podName;
    // only the consumer's poll thread (and its rebalance callbacks) use these
    private final Map<TopicPartition, OffsetAndMetadata> lagOffsetsPending = new HashMap<>();
    private long lastLagCommitNanos = System.nanoTime() - LAG_COMMIT_INTERVAL.toNanos();

    DeliveryModeSteps(
            BatchWriter writer,
            CrashDrill crashDrill,
            ConsumerMetrics metrics,
            ConsumerSettings settings,
            @Property(name = "app.pod-name") String podName) {
        this.writer = writer;
        this.crashDrill = crashDrill;
        this.metrics = metrics;
        this.groupId = settings.groupId();
        this.podName = podName;
    }

    /**
     * Runs the mode's steps for one batch; {@code generation} is the group generation that owns the
     * partitions.
     */
    void run(PollBatch batch, int generation, KafkaOffsets kafka, Database database)
            throws InterruptedException {
        var config = batch.config();
        DeliveryMode mode = config.getProcessingMode();
        if (mode != DeliveryMode.EXACTLY_ONCE) {
            // switched away from exactly-once: the other modes resume from Kafka's offsets, so they
            // must be whole
            flushLagOffsets(kafka);
        }
        boolean written = false;
        for (Step step : ConsumerSemantics.steps(mode)) {
            switch (step) {
                case COMMIT_KAFKA_OFFSETS -> {
                    if (!kafka.commit(batch.kafkaOffsets())) {
                        if (!written) {
                            // at-most-once: nothing written and the offsets refused (a rebalance,
                            // or under the consumer protocol a member epoch that moved while this
                            // member keeps the partitions): the batch is read again from Kafka's
                            // committed offsets, by this consumer or the partitions' new owner
                            throw new FencedException(
                                    "Kafka refused the batch's offsets before it was written");
                        }
                        // at-least-once: written; a later commit, or the new owner, covers them
                        return;
                    }
                    crashDrill.reached(AFTER_OFFSET_COMMIT, batch.received(), config);
                }
                case WRITE_ROWS -> {
                    writeRows(batch, null, database);
                    written = true;
                }
                case WRITE_ROWS_WITH_DB_OFFSETS ->
                        writeRows(
                                batch,
                                new StoredOffsets(
                                        groupId,
                                        Topics.ORDERS,
                                        batch.storedOffsets(),
                                        podName,
                                        generation),
                                database);
                case COMMIT_KAFKA_OFFSETS_FOR_LAG -> {
                    // nothing depends on these offsets but Kafka's own lag tools, so not per
                    // batch: each commit is a broker round trip and an offsets-topic write (13 % of
                    // the broker's requests at 5,000/s)
                    lagOffsetsPending.putAll(batch.kafkaOffsets());
                    if (System.nanoTime() - lastLagCommitNanos >= LAG_COMMIT_INTERVAL.toNanos()) {
                        flushLagOffsets(kafka);
                    }
                    crashDrill.reached(AFTER_OFFSET_COMMIT, batch.received(), config);
                }
            }
        }
    }

    /**
     * Exactly-once: commits the Kafka offsets held back for lag (called after each interval, when a
     * poll comes back empty, and before a batch of another mode). Their partitions may have moved
     * meanwhile; then the commit fails, and the new owner brings Kafka's offsets up to the
     * database's anyway.
     *
     * @return whether offsets were committed
     */
    boolean flushLagOffsets(KafkaOffsets kafka) {
        lastLagCommitNanos = System.nanoTime();
        if (lagOffsetsPending.isEmpty()) {
            return false;
        }
        boolean committed = kafka.commit(Map.copyOf(lagOffsetsPending));
        lagOffsetsPending.clear();
        return committed;
    }

    /**
     * Partitions this consumer no longer owns: their held-back lag offsets must not be committed.
     */
    void forget(Collection<TopicPartition> partitions) {
        partitions.forEach(lagOffsetsPending::remove);
    }

    private void writeRows(PollBatch batch, StoredOffsets offsets, Database database)
            throws InterruptedException {
        var config = batch.config();
        DeliveryMode mode = config.getProcessingMode();
        Written written =
                database.write(
                        () -> {
                            boolean[] committing = {false};
                            try {
                                return writer.write(
                                        batch.rows(),
                                        batch.deadLetters(),
                                        mode,
                                        config.getEnableIdempotency(),
                                        podName,
                                        offsets,
                                        () -> {
                                            crashDrill.reached(
                                                    BEFORE_DB_COMMIT, batch.received(), config);
                                            // every statement ran: what fails from here on
                                            // is the COMMIT itself
                                            committing[0] = true;
                                        });
                            } catch (RuntimeException e) {
                                if (committing[0] && mode == DeliveryMode.AT_MOST_ONCE) {
                                    // The COMMIT was sent and no answer came (a cut
                                    // connection): it may have taken effect. Writing the batch
                                    // again could store it twice; at-most-once promises never
                                    // twice, so the batch is given up (possibly lost) instead.
                                    // At-least-once writes again (possibly twice); exactly-once
                                    // writes again safely: the fenced offset update rolls a
                                    // repeat back.
                                    LOG.warn(
                                            "COMMIT of {} rows failed with an unknown outcome ({}); at-most-once does not write them again",
                                            batch.rows().size(),
                                            e.toString());
                                    return null;
                                }
                                throw e;
                            }
                        });
        if (written == null) {
            metrics.add(Total.COMMITS_UNKNOWN, batch.rows().size());
            return;
        }
        Instant committedAt = Instant.now();
        metrics.add(Total.PROCESSED, written.stored());
        metrics.add(Total.DUPLICATES_SKIPPED, written.duplicatesSkipped());
        metrics.add(Total.KEY_CONFLICTS, written.conflicts());
        if (!written.deadLettered().isEmpty()) {
            metrics.add(Total.DEAD_LETTERED, written.deadLettered().size());
            DeadLetter first = written.deadLettered().get(0);
            LOG.warn(
                    "{} record(s) dead-lettered, first {}-{}@{}: {}",
                    written.deadLettered().size(),
                    first.source().topic(),
                    first.source().partition(),
                    first.source().offset(),
                    first.reason());
        }
        metrics.stored(batch.rows(), committedAt);
        crashDrill.reached(AFTER_DB_COMMIT, batch.received(), config);
    }
}

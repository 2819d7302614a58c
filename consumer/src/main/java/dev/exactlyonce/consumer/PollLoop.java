package dev.exactlyonce.consumer;

import dev.exactlyonce.consumer.BatchWriter.Written;
import dev.exactlyonce.consumer.ConsumerMetrics.Total;
import dev.exactlyonce.consumer.OrderStore.FencedException;
import dev.exactlyonce.consumer.OrderStore.OffsetAdvance;
import dev.exactlyonce.grpc.v1.ConsumerConfig;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.kafka.Topics;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The poll loop: topic "orders" to PostgreSQL, one batch at a time, on the thread {@link
 * OrderConsumer} starts. Each turn positions the partitions assigned since the last one, polls, and
 * hands the records to the steps of the batch's mode ({@link DeliveryModeSteps}); a turn without
 * records sends out the Kafka offsets exactly-once held back for lag.
 *
 * <p>One batch: decoded (poison becomes a dead letter; in exactly-once, records already stored are
 * skipped), the simulated failures tried and retried, then the mode's steps. A batch fenced because
 * its partitions moved to another consumer rolls back whole, and every partition is positioned
 * again.
 */
final class PollLoop {

    private static final Logger LOG = LoggerFactory.getLogger(PollLoop.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);

    private final KafkaConsumer<String, byte[]> consumer;
    private final StopSignal stop;
    private final SharedConsumerConfig config;
    private final ConsumerSettings settings;
    private final DeliveryModeSteps steps;
    private final BatchWriter writer;
    private final ConsumerMetrics metrics;
    private final BatchTracing tracing;
    // the parts of this loop, on this thread
    private final PartitionAssignment assignment;
    private final ExpectedStoredOffsets expectedStored;
    private final DatabaseOutageBackoff outage;
    private final RetentionGaps retentionGaps;
    private final LagReporter lag;

    private boolean waitingForSettings; // touched by the loop's thread only

    PollLoop(
            KafkaConsumer<String, byte[]> consumer,
            StopSignal stop,
            SharedConsumerConfig config,
            ConsumerSettings settings,
            DeliveryModeSteps steps,
            BatchWriter writer,
            ConsumerMetrics metrics,
            BatchTracing tracing,
            PartitionAssignment assignment,
            ExpectedStoredOffsets expectedStored,
            DatabaseOutageBackoff outage,
            RetentionGaps retentionGaps,
            LagReporter lag) {
        this.consumer = consumer;
        this.stop = stop;
        this.config = config;
        this.settings = settings;
        this.steps = steps;
        this.writer = writer;
        this.metrics = metrics;
        this.tracing = tracing;
        this.assignment = assignment;
        this.expectedStored = expectedStored;
        this.outage = outage;
        this.retentionGaps = retentionGaps;
        this.lag = lag;
    }

    /** Polls and processes until a stop is requested. */
    void run() throws InterruptedException {
        while (!stop.requested()) {
            if (!settingsRead()) {
                continue;
            }
            assignment.positionPending(this::readStoredOffsets);
            ConsumerRecords<String, byte[]> records = poll();
            refreshViews(false);
            if (!records.isEmpty()) {
                // read after the poll: a setting changed while the poll waited applies to these
                // records
                process(records, config.current());
            } else {
                // idle: the lag offsets exactly-once held back go out now, and show in
                // GetConsumerStats
                if (steps.flushLagOffsets(lag::commit)) {
                    refreshViews(true);
                }
            }
        }
    }

    /**
     * Whether this replica has read the shared settings. One started while the settings topic was
     * unreadable holds the defaults, and the delivery mode set at runtime may be another: nothing
     * is positioned or processed under a guessed mode. It does not poll meanwhile either: past
     * max.poll.interval.ms the group moves its partitions to replicas that know their mode.
     */
    private boolean settingsRead() throws InterruptedException {
        if (config.awaitLoaded(POLL_TIMEOUT)) {
            if (waitingForSettings) {
                LOG.info(
                        "shared settings read: processing with {}",
                        config.current().getProcessingMode());
                waitingForSettings = false;
            }
            return true;
        }
        if (!waitingForSettings) {
            LOG.warn(
                    "the shared settings are not read yet (settings topic unreadable): no order is"
                            + " processed until they are");
            waitingForSettings = true;
        }
        return false;
    }

    /**
     * One poll. A position Kafka no longer has throws (auto.offset.reset=none): see {@link
     * RetentionGaps}.
     */
    private ConsumerRecords<String, byte[]> poll() throws InterruptedException {
        try {
            return consumer.poll(POLL_TIMEOUT);
        } catch (OffsetOutOfRangeException e) {
            retentionGaps.recordAndSkip(e);
            return ConsumerRecords.empty();
        } catch (NoOffsetForPartitionException e) {
            // PartitionAssignment seeks every partition without an offset; this is a safety net
            consumer.seekToBeginning(e.partitions());
            return ConsumerRecords.empty();
        }
    }

    // --- one batch

    private void process(ConsumerRecords<String, byte[]> records, ConsumerConfig batchConfig)
            throws InterruptedException {
        long started = System.nanoTime();
        DeliveryMode mode = batchConfig.getProcessingMode();
        Span span = tracing.start(records, mode.name());
        try (Scope ignored = span.makeCurrent()) {
            metrics.add(Total.RECEIVED, records.count());
            PollBatch batch = decode(records, batchConfig);
            if (batchConfig.getProcessingDelayMs() > 0) {
                stop.sleep(Duration.ofMillis(batchConfig.getProcessingDelayMs()));
            }
            var attempts =
                    SimulatedFailures.attempt(
                            batch.rows(),
                            batchConfig.getFailureRate(),
                            batchConfig.getMaxAttempts(),
                            settings.retryInitialBackoff(),
                            settings.retryMaxBackoff(),
                            stop::sleep);
            metrics.add(Total.FAILURES, attempts.failures());
            metrics.add(Total.RETRIES, attempts.retries());
            // dead letters are written in the batch's own transaction, with its rows and offsets
            List<DeadLetter> dead = new ArrayList<>(batch.deadLetters());
            dead.addAll(attempts.exhausted());
            PollBatch toStore =
                    new PollBatch(
                            batchConfig,
                            batch.received(),
                            attempts.passed(),
                            dead,
                            batch.kafkaOffsets(),
                            batch.storedOffsets());
            steps.run(
                    toStore,
                    consumer.groupMetadata().generationId(),
                    lag::commit,
                    this::writeUntilAvailable);
            expectedStored.advanced(batch.storedOffsets());
        } catch (FencedException e) {
            span.setStatus(StatusCode.ERROR, e.getMessage());
            LOG.warn(
                    "batch rolled back, nothing stored: {}; re-reading the stored offsets",
                    e.getMessage());
            assignment.repositionAll();
        } finally {
            span.end();
        }
        metrics.batchProcessed(System.nanoTime() - started);
        refreshViews(true);
    }

    /**
     * Decodes the records; in exactly-once also works out the offsets the transaction must move.
     */
    private PollBatch decode(ConsumerRecords<String, byte[]> records, ConsumerConfig batchConfig)
            throws InterruptedException {
        boolean exactlyOnce = batchConfig.getProcessingMode() == DeliveryMode.EXACTLY_ONCE;
        if (exactlyOnce) {
            expectedStored.loadMissing(records.partitions(), this::readStoredOffsets);
        }
        List<OrderRow> rows = new ArrayList<>(records.count());
        List<DeadLetter> poison = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> kafkaOffsets = new HashMap<>();
        List<OffsetAdvance> storedOffsets = new ArrayList<>();
        long alreadyStored = 0;
        for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<String, byte[]>> partitionRecords = records.records(tp);
            long next = partitionRecords.get(partitionRecords.size() - 1).offset() + 1;
            long expected = exactlyOnce ? expectedStored.of(tp) : -1;
            next = Math.max(next, expected);
            kafkaOffsets.put(tp, new OffsetAndMetadata(next));
            if (exactlyOnce) {
                storedOffsets.add(new OffsetAdvance(tp.partition(), expected, next));
            }
            for (ConsumerRecord<String, byte[]> record : partitionRecords) {
                if (record.offset() < expected) {
                    // exactly-once: already stored by an earlier transaction (a re-read after a
                    // rebalance)
                    alreadyStored++;
                    continue;
                }
                try {
                    rows.add(RecordDecoder.decode(record));
                } catch (RecordDecoder.PoisonRecord e) {
                    poison.add(e.deadLetter(record));
                }
            }
        }
        metrics.add(Total.DUPLICATES_SKIPPED, alreadyStored);
        return new PollBatch(
                batchConfig, records.count(), rows, poison, kafkaOffsets, storedOffsets);
    }

    // --- PostgreSQL work, waiting through an outage

    private Map<Integer, Long> readStoredOffsets() throws InterruptedException {
        return outage.untilAvailable(
                "reading kafka_offsets",
                () -> writer.storedOffsets(settings.groupId(), Topics.ORDERS));
    }

    private Written writeUntilAvailable(Supplier<Written> transaction) throws InterruptedException {
        return outage.untilAvailable("writing to PostgreSQL", transaction::get);
    }

    private void refreshViews(boolean force) {
        lag.refresh(force, assignment.awaitingSeek());
    }
}

package dev.exactlyonce.consumer;

import dev.exactlyonce.consumer.BatchWriter.Written;
import dev.exactlyonce.consumer.ConsumerMetrics.Total;
import dev.exactlyonce.consumer.OrderStore.FencedException;
import dev.exactlyonce.consumer.OrderStore.OffsetAdvance;
import dev.exactlyonce.grpc.v1.ConsumerConfig;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.kafka.KafkaConnection;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.server.StalledLoop;
import io.micronaut.context.annotation.Property;
import io.micronaut.context.event.StartupEvent;
import io.micronaut.runtime.event.annotation.EventListener;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.MemberToRemove;
import org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The poll loop: topic "orders" to PostgreSQL, one batch at a time, on one thread.
 *
 * <p>A plain {@link KafkaConsumer} rather than micronaut-kafka's {@code @KafkaListener}: the lesson
 * is exactly when offsets are committed, where the consumer seeks on assignment, and what happens
 * while PostgreSQL is down (pause, keep polling for group membership, retry), and here each of
 * those is one visible line instead of a framework setting. What a mode does with a batch is in
 * {@link DeliveryModeSteps}.
 *
 * <p>Kafka settings: read_committed (aborted producer transactions are never seen), no auto-commit,
 * up to {@code max-poll-records} per batch. Recovery: static membership ({@code group.instance.id}
 * = pod name) with a short session timeout, so a killed pod restarted under the same name gets its
 * partitions back at once without a rebalance, and a dead one's move after {@code session-timeout}.
 * Static members send no LeaveGroup on close, so a graceful shutdown (SIGTERM) finishes the current
 * batch, commits, closes and then removes its member explicitly, which hands the partitions over
 * immediately.
 */
@Singleton
public class OrderConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(OrderConsumer.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);

    /** What GetConsumerStats shows for one assigned partition. */
    record PartitionView(int partition, long position, long kafkaCommitted) {}

    private final ConsumerSettings settings;
    private final SharedConsumerConfig config;
    private final SchemaMigration schema;
    private final DeliveryModeSteps steps;
    private final BatchWriter writer;
    private final StalledLoop stalled;
    private final ConsumerMetrics metrics;
    private final BatchTracing tracing;
    private final KafkaConnection kafka;
    private final String podName;

    // owned by the loop thread
    private KafkaConsumer<String, byte[]> consumer;

    private final StopSignal stopSignal = new StopSignal();
    private PartitionAssignment assignment;
    private DatabaseOutageBackoff outage;
    private RetentionGaps retentionGaps;
    private final ExpectedStoredOffsets expectedStored = new ExpectedStoredOffsets();

    // read by other threads
    private volatile LagReporter lag;
    private volatile boolean running;
    private volatile boolean crashed;
    private Thread thread;

    public OrderConsumer(
            ConsumerSettings settings,
            SharedConsumerConfig config,
            SchemaMigration schema,
            DeliveryModeSteps steps,
            BatchWriter writer,
            StalledLoop stalled,
            ConsumerMetrics metrics,
            BatchTracing tracing,
            KafkaConnection kafka,
            @Property(name = "app.pod-name") String podName) {
        this.settings = settings;
        this.config = config;
        this.schema = schema;
        this.steps = steps;
        this.writer = writer;
        this.stalled = stalled;
        this.metrics = metrics;
        this.tracing = tracing;
        this.kafka = kafka;
        this.podName = podName;
    }

    @EventListener
    void onStartup(StartupEvent event) {
        thread = new Thread(this::run, "orders-consumer");
        thread.start();
    }

    /**
     * True while the loop runs (false before the schema is migrated, after a crash drill and after
     * stop).
     */
    public boolean isRunning() {
        return running;
    }

    public List<PartitionView> partitions() {
        LagReporter reporter = lag;
        return reporter == null ? List.of() : reporter.partitions();
    }

    public String groupId() {
        return settings.groupId();
    }

    private void run() {
        try {
            awaitSchema();
            consumer =
                    new KafkaConsumer<>(
                            consumerProperties(),
                            new StringDeserializer(),
                            new ByteArrayDeserializer());
            lag = new LagReporter(consumer, metrics);
            assignment = new PartitionAssignment(consumer, config, expectedStored, lag, steps);
            outage = new DatabaseOutageBackoff(consumer, assignment, settings, stalled, stopSignal);
            retentionGaps =
                    new RetentionGaps(consumer, writer, metrics, outage, settings.groupId());
            consumer.subscribe(List.of(Topics.ORDERS), assignment);
            running = true;
            LOG.info(
                    "consuming {} as group {} member {}",
                    Topics.ORDERS,
                    settings.groupId(),
                    podName);
            while (!stopSignal.requested()) {
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
        } catch (StopSignal.StopRequested | InterruptedException e) {
            LOG.info(
                    "stopped while a dependency was unreachable; the uncommitted batch will be read again");
        } catch (FencedInstanceIdException e) {
            LOG.error(
                    "another consumer runs with the same pod name {} (group.instance.id); this one stops",
                    podName);
        } catch (Throwable e) {
            // a fired crash drill in a test (ProcessHalt replaced), or a bug: stop without
            // committing anything more
            crashed = true;
            LOG.error("consumer loop stopped, nothing more is committed", e);
        } finally {
            running = false;
            close();
        }
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

    private void awaitSchema() throws InterruptedException {
        while (!schema.isMigrated()) {
            stopSignal.throwIfRequested();
            Thread.sleep(200);
        }
    }

    private Properties consumerProperties() {
        Properties p = kafka.properties();
        p.put("group.id", settings.groupId());
        p.put("group.instance.id", podName);
        p.put("client.id", "orders-consumer-" + podName);
        p.put("enable.auto.commit", false);
        p.put("isolation.level", "read_committed");
        // never skip silently: a position below the log start is a retention gap, recorded (see
        // poll())
        p.put("auto.offset.reset", "none");
        p.put("max.poll.records", settings.maxPollRecords());
        p.put("session.timeout.ms", (int) settings.sessionTimeout().toMillis());
        p.put("heartbeat.interval.ms", (int) settings.heartbeatInterval().toMillis());
        return p;
    }

    // --- one batch
    // -------------------------------------------------------------------------------------

    private void process(ConsumerRecords<String, byte[]> records, ConsumerConfig batchConfig)
            throws InterruptedException {
        long started = System.nanoTime();
        DeliveryMode mode = batchConfig.getProcessingMode();
        Span span = tracing.start(records, mode.name());
        try (Scope ignored = span.makeCurrent()) {
            metrics.add(Total.RECEIVED, records.count());
            PollBatch batch = decode(records, batchConfig);
            if (batchConfig.getProcessingDelayMs() > 0) {
                stopSignal.sleep(Duration.ofMillis(batchConfig.getProcessingDelayMs()));
            }
            var attempts =
                    SimulatedFailures.attempt(
                            batch.rows(),
                            batchConfig.getFailureRate(),
                            batchConfig.getMaxAttempts(),
                            settings.retryInitialBackoff(),
                            settings.retryMaxBackoff(),
                            stopSignal::sleep);
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

    // --- stop
    // ------------------------------------------------------------------------------------------

    private void close() {
        if (consumer == null) {
            return;
        }
        if (crashed) {
            // like a dead process: no commit, no goodbye; the group notices after session-timeout
            consumer.close(Duration.ZERO);
            return;
        }
        consumer.close(Duration.ofSeconds(5));
        removeStaticMember();
    }

    private void removeStaticMember() {
        try (Admin admin =
                Admin.create(
                        kafka.with(
                                Map.of(
                                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000,
                                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000)))) {
            admin.removeMembersFromConsumerGroup(
                            settings.groupId(),
                            new RemoveMembersFromConsumerGroupOptions(
                                    List.of(new MemberToRemove(podName))))
                    .all()
                    .get();
            LOG.info("left group {}: partitions move to the other members now", settings.groupId());
        } catch (Exception e) {
            LOG.warn(
                    "could not leave group {} explicitly ({}); partitions move after {}",
                    settings.groupId(),
                    e.toString(),
                    settings.sessionTimeout());
        }
    }

    /** SIGTERM: finish the current batch (it commits), then leave the group. */
    @PreDestroy
    void stop() throws InterruptedException {
        stopSignal.request();
        if (thread != null) {
            thread.join(30_000);
        }
    }
}

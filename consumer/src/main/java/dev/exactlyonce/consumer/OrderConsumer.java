package dev.exactlyonce.consumer;

import dev.exactlyonce.consumer.BatchWriter.Written;
import dev.exactlyonce.consumer.ConsumerMetrics.Total;
import dev.exactlyonce.consumer.OrderStore.FencedException;
import dev.exactlyonce.consumer.OrderStore.OffsetAdvance;
import dev.exactlyonce.grpc.v1.ConsumerConfig;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.kafka.KafkaBootstrap;
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
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.MemberToRemove;
import org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.KafkaException;
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
public class OrderConsumer implements ConsumerRebalanceListener {

    private static final Logger LOG = LoggerFactory.getLogger(OrderConsumer.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);

    /**
     * Stopping while a dependency is down: the batch is abandoned uncommitted and replayed later.
     */
    private static final class StopRequested extends RuntimeException {
        StopRequested() {
            super("stopping", null, false, false);
        }
    }

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

    /**
     * Exactly-once: the stored offset this consumer expects per partition (-1: no row), for
     * fencing.
     */
    private final Map<TopicPartition, Long> expectedStored = new HashMap<>();

    /** Assigned but not positioned yet: paused until the loop has read where to start. */
    private final Set<TopicPartition> pendingSeek = new HashSet<>();

    private boolean waitingForDependency;
    private long viewRefreshedAt;

    // read by other threads
    private final Map<Integer, PartitionView> partitions = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Long> kafkaCommitted = new ConcurrentHashMap<>();
    private volatile boolean stopping;
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
        return partitions.values().stream()
                .sorted((a, b) -> Integer.compare(a.partition(), b.partition()))
                .toList();
    }

    public String groupId() {
        return settings.groupId();
    }

    private void run() {
        try {
            awaitSchema();
            consumer =
                    KafkaBootstrap.await(
                            kafka.bootstrapServers(),
                            "orders consumer",
                            () ->
                                    new KafkaConsumer<>(
                                            consumerProperties(),
                                            new StringDeserializer(),
                                            new ByteArrayDeserializer()),
                            () -> stopping);
            consumer.subscribe(List.of(Topics.ORDERS), this);
            running = true;
            LOG.info(
                    "consuming {} as group {} member {}",
                    Topics.ORDERS,
                    settings.groupId(),
                    podName);
            while (!stopping) {
                positionPendingPartitions();
                ConsumerRecords<String, byte[]> records = poll();
                refreshViews(false);
                if (!records.isEmpty()) {
                    // read after the poll: a setting changed while the poll waited applies to these
                    // records
                    process(records, config.current());
                } else {
                    // idle: the lag offsets exactly-once held back go out now, and show in
                    // GetConsumerStats
                    if (steps.flushLagOffsets(this::commitKafka)) {
                        refreshViews(true);
                    }
                }
            }
        } catch (StopRequested | InterruptedException e) {
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
     * One poll. With {@code auto.offset.reset=none} Kafka never moves a position silently: a
     * position below the partition's log start (the records were deleted by retention before this
     * group read them) throws here, and is recorded as a retention gap in PostgreSQL (the audit
     * reports it), counted, logged, and only then is the partition moved to its log start. Never
     * skipped without a trace.
     */
    private ConsumerRecords<String, byte[]> poll() throws InterruptedException {
        try {
            return consumer.poll(POLL_TIMEOUT);
        } catch (OffsetOutOfRangeException e) {
            Map<TopicPartition, Long> logStart =
                    consumer.beginningOffsets(e.offsetOutOfRangePartitions().keySet());
            for (var outOfRange : e.offsetOutOfRangePartitions().entrySet()) {
                TopicPartition tp = outOfRange.getKey();
                long position = outOfRange.getValue();
                long start = logStart.getOrDefault(tp, 0L);
                if (position < start) {
                    untilAvailable(
                            "recording a retention gap",
                            () -> {
                                writer.recordRetentionGap(
                                        settings.groupId(), tp.partition(), position, start);
                                return null;
                            });
                    metrics.add(Total.RETENTION_SKIPPED, start - position);
                    LOG.error(
                            "{}: offsets {}..{} were deleted by retention before group {} read them; recorded in "
                                    + "retention_gaps, resuming at {}",
                            tp,
                            position,
                            start - 1,
                            settings.groupId(),
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
            return ConsumerRecords.empty();
        } catch (NoOffsetForPartitionException e) {
            // positionPendingPartitions seeks every partition without an offset; this is a safety
            // net
            consumer.seekToBeginning(e.partitions());
            return ConsumerRecords.empty();
        }
    }

    private void awaitSchema() throws InterruptedException {
        while (!schema.isMigrated()) {
            if (stopping) {
                throw new StopRequested();
            }
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
                backoff(Duration.ofMillis(batchConfig.getProcessingDelayMs()));
            }
            var attempts =
                    SimulatedFailures.attempt(
                            batch.rows(),
                            batchConfig.getFailureRate(),
                            batchConfig.getMaxAttempts(),
                            settings.retryInitialBackoff(),
                            settings.retryMaxBackoff(),
                            this::backoff);
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
                    this::commitKafka,
                    this::writeUntilAvailable);
            for (OffsetAdvance advance : batch.storedOffsets()) {
                expectedStored.put(
                        new TopicPartition(Topics.ORDERS, advance.partition()), advance.next());
            }
        } catch (FencedException e) {
            span.setStatus(StatusCode.ERROR, e.getMessage());
            LOG.warn(
                    "batch rolled back, nothing stored: {}; re-reading the stored offsets",
                    e.getMessage());
            repositionAll();
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
            loadExpectedStored(records.partitions());
        }
        List<OrderRow> rows = new ArrayList<>(records.count());
        List<DeadLetter> poison = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> kafkaOffsets = new HashMap<>();
        List<OffsetAdvance> storedOffsets = new ArrayList<>();
        long alreadyStored = 0;
        for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<String, byte[]>> partitionRecords = records.records(tp);
            long next = partitionRecords.get(partitionRecords.size() - 1).offset() + 1;
            long expected = exactlyOnce ? expectedStored.get(tp) : -1;
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

    private void loadExpectedStored(Collection<TopicPartition> batchPartitions)
            throws InterruptedException {
        if (expectedStored.keySet().containsAll(batchPartitions)) {
            return;
        }
        // switched to exactly-once since the assignment: expect what is stored now
        Map<Integer, Long> stored =
                untilAvailable(
                        "reading kafka_offsets",
                        () -> writer.storedOffsets(settings.groupId(), Topics.ORDERS));
        for (TopicPartition tp : batchPartitions) {
            expectedStored.putIfAbsent(tp, stored.getOrDefault(tp.partition(), -1L));
        }
    }

    private boolean commitKafka(Map<TopicPartition, OffsetAndMetadata> offsets) {
        try {
            consumer.commitSync(offsets);
            offsets.forEach((tp, offset) -> kafkaCommitted.put(tp, offset.offset()));
            return true;
        } catch (KafkaException e) {
            // CommitFailedException / RebalanceInProgressException: the partitions moved;
            // TimeoutException
            LOG.warn("Kafka offset commit failed: {}", e.toString());
            return false;
        }
    }

    private Written writeUntilAvailable(Supplier<Written> transaction) throws InterruptedException {
        return untilAvailable("writing to PostgreSQL", transaction::get);
    }

    // --- dependencies down: pause, keep the group membership, retry with backoff
    // ----------------------

    private <T> T untilAvailable(String what, Callable<T> work) throws InterruptedException {
        Duration delay = settings.retryInitialBackoff();
        String lastProblem = null;
        try {
            while (true) {
                try {
                    T result = work.call();
                    stalled.moving();
                    return result;
                } catch (FencedException | InterruptedException e) {
                    throw e;
                } catch (Exception e) {
                    if (stopping) {
                        throw new StopRequested();
                    }
                    String problem = e.getCause() != null ? e.getCause().toString() : e.toString();
                    stalled.retrying(what + " failed: " + problem);
                    if (!problem.equals(lastProblem)) {
                        LOG.warn(
                                "{} failed ({}); partitions paused, retrying with backoff",
                                what,
                                problem);
                        lastProblem = problem;
                    }
                    if (!waitingForDependency) {
                        waitingForDependency = true;
                        consumer.pause(consumer.assignment());
                    }
                    // poll, not sleep: the group sees this consumer alive; paused partitions return
                    // nothing
                    rewind(consumer.poll(delay));
                    delay = min(delay.multipliedBy(2), settings.retryMaxBackoff());
                }
            }
        } finally {
            if (lastProblem != null) {
                waitingForDependency = false;
                Set<TopicPartition> resume = new HashSet<>(consumer.assignment());
                resume.removeAll(pendingSeek);
                consumer.resume(resume);
                LOG.info("{} works again; partitions resumed", what);
            }
        }
    }

    /** Records a poll returned while they should not be processed yet: read them again later. */
    private void rewind(ConsumerRecords<String, byte[]> records) {
        for (TopicPartition tp : records.partitions()) {
            consumer.seek(tp, records.records(tp).get(0).offset());
        }
    }

    private void backoff(Duration delay) throws InterruptedException {
        long until = System.nanoTime() + delay.toNanos();
        while (System.nanoTime() < until) {
            if (stopping) {
                throw new StopRequested();
            }
            Thread.sleep(Math.max(1, Math.min(100, (until - System.nanoTime()) / 1_000_000)));
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    // --- partition assignment
    // ------------------------------------------------------------------------

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
        // positioned by the loop before the next poll (it may need PostgreSQL, which may be down)
        consumer.pause(assigned);
        pendingSeek.addAll(assigned);
        LOG.info("assigned {}", assigned);
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
        forget(revoked);
        if (!revoked.isEmpty()) {
            LOG.info("revoked {}", revoked);
        }
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
        forget(lost);
        LOG.warn("lost {} (session expired): a batch for them would be fenced", lost);
    }

    private void forget(Collection<TopicPartition> gone) {
        pendingSeek.removeAll(gone);
        steps.forget(gone);
        gone.forEach(
                tp -> {
                    expectedStored.remove(tp);
                    kafkaCommitted.remove(tp);
                    partitions.remove(tp.partition());
                });
    }

    /**
     * Exactly-once resumes from the offsets stored with the rows (kafka_offsets), not from Kafka's
     * committed offsets, which lag behind when the process died between the database commit and the
     * Kafka commit. (When Kafka's is ahead, the rows before it were written by an at-least-once or
     * at-most-once period, which keeps its offsets in Kafka only; then Kafka's wins.) The other
     * modes start from Kafka's committed offsets.
     */
    private void positionPendingPartitions() throws InterruptedException {
        if (pendingSeek.isEmpty() || waitingForDependency) {
            return;
        }
        Set<TopicPartition> toPosition = new HashSet<>(pendingSeek);
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(toPosition);
        committed.forEach(
                (tp, offset) -> kafkaCommitted.put(tp, offset == null ? -1 : offset.offset()));
        if (config.current().getProcessingMode() == DeliveryMode.EXACTLY_ONCE) {
            Map<Integer, Long> stored =
                    untilAvailable(
                            "reading kafka_offsets",
                            () -> writer.storedOffsets(settings.groupId(), Topics.ORDERS));
            Map<TopicPartition, OffsetAndMetadata> catchUp = new HashMap<>();
            for (TopicPartition tp : toPosition) {
                long storedOffset = stored.getOrDefault(tp.partition(), -1L);
                expectedStored.put(tp, storedOffset);
                OffsetAndMetadata kafkaOffset = committed.get(tp);
                long start =
                        Math.max(storedOffset, kafkaOffset == null ? -1 : kafkaOffset.offset());
                if (start >= 0) {
                    consumer.seek(tp, start);
                } else {
                    consumer.seekToBeginning(
                            List.of(tp)); // a group's first start (auto.offset.reset=none)
                }
                if (storedOffset > (kafkaOffset == null ? -1 : kafkaOffset.offset())) {
                    catchUp.put(tp, new OffsetAndMetadata(storedOffset));
                }
                LOG.info(
                        "{}: stored offset {}, Kafka committed {}, starting at {}",
                        tp,
                        storedOffset,
                        kafkaOffset == null ? "none" : kafkaOffset.offset(),
                        start >= 0 ? start : "earliest");
            }
            if (!catchUp.isEmpty()) {
                // the process died between the database commit and the Kafka commit: bring Kafka's
                // offsets
                // (kept only so that lag is visible) up to the database now, not at the next record
                commitKafka(catchUp);
            }
        } else {
            toPosition.forEach(expectedStored::remove);
            // a group's first start: from the beginning (auto.offset.reset=none never chooses for
            // us);
            // never with an empty list, which seekToBeginning takes as "every assigned partition"
            List<TopicPartition> firstStart =
                    toPosition.stream().filter(tp -> committed.get(tp) == null).toList();
            if (!firstStart.isEmpty()) {
                consumer.seekToBeginning(firstStart);
            }
        }
        pendingSeek.removeAll(toPosition);
        toPosition.retainAll(consumer.assignment());
        consumer.resume(toPosition);
    }

    /** After a fenced batch: forget the expectations and position every partition again. */
    private void repositionAll() {
        expectedStored.clear();
        Set<TopicPartition> assignment = consumer.assignment();
        consumer.pause(assignment);
        pendingSeek.addAll(assignment);
    }

    private void refreshViews(boolean force) {
        long now = System.nanoTime();
        if (!force && now - viewRefreshedAt < 1_000_000_000L) {
            return;
        }
        viewRefreshedAt = now;
        for (TopicPartition tp : consumer.assignment()) {
            consumer.currentLag(tp).ifPresent(lag -> metrics.lag(tp.partition(), lag));
            if (pendingSeek.contains(tp)) {
                continue;
            }
            try {
                long position = consumer.position(tp, Duration.ofMillis(100));
                partitions.put(
                        tp.partition(),
                        new PartitionView(
                                tp.partition(), position, kafkaCommitted.getOrDefault(tp, -1L)));
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                // not known yet; shown next time
            }
        }
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
        stopping = true;
        if (thread != null) {
            thread.join(30_000);
        }
    }
}

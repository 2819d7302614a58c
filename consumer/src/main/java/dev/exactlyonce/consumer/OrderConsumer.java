package dev.exactlyonce.consumer;

import dev.exactlyonce.kafka.GroupProtocol;
import dev.exactlyonce.kafka.KafkaBootstrap;
import dev.exactlyonce.kafka.KafkaConnection;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.server.LoopFailureHalt;
import dev.exactlyonce.server.StalledLoop;
import io.micronaut.context.annotation.Property;
import io.micronaut.context.event.StartupEvent;
import io.micronaut.runtime.event.annotation.EventListener;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.MemberToRemove;
import org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.errors.UnreleasedInstanceIdException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer of topic "orders": once the schema is migrated it creates the {@link KafkaConsumer}
 * and runs the {@link PollLoop} on a thread of its own; on shutdown it stops the loop, closes the
 * consumer and leaves the group.
 *
 * <p>A plain {@link KafkaConsumer} rather than micronaut-kafka's {@code @KafkaListener}: the lesson
 * is exactly when offsets are committed ({@link DeliveryModeSteps}), where the consumer seeks on
 * assignment ({@link PartitionAssignment}), and what happens while PostgreSQL is down ({@link
 * DatabaseOutageBackoff}: pause, keep polling for group membership, retry), and here each of those
 * is one visible line instead of a framework setting.
 *
 * <p>Kafka settings: read_committed (aborted producer transactions are never seen), no auto-commit,
 * up to {@code max-poll-records} per batch. Recovery: static membership ({@code group.instance.id}
 * = pod name) with a short session timeout, so a killed pod restarted under the same name gets its
 * partitions back at once without a rebalance, and a dead one's move after {@code session-timeout}
 * (with the consumer group protocol, {@link GroupProtocol}: the broker's session timeout, and a
 * restarted pod gets them once the broker has expired its old member). Static members send no
 * LeaveGroup on close, so a graceful shutdown (SIGTERM) finishes the current batch, commits, closes
 * and then removes its member explicitly, which hands the partitions over immediately.
 */
@Singleton
public class OrderConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(OrderConsumer.class);

    /** How long to wait before joining again when the group still holds this member's name. */
    static final Duration REJOIN_BACKOFF = Duration.ofSeconds(1);

    /** What GetConsumerStats shows for one assigned partition. */
    record PartitionView(int partition, long position, long kafkaCommitted) {}

    private final ConsumerSettings settings;
    private final SharedConsumerConfig config;
    private final SchemaMigration schema;
    private final DeliveryModeSteps steps;
    private final BatchWriter writer;
    private final StalledLoop stalled;
    private final LoopFailureHalt loopFailure;
    private final ConsumerMetrics metrics;
    private final BatchTracing tracing;
    private final KafkaConnection kafka;
    private final GroupProtocol groupProtocol;
    private final String podName;
    private final StopSignal stopSignal = new StopSignal();

    // owned by the loop thread
    private KafkaConsumer<String, byte[]> consumer;

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
            LoopFailureHalt loopFailure,
            ConsumerMetrics metrics,
            BatchTracing tracing,
            KafkaConnection kafka,
            GroupProtocol groupProtocol,
            @Property(name = "app.pod-name") String podName) {
        this.settings = settings;
        this.config = config;
        this.schema = schema;
        this.steps = steps;
        this.writer = writer;
        this.stalled = stalled;
        this.loopFailure = loopFailure;
        this.metrics = metrics;
        this.tracing = tracing;
        this.kafka = kafka;
        this.groupProtocol = groupProtocol;
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

    /** The assigned partitions' positions (none before the loop has started). */
    public List<PartitionView> partitions() {
        LagReporter reporter = lag;
        return reporter == null ? List.of() : reporter.partitions();
    }

    public String groupId() {
        return settings.groupId();
    }

    private void run() {
        Throwable died = null;
        try {
            awaitSchema();
            while (!consumeUntilStopped()) {
                stopSignal.sleep(REJOIN_BACKOFF);
            }
        } catch (StopSignal.StopRequested | InterruptedException e) {
            LOG.info(
                    "stopped while a dependency was unreachable; the uncommitted batch will be read again");
        } catch (Throwable e) {
            // a bug, an Error, or a crash drill fired in a test (ProcessHalt replaced): stop
            // without committing anything more, and say so in readiness
            died = e;
            crashed = true;
            stalled.retrying("the poll loop stopped: " + e);
            LOG.error("consumer loop stopped, nothing more is committed", e);
        } finally {
            running = false;
            close();
        }
        if (died != null && !stopSignal.requested()) {
            // the process must not go on answering with nothing consumed: its supervisor starts
            // a fresh one, which goes on from the committed offsets (a process that is stopping
            // anyway is left to stop)
            loopFailure.halt("the consumer's poll loop", died);
        }
    }

    /**
     * Joins the group and runs the loop until a stop; false when the group refused this process's
     * member name for now: then the consumer is closed, to be created again.
     *
     * <p>With the consumer group protocol (KIP-848) a static member that did not leave (a process
     * killed, or halted by a crash drill) keeps its {@code group.instance.id} until the broker's
     * {@code group.consumer.session.timeout.ms} expires it; a new process under the same pod name
     * is refused meanwhile with UNRELEASED_INSTANCE_ID, which the client makes fatal for that
     * KafkaConsumer. The classic protocol replaces the old member at once and never refuses.
     */
    private boolean consumeUntilStopped() throws InterruptedException {
        consumer =
                KafkaBootstrap.await(
                        kafka.bootstrapServers(),
                        "orders consumer",
                        this::createKafkaConsumer,
                        stopSignal::requested);
        PollLoop loop = subscribePollLoop(consumer);
        running = true;
        LOG.info(
                "consuming {} as group {} member {} ({} group protocol)",
                Topics.ORDERS,
                settings.groupId(),
                podName,
                groupProtocol.kafkaName());
        try {
            loop.run();
            return true;
        } catch (UnreleasedInstanceIdException e) {
            LOG.warn(
                    "the group still holds member {} of an earlier process (it did not leave; the broker"
                            + " expires it after group.consumer.session.timeout.ms); joining again in {}",
                    podName,
                    REJOIN_BACKOFF);
            return closedToJoinAgain();
        } catch (UnknownMemberIdException e) {
            // consumer group protocol: a member paused past the session (SIGSTOP, a long GC) was
            // removed from the group, and its next offset fetch is refused. Nothing of it can be
            // committed any more (the group fences it); a new member joins and resumes from the
            // committed offsets. Seen in lab chaos, seed 849, which stalled the database leg.
            LOG.warn(
                    "the group no longer knows member {} (its session expired): joining again in {}",
                    podName,
                    REJOIN_BACKOFF);
            return closedToJoinAgain();
        } catch (FencedInstanceIdException e) {
            // classic protocol: the group holds this pod name (group.instance.id) under another
            // member id. Seen in lab chaos (at-most-once, seed 7401) with no other process of that
            // name: after a 23 s SIGSTOP the consumer rejoined, lost its member within a second
            // ("not aware of this member") and its next JoinGroup was refused as fenced. The loop
            // then stopped for good while health said SERVING, and the database leg stored
            // nothing more. A new KafkaConsumer under the same name takes the name back. A second
            // process really running under this name is fenced in turn, and the two take turns
            // (each turn a line in this log).
            LOG.warn(
                    "the group fenced member {} (group.instance.id): an earlier join of this"
                            + " process that outlived a pause, or another process under the same"
                            + " pod name; joining again in {}",
                    podName,
                    REJOIN_BACKOFF);
            return closedToJoinAgain();
        }
    }

    /**
     * Not running until the new consumer joins: closes the refused one; false tells the caller to
     * create a new one after a backoff.
     */
    private boolean closedToJoinAgain() {
        running = false;
        consumer.close(Duration.ZERO);
        consumer = null;
        return false;
    }

    private void awaitSchema() throws InterruptedException {
        while (!schema.isMigrated()) {
            stopSignal.throwIfRequested();
            Thread.sleep(200);
        }
    }

    /** The one place the KafkaConsumer is created. */
    private KafkaConsumer<String, byte[]> createKafkaConsumer() {
        return new KafkaConsumer<>(
                consumerProperties(), new StringDeserializer(), new ByteArrayDeserializer());
    }

    private Properties consumerProperties() {
        Properties p = kafka.properties();
        p.put("group.id", settings.groupId());
        p.put("group.instance.id", podName);
        p.put("client.id", "orders-consumer-" + podName);
        p.put("enable.auto.commit", false);
        p.put("isolation.level", "read_committed");
        // never skip silently: a position below the log start is a retention gap, recorded (see
        // RetentionGaps)
        p.put("auto.offset.reset", "none");
        p.put("max.poll.records", settings.maxPollRecords());
        p.put("session.timeout.ms", (int) settings.sessionTimeout().toMillis());
        p.put("heartbeat.interval.ms", (int) settings.heartbeatInterval().toMillis());
        // with the consumer protocol the two above are dropped: the broker's apply
        return groupProtocol.configure(p);
    }

    /**
     * The loop and its parts around {@code consumer} (all of them run on the loop thread), the
     * consumer subscribed to orders with the parts' rebalance listener.
     */
    private PollLoop subscribePollLoop(KafkaConsumer<String, byte[]> consumer) {
        LagReporter lagReporter = new LagReporter(consumer, metrics);
        ExpectedStoredOffsets expectedStored = new ExpectedStoredOffsets();
        PartitionAssignment assignment =
                new PartitionAssignment(consumer, config, expectedStored, lagReporter, steps);
        DatabaseOutageBackoff outage =
                new DatabaseOutageBackoff(consumer, assignment, settings, stalled, stopSignal);
        RetentionGaps retentionGaps =
                new RetentionGaps(consumer, writer, metrics, outage, settings.groupId());
        lag = lagReporter;
        consumer.subscribe(List.of(Topics.ORDERS), assignment);
        return new PollLoop(
                consumer,
                stopSignal,
                config,
                settings,
                steps,
                writer,
                metrics,
                tracing,
                assignment,
                expectedStored,
                outage,
                retentionGaps,
                lagReporter);
    }

    // --- stop

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

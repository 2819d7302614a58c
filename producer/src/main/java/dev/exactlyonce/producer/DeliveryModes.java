package dev.exactlyonce.producer;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.ProducerConfig;
import dev.exactlyonce.kafka.KafkaBootstrap;
import dev.exactlyonce.kafka.KafkaConnection;
import dev.exactlyonce.kafka.OrderEventSerde;
import dev.exactlyonce.kafka.UnresolvableBootstrapException;
import dev.exactlyonce.semantics.ProducerSemantics;
import io.grpc.Status;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What each delivery mode does on the producer — the one file to read.
 *
 * <ul>
 *   <li><b>at-most-once</b> ({@link FireAndForget}): acks=0, no retries; the call answers as soon
 *       as the record is handed to the client. A broker that never got it means the order is gone.
 *   <li><b>at-least-once</b> ({@link AwaitAcknowledgement}): acks=all, retries, no idempotence; the
 *       call answers after the broker's ack. A retry after a lost ack writes the record twice.
 *   <li><b>exactly-once</b> ({@link Transactional}): idempotent and transactional with this pod's
 *       transactional.id; the call answers after the Kafka transaction holding its records
 *       committed. Concurrent calls share one transaction ({@link GroupCommitter}). With
 *       transactions disabled, exactly-once degrades to an idempotent producer awaiting acks (no
 *       duplicates from retries, but no atomic batches).
 * </ul>
 *
 * The Kafka settings of each mode come from {@link ProducerSemantics}, the same map
 * QueryService.CompareSemantics shows, plus the tuning knobs and time limits below.
 */
public final class DeliveryModes {

    public static final String SENT = "SENT";
    public static final String ACKNOWLEDGED = "ACKNOWLEDGED";
    public static final String COMMITTED = "COMMITTED";

    private DeliveryModes() {}

    /**
     * How the records of one call were delivered; a null entry in {@code records} was not
     * acknowledged.
     */
    public record Delivered(
            DeliveryMode mode,
            boolean transactional,
            String status,
            String batchId,
            List<RecordMetadata> records) {}

    /** One mode's way of sending, around one KafkaProducer. */
    public interface Delivery {

        DeliveryMode mode();

        boolean transactional();

        /** The transactional.id, or "" when not transactional. */
        String transactionalId();

        /** The Kafka producer settings really in use. */
        Map<String, String> kafkaSettings();

        /**
         * Sends the records of one call; completes when the mode's guarantee holds for all of them.
         */
        CompletableFuture<Delivered> send(List<OutgoingOrder> orders);

        /**
         * Begins sending; called once the previous delivery is closed (it may share the
         * transactional.id).
         */
        default void start() {}

        /** New group-commit limits; only the transactional delivery has any. */
        default void tune(int groupCommitMaxRecords, int groupCommitMaxMs) {}

        /**
         * Finishes every send already accepted (no acknowledged order is dropped), then closes the
         * client.
         */
        void close();
    }

    /** Builds the delivery of the configured mode. */
    public static Delivery open(
            ProducerConfig config,
            KafkaConnection kafka,
            String podName,
            Duration sendTimeout,
            int lanes,
            boolean adaptiveGroupCommit,
            ProducerMetrics metrics) {
        DeliveryMode mode = config.getDeliveryMode();
        boolean transactional = mode == DeliveryMode.EXACTLY_ONCE && config.getEnableTransactions();
        String transactionalId = transactional ? transactionalId(podName) : null;
        Map<String, String> settings =
                ProducerClientSettings.of(config, transactionalId, podName, sendTimeout);
        Supplier<Producer<String, OrderEvent>> client = () -> newClient(kafka, settings);
        return switch (mode) {
            case AT_MOST_ONCE ->
                    new FireAndForget(mode, client.get(), settings, sendTimeout, metrics);
            case AT_LEAST_ONCE ->
                    new AwaitAcknowledgement(mode, client.get(), settings, sendTimeout, metrics);
            case EXACTLY_ONCE ->
                    transactional
                            ? new Transactional(
                                    new GroupCommitter(
                                            laneId ->
                                                    newClient(
                                                            kafka,
                                                            ProducerClientSettings.of(
                                                                    config,
                                                                    laneId,
                                                                    podName,
                                                                    sendTimeout)),
                                            transactionalId,
                                            lanes,
                                            adaptiveGroupCommit,
                                            podName,
                                            config,
                                            sendTimeout,
                                            metrics),
                                    settings)
                            : new AwaitAcknowledgement(
                                    mode, client.get(), settings, sendTimeout, metrics);
            default -> throw new IllegalArgumentException("no delivery for mode " + mode);
        };
    }

    /**
     * Stable for the same pod, unique across pods: a restarted pod fences its zombie predecessor.
     */
    public static String transactionalId(String podName) {
        return "order-producer-" + podName;
    }

    /**
     * @throws UnresolvableBootstrapException while no bootstrap name resolves (retriable: a
     *     committer lane tries again, {@link OrderProducer} waits for the first delivery)
     */
    private static Producer<String, OrderEvent> newClient(
            KafkaConnection kafka, Map<String, String> settings) {
        return KafkaBootstrap.create(
                kafka.bootstrapServers(),
                () ->
                        new KafkaProducer<>(
                                kafka.with(new HashMap<>(settings)),
                                new StringSerializer(),
                                new OrderEventSerde.OrderEventSerializer()));
    }

    /** The gRPC status of a failed send: UNAVAILABLE when Kafka could not be reached in time. */
    static Status statusOf(Throwable failure) {
        return Status.UNAVAILABLE.withDescription(
                (isRetriable(failure)
                                ? "Kafka unreachable or too slow: "
                                : "Kafka refused the record: ")
                        + failure.getMessage());
    }

    /** Timeouts and lost connections: worth retrying once Kafka is back. */
    static boolean isRetriable(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof RetriableException) {
                return true;
            }
        }
        return false;
    }

    // ---- at-most-once
    // -------------------------------------------------------------------------------

    /** acks=0: the client does not wait for the broker, and neither does the call. */
    static final class FireAndForget extends SingleClientDelivery {

        FireAndForget(
                DeliveryMode mode,
                Producer<String, OrderEvent> client,
                Map<String, String> settings,
                Duration sendTimeout,
                ProducerMetrics metrics) {
            super(mode, client, settings, sendTimeout, metrics);
        }

        @Override
        public CompletableFuture<Delivered> send(List<OutgoingOrder> orders) {
            try {
                for (OutgoingOrder order : orders) {
                    client.send(
                            order.toRecord(mode, "")); // no callback: nobody waits for the outcome
                    metrics.sent(mode, 1);
                    order.succeeded(-1, -1);
                }
            } catch (RuntimeException e) { // e.g. no metadata within max.block.ms
                orders.forEach(order -> order.failed(e));
                return CompletableFuture.failedFuture(statusOf(e).asRuntimeException());
            }
            return CompletableFuture.completedFuture(
                    new Delivered(
                            mode,
                            false,
                            SENT,
                            "",
                            Arrays.asList(new RecordMetadata[orders.size()])));
        }
    }

    // ---- at-least-once (and exactly-once without transactions: idempotent)
    // ---------------------------

    /** acks=all: the call completes when the broker acknowledged every record of it. */
    static final class AwaitAcknowledgement extends SingleClientDelivery {

        AwaitAcknowledgement(
                DeliveryMode mode,
                Producer<String, OrderEvent> client,
                Map<String, String> settings,
                Duration sendTimeout,
                ProducerMetrics metrics) {
            super(mode, client, settings, sendTimeout, metrics);
        }

        @Override
        public CompletableFuture<Delivered> send(List<OutgoingOrder> orders) {
            CompletableFuture<Delivered> result = new CompletableFuture<>();
            RecordMetadata[] acknowledged = new RecordMetadata[orders.size()];
            AtomicInteger pending = new AtomicInteger(orders.size());
            for (int i = 0; i < orders.size(); i++) {
                int index = i;
                OutgoingOrder order = orders.get(i);
                try {
                    client.send(
                            order.toRecord(mode, ""),
                            (metadata, error) -> {
                                // runs on the client's I/O thread: hand the reply to our own thread
                                // at once
                                if (error != null) {
                                    order.failed(error);
                                    replies.execute(
                                            () ->
                                                    result.completeExceptionally(
                                                            statusOf(error).asRuntimeException()));
                                    return;
                                }
                                order.succeeded(metadata.partition(), metadata.offset());
                                acknowledged[index] = metadata;
                                if (pending.decrementAndGet() == 0) {
                                    replies.execute(
                                            () ->
                                                    result.complete(
                                                            new Delivered(
                                                                    mode,
                                                                    false,
                                                                    ACKNOWLEDGED,
                                                                    "",
                                                                    Arrays.asList(acknowledged))));
                                }
                            });
                    metrics.sent(mode, 1);
                } catch (RuntimeException e) {
                    order.failed(e);
                    result.completeExceptionally(statusOf(e).asRuntimeException());
                    break;
                }
            }
            return result;
        }
    }

    /** The non-transactional modes: one thread-safe KafkaProducer shared by all calls. */
    abstract static class SingleClientDelivery implements Delivery {

        final DeliveryMode mode;
        final Producer<String, OrderEvent> client;
        final Map<String, String> settings;
        final Duration sendTimeout;
        final ProducerMetrics metrics;

        /** Replies leave the Kafka I/O thread at once, so that it keeps sending. */
        final ExecutorService replies;

        SingleClientDelivery(
                DeliveryMode mode,
                Producer<String, OrderEvent> client,
                Map<String, String> settings,
                Duration sendTimeout,
                ProducerMetrics metrics) {
            this.mode = mode;
            this.client = client;
            this.settings = settings;
            this.sendTimeout = sendTimeout;
            this.metrics = metrics;
            this.replies =
                    Executors.newSingleThreadExecutor(
                            DaemonThreads.named("producer-replies-" + mode.name().toLowerCase()));
        }

        @Override
        public DeliveryMode mode() {
            return mode;
        }

        @Override
        public boolean transactional() {
            return false;
        }

        @Override
        public String transactionalId() {
            return "";
        }

        @Override
        public Map<String, String> kafkaSettings() {
            return settings;
        }

        @Override
        public void close() {
            client.close(
                    sendTimeout); // flushes: every accepted record is sent and its callback runs
            replies.shutdown();
            try {
                replies.awaitTermination(sendTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- exactly-once
    // -------------------------------------------------------------------------------

    /** Kafka transactions: a call's records are committed together, with other calls' records. */
    static final class Transactional implements Delivery {

        private final GroupCommitter committer;
        private final Map<String, String> settings;

        Transactional(GroupCommitter committer, Map<String, String> settings) {
            this.committer = committer;
            this.settings = settings;
        }

        @Override
        public DeliveryMode mode() {
            return DeliveryMode.EXACTLY_ONCE;
        }

        @Override
        public boolean transactional() {
            return true;
        }

        @Override
        public String transactionalId() {
            return committer.transactionalId();
        }

        @Override
        public Map<String, String> kafkaSettings() {
            return settings;
        }

        @Override
        public CompletableFuture<Delivered> send(List<OutgoingOrder> orders) {
            return committer.submit(orders);
        }

        @Override
        public void start() {
            committer.start();
        }

        @Override
        public void tune(int groupCommitMaxRecords, int groupCommitMaxMs) {
            committer.tune(groupCommitMaxRecords, groupCommitMaxMs);
        }

        @Override
        public void close() {
            committer.close();
        }
    }
}

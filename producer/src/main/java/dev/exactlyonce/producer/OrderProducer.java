package dev.exactlyonce.producer;

import dev.exactlyonce.grpc.v1.ProducerConfig;
import dev.exactlyonce.grpc.v1.UpdateProducerConfigRequest;
import dev.exactlyonce.kafka.KafkaBootstrap;
import dev.exactlyonce.kafka.KafkaConnection;
import dev.exactlyonce.kafka.SharedSettings;
import dev.exactlyonce.kafka.UnresolvableBootstrapException;
import dev.exactlyonce.producer.DeliveryModes.Delivered;
import dev.exactlyonce.producer.DeliveryModes.Delivery;
import dev.exactlyonce.server.KafkaDependency;
import io.grpc.Status;
import io.micronaut.context.annotation.Property;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replica's current {@link Delivery} and how it changes. Settings live in exactly-once.settings
 * (key "producer"): every replica follows the topic and switches when a new value arrives, its own
 * UpdateProducerConfig included.
 *
 * <p>A switch builds the new delivery, swaps it in under the write lock (so no send is half-way
 * into the old one), then closes the old one, which finishes every send it accepted — no
 * acknowledged order is lost — and only then starts the new one: a new transactional producer with
 * the same transactional.id would fence the old one before it committed.
 */
@Singleton
public class OrderProducer {

    private static final Logger LOG = LoggerFactory.getLogger(OrderProducer.class);
    static final String SETTINGS_KEY = "producer";
    private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(20);

    private final ProducerSettings properties;
    private final String podName;
    private final KafkaConnection kafka;
    private final ProducerMetrics metrics;
    private final KafkaDependency kafkaDependency;
    private final ReentrantReadWriteLock switchLock = new ReentrantReadWriteLock();
    private volatile Delivery current;
    private volatile ProducerConfig effective;
    private SharedSettings<ProducerConfig> settings;
    private boolean following;
    private volatile boolean closed;

    /** Why there is no delivery yet (null once there is one). */
    private volatile String notStarted = "starting";

    private Thread firstDelivery;

    public OrderProducer(
            ProducerSettings properties,
            @Property(name = "app.pod-name") String podName,
            KafkaConnection kafka,
            ProducerMetrics metrics,
            KafkaDependency kafkaDependency) {
        this.properties = properties;
        this.podName = podName;
        this.kafka = kafka;
        this.metrics = metrics;
        this.kafkaDependency = kafkaDependency;
    }

    @PostConstruct
    void start() {
        try {
            kafkaDependency
                    .check(); // creates the topics on a fresh cluster, exactly-once.settings among
            // them
        } catch (Exception e) {
            LOG.warn(
                    "Kafka at {} not reachable at start ({}); starting with the default settings",
                    kafka.bootstrapServers(),
                    e.toString());
        }
        settings =
                new SharedSettings<>(
                        kafka,
                        SETTINGS_KEY,
                        defaults(),
                        ProducerConfig.parser(),
                        ProducerConfigRules::checkStored,
                        this::apply);
        settings.start(
                Duration.ofSeconds(
                        5)); // Kafka down: start with defaults, apply the stored value later
        synchronized (this) {
            following = true; // from now on each new value switches; older ones were only read
            switchTo(settings.current());
        }
    }

    /** The defaults of a fresh cluster, from app.producer.* (Helm values / env). */
    ProducerConfig defaults() {
        return ProducerConfig.newBuilder()
                .setDeliveryMode(properties.deliveryMode())
                .setEnableTransactions(properties.enableTransactions())
                .setGroupCommitMaxRecords(properties.groupCommitMaxRecords())
                .setGroupCommitMaxMs(properties.groupCommitMaxMs())
                .setLingerMs(properties.lingerMs())
                .setBatchSize(properties.batchSize())
                .build();
    }

    /** Called by the settings reader for every value of key "producer". */
    private synchronized void apply(ProducerConfig stored) {
        if (following) {
            switchTo(stored);
        }
    }

    private void switchTo(ProducerConfig next) {
        ProducerConfig before = effective;
        if (current != null && sameClient(before, next)) {
            current.tune(next.getGroupCommitMaxRecords(), next.getGroupCommitMaxMs());
            effective = next;
            LOG.info(
                    "producer settings: group commit {} records / {} ms",
                    next.getGroupCommitMaxRecords(),
                    next.getGroupCommitMaxMs());
            return;
        }
        Delivery replacement;
        try {
            replacement = open(next);
        } catch (UnresolvableBootstrapException e) {
            if (current == null) {
                notStarted = e.getMessage();
                awaitFirstDelivery();
            } else {
                LOG.error(
                        "cannot build a producer for {} ({}); keeping the current one",
                        next,
                        e.getMessage());
            }
            return;
        } catch (RuntimeException e) {
            LOG.error("cannot build a producer for {}; keeping the current one", next, e);
            return;
        }
        install(next, replacement);
    }

    private Delivery open(ProducerConfig config) {
        return DeliveryModes.open(
                config,
                kafka,
                podName,
                properties.sendTimeout(),
                properties.transactionLanes(),
                properties.groupCommitAdaptive(),
                metrics);
    }

    /**
     * The first delivery could not be built, no Kafka bootstrap name resolves yet (a mode with one
     * shared producer constructs it at once; the transactional one's committer lanes construct and
     * retry their own): build it when one does, on a thread of its own, so that the service starts
     * and reports not ready meanwhile.
     */
    private void awaitFirstDelivery() {
        if (firstDelivery != null) {
            return;
        }
        firstDelivery =
                new Thread(
                        () -> {
                            try {
                                KafkaBootstrap.await(
                                        kafka.bootstrapServers(),
                                        "order producer " + podName,
                                        this::openFirstDelivery,
                                        () -> closed);
                            } catch (InterruptedException e) {
                                LOG.info("stopped before a producer could be built");
                            } catch (RuntimeException e) {
                                LOG.error("cannot build a producer", e);
                            }
                        },
                        "producer-first-delivery");
        firstDelivery.setDaemon(true);
        firstDelivery.start();
    }

    /**
     * @throws UnresolvableBootstrapException while no bootstrap name resolves
     */
    private synchronized boolean openFirstDelivery() {
        if (current == null && !closed) {
            ProducerConfig next = settings.current();
            install(next, open(next));
        }
        return true;
    }

    private void install(ProducerConfig next, Delivery replacement) {
        Delivery previous;
        switchLock.writeLock().lock();
        try {
            previous = current;
            current = replacement;
            effective = next;
        } finally {
            switchLock.writeLock().unlock();
        }
        if (previous != null) {
            previous.close();
        }
        replacement.start();
        notStarted = null;
        metrics.activeMode(replacement.mode());
        LOG.info(
                "producer {} now sends {}{} (transactional.id '{}')",
                podName,
                replacement.mode(),
                replacement.transactional() ? " with transactions" : "",
                replacement.transactionalId());
    }

    /**
     * Group-commit limits apply to the running producer; everything else needs a new KafkaProducer.
     */
    private static boolean sameClient(ProducerConfig a, ProducerConfig b) {
        return a != null
                && a.getDeliveryMode() == b.getDeliveryMode()
                && a.getEnableTransactions() == b.getEnableTransactions()
                && a.getLingerMs() == b.getLingerMs()
                && a.getBatchSize() == b.getBatchSize();
    }

    /**
     * Sends one call's orders with the current mode.
     *
     * @param atomic all orders in one transaction (PlaceOrderBatch): FAILED_PRECONDITION when not
     *     transactional
     */
    public CompletableFuture<Delivered> send(List<OutgoingOrder> orders, boolean atomic) {
        switchLock.readLock().lock();
        try {
            Delivery delivery = current;
            if (delivery == null) {
                return CompletableFuture.failedFuture(
                        Status.UNAVAILABLE
                                .withDescription("the producer is not started: " + notStarted)
                                .asRuntimeException());
            }
            if (atomic && !delivery.transactional()) {
                return CompletableFuture.failedFuture(
                        Status.FAILED_PRECONDITION
                                .withDescription(
                                        "an atomic batch needs Kafka transactions, but the producer runs "
                                                + delivery.mode()
                                                + (effective.getEnableTransactions()
                                                        ? ""
                                                        : " with enable_transactions=false")
                                                + "; set delivery_mode EXACTLY_ONCE and enable_transactions true")
                                .asRuntimeException());
            }
            return delivery.send(orders);
        } finally {
            switchLock.readLock().unlock();
        }
    }

    /** The effective settings, this replica, and the Kafka settings really in use. */
    public ProducerConfig config() {
        Delivery delivery = current;
        ProducerConfig.Builder config = effective.toBuilder().setPodName(podName);
        if (delivery != null) {
            config.setTransactionalId(delivery.transactionalId())
                    .putAllKafkaSettings(delivery.kafkaSettings());
        }
        return config.build();
    }

    /**
     * Stores the change in exactly-once.settings for every replica; returns once this replica
     * applied it.
     */
    public ProducerConfig update(UpdateProducerConfigRequest request) {
        ProducerConfig merged = ProducerConfigRules.merge(settings.current(), request);
        try {
            settings.publish(merged, PUBLISH_TIMEOUT);
        } catch (TimeoutException | IllegalStateException e) {
            throw Status.UNAVAILABLE
                    .withDescription(
                            "could not store the setting in exactly-once.settings: "
                                    + e.getMessage())
                    .asRuntimeException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
        }
        return config();
    }

    public String podName() {
        return podName;
    }

    @PreDestroy
    void close() {
        closed = true;
        if (settings != null) {
            settings.close();
        }
        Delivery delivery = current;
        if (delivery != null) {
            delivery.close();
        }
    }
}

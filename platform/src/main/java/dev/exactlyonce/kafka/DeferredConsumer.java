package dev.exactlyonce.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.consumer.SubscriptionPattern;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Consumer} for a framework that constructs its consumer at start-up and then polls it on
 * its own thread (micronaut-kafka's {@code @KafkaListener}): when no bootstrap name resolves yet
 * ({@link KafkaBootstrap}), the real consumer is constructed by a later {@link #poll} instead of
 * failing the start-up.
 *
 * <p>Until then it behaves like a consumer that has no partitions yet: a subscription or assignment
 * is recorded (and handed to the real consumer when it exists), {@link #poll} waits for its timeout
 * and returns no records, {@link #wakeup} and {@link #close} work. Each poll tries to construct the
 * real consumer, at most every {@value KafkaBootstrap#FIRST_RETRY_MS} ms at first and every {@value
 * KafkaBootstrap#MAX_RETRY_MS} ms later. Any other call needs the real consumer: it constructs it,
 * or throws the retriable {@link UnresolvableBootstrapException}.
 */
public final class DeferredConsumer<K, V> implements Consumer<K, V> {

    private static final Logger LOG = LoggerFactory.getLogger(DeferredConsumer.class);

    private final String bootstrapServers;
    private final String clientId;
    private final Supplier<Consumer<K, V>> construct;

    private volatile Consumer<K, V> delegate;
    private java.util.function.Consumer<Consumer<K, V>> subscribeLater;
    private Set<String> subscribedTopics = Set.of();
    private Set<TopicPartition> assigned = Set.of();
    private volatile boolean wakeupRequested;
    private volatile boolean closed;
    private long nextAttempt;
    private long retryMs = KafkaBootstrap.FIRST_RETRY_MS;
    private String reported;

    private DeferredConsumer(
            String bootstrapServers, String clientId, Supplier<Consumer<K, V>> construct) {
        this.bootstrapServers = bootstrapServers;
        this.clientId = clientId;
        this.construct = construct;
    }

    /**
     * The real consumer now when a bootstrap name resolves, else one that constructs it later.
     *
     * @param clientId for the log
     */
    public static <K, V> Consumer<K, V> of(
            String bootstrapServers, String clientId, Supplier<Consumer<K, V>> construct) {
        Optional<String> problem = KafkaBootstrap.problem(bootstrapServers);
        if (problem.isEmpty()) {
            try {
                return KafkaBootstrap.create(bootstrapServers, construct);
            } catch (UnresolvableBootstrapException e) {
                // resolved a moment ago, not any more: wait like the others
            }
        }
        LOG.warn(
                "consumer {}: {}; it is constructed once one does, polls return nothing until then",
                clientId,
                problem.orElse("no Kafka bootstrap name resolves"));
        DeferredConsumer<K, V> deferred =
                new DeferredConsumer<>(bootstrapServers, clientId, construct);
        deferred.reported = problem.orElse(null);
        return deferred;
    }

    /**
     * The real consumer if it could be constructed now (at most once per backoff step), or null.
     */
    private Consumer<K, V> tryConstruct() {
        if (delegate != null || System.nanoTime() < nextAttempt) {
            return delegate;
        }
        // the next attempt waits, whatever this one throws
        nextAttempt = System.nanoTime() + retryMs * 1_000_000;
        retryMs = Math.min(retryMs * 2, KafkaBootstrap.MAX_RETRY_MS);
        try {
            Consumer<K, V> created = KafkaBootstrap.create(bootstrapServers, construct);
            if (subscribeLater != null) {
                try {
                    subscribeLater.accept(created);
                } catch (RuntimeException e) {
                    created.close(Duration.ZERO);
                    throw e;
                }
            }
            delegate = created;
            LOG.info("consumer {}: a Kafka bootstrap name resolves now, consuming", clientId);
        } catch (UnresolvableBootstrapException e) {
            if (!e.getMessage().equals(reported)) {
                LOG.warn("consumer {}: {}; retrying", clientId, e.getMessage());
                reported = e.getMessage();
            }
        }
        return delegate;
    }

    /** The real consumer, constructed now if need be. */
    private Consumer<K, V> real() {
        ensureOpen();
        Consumer<K, V> consumer = delegate;
        if (consumer == null) {
            nextAttempt = 0;
            consumer = tryConstruct();
            if (consumer == null) {
                throw new UnresolvableBootstrapException(
                        KafkaBootstrap.problem(bootstrapServers)
                                .orElse("no Kafka bootstrap name resolved yet"));
            }
        }
        return consumer;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("This consumer has already been closed.");
        }
    }

    // --- what works before the real consumer exists

    @Override
    public ConsumerRecords<K, V> poll(Duration timeout) {
        ensureOpen();
        long deadline = System.nanoTime() + timeout.toNanos();
        Consumer<K, V> consumer = tryConstruct();
        if (consumer != null) {
            wakeUpIfRequested();
            return consumer.poll(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        try {
            while (!wakeupRequested && System.nanoTime() < deadline) {
                Thread.sleep(
                        Math.max(1, Math.min(100, (deadline - System.nanoTime()) / 1_000_000)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new org.apache.kafka.common.errors.InterruptException(e);
        }
        wakeUpIfRequested();
        return ConsumerRecords.empty();
    }

    /** A wakeup() that came while there was no real consumer to pass it to. */
    private void wakeUpIfRequested() {
        if (wakeupRequested) {
            wakeupRequested = false;
            throw new WakeupException();
        }
    }

    @Override
    public void subscribe(Collection<String> topics) {
        subscribe(topics, (ConsumerRebalanceListener) null);
    }

    @Override
    public void subscribe(Collection<String> topics, ConsumerRebalanceListener listener) {
        Consumer<K, V> consumer = delegate;
        if (consumer != null) {
            consumer.subscribe(topics, listener);
            return;
        }
        ensureOpen();
        List<String> copy = List.copyOf(topics);
        later(
                c -> {
                    if (listener == null) {
                        c.subscribe(copy);
                    } else {
                        c.subscribe(copy, listener);
                    }
                },
                Set.copyOf(copy),
                Set.of());
    }

    @Override
    public void subscribe(Pattern pattern) {
        subscribe(pattern, null);
    }

    @Override
    public void subscribe(Pattern pattern, ConsumerRebalanceListener listener) {
        Consumer<K, V> consumer = delegate;
        if (consumer != null) {
            consumer.subscribe(pattern, listener);
            return;
        }
        ensureOpen();
        later(
                c -> {
                    if (listener == null) {
                        c.subscribe(pattern);
                    } else {
                        c.subscribe(pattern, listener);
                    }
                },
                Set.of(),
                Set.of());
    }

    @Override
    public void subscribe(SubscriptionPattern pattern) {
        subscribe(pattern, null);
    }

    @Override
    public void subscribe(SubscriptionPattern pattern, ConsumerRebalanceListener listener) {
        Consumer<K, V> consumer = delegate;
        if (consumer != null) {
            consumer.subscribe(pattern, listener);
            return;
        }
        ensureOpen();
        later(
                c -> {
                    if (listener == null) {
                        c.subscribe(pattern);
                    } else {
                        c.subscribe(pattern, listener);
                    }
                },
                Set.of(),
                Set.of());
    }

    @Override
    public void assign(Collection<TopicPartition> partitions) {
        Consumer<K, V> consumer = delegate;
        if (consumer != null) {
            consumer.assign(partitions);
            return;
        }
        ensureOpen();
        List<TopicPartition> copy = List.copyOf(partitions);
        later(c -> c.assign(copy), Set.of(), Set.copyOf(copy));
    }

    @Override
    public void unsubscribe() {
        Consumer<K, V> consumer = delegate;
        if (consumer != null) {
            consumer.unsubscribe();
            return;
        }
        ensureOpen();
        later(null, Set.of(), Set.of());
    }

    private void later(
            java.util.function.Consumer<Consumer<K, V>> subscribe,
            Set<String> topics,
            Set<TopicPartition> partitions) {
        subscribeLater = subscribe;
        subscribedTopics = topics;
        assigned = partitions;
    }

    @Override
    public Set<String> subscription() {
        Consumer<K, V> consumer = delegate;
        return consumer != null ? consumer.subscription() : new HashSet<>(subscribedTopics);
    }

    @Override
    public Set<TopicPartition> assignment() {
        Consumer<K, V> consumer = delegate;
        return consumer != null ? consumer.assignment() : new HashSet<>(assigned);
    }

    @Override
    public Set<TopicPartition> paused() {
        Consumer<K, V> consumer = delegate;
        return consumer != null ? consumer.paused() : new HashSet<>();
    }

    @Override
    public void pause(Collection<TopicPartition> partitions) {
        if (delegate != null || !partitions.isEmpty()) {
            real().pause(partitions);
        }
    }

    @Override
    public void resume(Collection<TopicPartition> partitions) {
        if (delegate != null || !partitions.isEmpty()) {
            real().resume(partitions);
        }
    }

    @Override
    public Map<MetricName, ? extends Metric> metrics() {
        Consumer<K, V> consumer = delegate;
        return consumer != null ? consumer.metrics() : Map.of();
    }

    @Override
    public void wakeup() {
        Consumer<K, V> consumer = delegate;
        if (consumer != null) {
            consumer.wakeup();
        } else {
            wakeupRequested = true; // also seen by the first poll of the real consumer
        }
    }

    @Override
    public void close() {
        closed = true;
        Consumer<K, V> consumer = delegate;
        if (consumer != null) {
            consumer.close();
        }
    }

    @Override
    public void close(Duration timeout) {
        close(CloseOptions.timeout(timeout));
    }

    @Override
    public void close(CloseOptions option) {
        closed = true;
        Consumer<K, V> consumer = delegate;
        if (consumer != null) {
            consumer.close(option);
        }
    }

    // --- everything else needs the real consumer

    @Override
    public void commitSync() {
        real().commitSync();
    }

    @Override
    public void commitSync(Duration timeout) {
        real().commitSync(timeout);
    }

    @Override
    public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
        real().commitSync(offsets);
    }

    @Override
    public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
        real().commitSync(offsets, timeout);
    }

    @Override
    public void commitAsync() {
        real().commitAsync();
    }

    @Override
    public void commitAsync(OffsetCommitCallback callback) {
        real().commitAsync(callback);
    }

    @Override
    public void commitAsync(
            Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
        real().commitAsync(offsets, callback);
    }

    @Override
    public void registerMetricForSubscription(KafkaMetric metric) {
        real().registerMetricForSubscription(metric);
    }

    @Override
    public void unregisterMetricFromSubscription(KafkaMetric metric) {
        real().unregisterMetricFromSubscription(metric);
    }

    @Override
    public void seek(TopicPartition partition, long offset) {
        real().seek(partition, offset);
    }

    @Override
    public void seek(TopicPartition partition, OffsetAndMetadata offsetAndMetadata) {
        real().seek(partition, offsetAndMetadata);
    }

    @Override
    public void seekToBeginning(Collection<TopicPartition> partitions) {
        real().seekToBeginning(partitions);
    }

    @Override
    public void seekToEnd(Collection<TopicPartition> partitions) {
        real().seekToEnd(partitions);
    }

    @Override
    public long position(TopicPartition partition) {
        return real().position(partition);
    }

    @Override
    public long position(TopicPartition partition, Duration timeout) {
        return real().position(partition, timeout);
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions) {
        return real().committed(partitions);
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> committed(
            Set<TopicPartition> partitions, Duration timeout) {
        return real().committed(partitions, timeout);
    }

    @Override
    public Uuid clientInstanceId(Duration timeout) {
        return real().clientInstanceId(timeout);
    }

    @Override
    public List<PartitionInfo> partitionsFor(String topic) {
        return real().partitionsFor(topic);
    }

    @Override
    public List<PartitionInfo> partitionsFor(String topic, Duration timeout) {
        return real().partitionsFor(topic, timeout);
    }

    @Override
    public Map<String, List<PartitionInfo>> listTopics() {
        return real().listTopics();
    }

    @Override
    public Map<String, List<PartitionInfo>> listTopics(Duration timeout) {
        return real().listTopics(timeout);
    }

    @Override
    public Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(
            Map<TopicPartition, Long> timestampsToSearch) {
        return real().offsetsForTimes(timestampsToSearch);
    }

    @Override
    public Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(
            Map<TopicPartition, Long> timestampsToSearch, Duration timeout) {
        return real().offsetsForTimes(timestampsToSearch, timeout);
    }

    @Override
    public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions) {
        return real().beginningOffsets(partitions);
    }

    @Override
    public Map<TopicPartition, Long> beginningOffsets(
            Collection<TopicPartition> partitions, Duration timeout) {
        return real().beginningOffsets(partitions, timeout);
    }

    @Override
    public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
        return real().endOffsets(partitions);
    }

    @Override
    public Map<TopicPartition, Long> endOffsets(
            Collection<TopicPartition> partitions, Duration timeout) {
        return real().endOffsets(partitions, timeout);
    }

    @Override
    public OptionalLong currentLag(TopicPartition topicPartition) {
        return real().currentLag(topicPartition);
    }

    @Override
    public ConsumerGroupMetadata groupMetadata() {
        return real().groupMetadata();
    }

    @Override
    public void enforceRebalance() {
        real().enforceRebalance();
    }

    @Override
    public void enforceRebalance(String reason) {
        real().enforceRebalance(reason);
    }
}

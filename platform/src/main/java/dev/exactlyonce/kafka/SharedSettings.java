package dev.exactlyonce.kafka;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One runtime setting shared by every replica, kept in the compacted topic {@link Topics#SETTINGS}
 * (the pattern Kafka Connect uses for its config topic): {@link #publish} writes a new value, and
 * every replica's reader thread applies the newest value for the key. A restarted pod reads the
 * topic from the beginning and so starts with the newest value, not with the defaults.
 *
 * @param <T> the protobuf message that holds the setting
 */
public final class SharedSettings<T extends Message> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SharedSettings.class);
    private static final TopicPartition PARTITION = new TopicPartition(Topics.SETTINGS, 0);

    private final String key;
    private final Parser<T> parser;
    private final Consumer<T> onChange;
    private final Consumer<T> validator;
    private final AtomicReference<T> current;
    private final String bootstrapServers;
    private final Properties producerSettings;
    private final Properties readerSettings;
    // created once a bootstrap name resolves (KafkaBootstrap): the writer by the first publish, the
    // reader by the reader thread, which waits for it
    private KafkaProducer<String, byte[]> producer; // guarded by this
    private volatile KafkaConsumer<String, byte[]> reader;
    private final Thread readerThread;
    private final Object seen = new Object();
    private volatile long nextOffsetSeen = -1;
    private volatile long initialEnd = -1;
    private volatile boolean closed;

    public SharedSettings(
            KafkaConnection kafka, String key, T defaults, Parser<T> parser, Consumer<T> onChange) {
        this(kafka, key, defaults, parser, value -> {}, onChange);
    }

    /**
     * @param validator checks a value read from the topic again (anyone who can write the topic can
     *     write a value): it throws IllegalArgumentException for a value that must not apply, which
     *     is then ignored with a log line, the current value kept, and the reader goes on
     */
    public SharedSettings(
            KafkaConnection kafka,
            String key,
            T defaults,
            Parser<T> parser,
            Consumer<T> validator,
            Consumer<T> onChange) {
        this.key = key;
        this.parser = parser;
        this.validator = validator;
        this.onChange = onChange;
        this.current = new AtomicReference<>(defaults);
        Properties p = kafka.properties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "settings-" + key + "-writer");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        this.producerSettings = p;
        Properties c = kafka.properties();
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "settings-" + key + "-reader");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.readerSettings = c;
        this.bootstrapServers = kafka.bootstrapServers();
        this.readerThread = new Thread(this::follow, "settings-" + key);
        this.readerThread.setDaemon(true);
    }

    /**
     * Starts following the topic; returns once the newest stored value (if any) is applied, or on
     * timeout (Kafka unreachable, or no bootstrap name resolves yet: the reader goes on waiting for
     * it, and applies the stored value when it can).
     */
    public SharedSettings<T> start(Duration initialReadTimeout) {
        readerThread.start();
        try {
            if (!awaitCaughtUp(initialReadTimeout)) {
                LOG.warn(
                        "settings '{}': topic {} not readable within {}; {} holds the defaults until it is",
                        key,
                        Topics.SETTINGS,
                        initialReadTimeout,
                        key);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return this;
    }

    /** The newest value read, or the defaults while {@link #caughtUp()} is false. */
    public T current() {
        return current.get();
    }

    /**
     * True once this replica has read the topic up to where it ended when the reader first reached
     * it: {@link #current()} is then the newest stored value, no longer the defaults standing in
     * for a value not read yet.
     */
    public boolean caughtUp() {
        long end = initialEnd;
        return end >= 0 && nextOffsetSeen >= end;
    }

    /** Waits at most {@code timeout} for {@link #caughtUp()}; returns it. */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        if (caughtUp()) {
            return true; // for good: the services ask once per poll batch
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (seen) {
            while (!caughtUp()) {
                long waitMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (waitMs <= 0) {
                    return false;
                }
                seen.wait(Math.min(waitMs, 200));
            }
            return true;
        }
    }

    /**
     * Writes a new value durably (acks=all) and waits until this replica's reader applied it, so
     * that the caller reads its own write.
     *
     * @throws IllegalStateException when the value could not be written (Kafka refused it, or no
     *     bootstrap name resolves yet)
     */
    public T publish(T value, Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        RecordMetadata written;
        try {
            written =
                    producer()
                            .send(new ProducerRecord<>(Topics.SETTINGS, key, value.toByteArray()))
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(
                    "could not write setting " + key + ": " + e.getCause().getMessage(),
                    e.getCause());
        } catch (UnresolvableBootstrapException e) {
            throw new IllegalStateException(
                    "could not write setting " + key + ": " + e.getMessage(), e);
        }
        if (!awaitSeen(written.offset() + 1, deadline)) {
            throw new TimeoutException(
                    "setting " + key + " written but not read back within " + timeout);
        }
        return current.get();
    }

    /**
     * The writer, created on first use.
     *
     * @throws UnresolvableBootstrapException while no bootstrap name resolves
     */
    private synchronized KafkaProducer<String, byte[]> producer() {
        if (closed) {
            throw new IllegalStateException("settings '" + key + "' are closed");
        }
        if (producer == null) {
            producer =
                    KafkaBootstrap.create(
                            bootstrapServers,
                            () ->
                                    new KafkaProducer<String, byte[]>(
                                            producerSettings,
                                            new StringSerializer(),
                                            new ByteArraySerializer()));
        }
        return producer;
    }

    private boolean awaitSeen(long offset, long deadlineNanos) throws InterruptedException {
        synchronized (seen) {
            while (nextOffsetSeen < offset) {
                long waitMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
                if (waitMs <= 0) {
                    return false;
                }
                seen.wait(Math.min(waitMs, 200));
            }
            return true;
        }
    }

    private void follow() {
        try {
            reader =
                    KafkaBootstrap.await(
                            bootstrapServers,
                            "settings '" + key + "' reader",
                            () ->
                                    new KafkaConsumer<>(
                                            readerSettings,
                                            new StringDeserializer(),
                                            new ByteArrayDeserializer()),
                            () -> closed);
            if (closed) {
                return; // closed while the reader was being created: close() saw no reader to wake
            }
            reader.assign(List.of(PARTITION));
            reader.seekToBeginning(List.of(PARTITION));
            while (!closed) {
                if (initialEnd < 0) {
                    initialEnd = readEndOffset();
                }
                for (ConsumerRecord<String, byte[]> record : reader.poll(Duration.ofMillis(500))) {
                    if (key.equals(record.key()) && record.value() != null) {
                        apply(record);
                    }
                }
                long position;
                try {
                    position = reader.position(PARTITION, Duration.ofSeconds(2));
                } catch (org.apache.kafka.common.errors.TimeoutException e) {
                    // the topic may not exist yet (created after the service started): ask again
                    // rather than let position()'s 60 s default end the reader for good
                    LOG.debug("settings topic not readable yet: {}", e.getMessage());
                    continue;
                }
                synchronized (seen) {
                    nextOffsetSeen = position;
                    seen.notifyAll();
                }
            }
        } catch (InterruptedException e) {
            LOG.debug("settings '{}' closed before Kafka could be resolved", key);
        } catch (WakeupException e) {
            if (!closed) {
                throw e;
            }
        } catch (RuntimeException e) {
            LOG.error("settings reader for '{}' stopped: {}", key, e.toString());
        } finally {
            if (reader != null) {
                reader.close(Duration.ofSeconds(1));
            }
        }
    }

    private long readEndOffset() {
        try {
            return reader.endOffsets(List.of(PARTITION), Duration.ofSeconds(2))
                    .getOrDefault(PARTITION, -1L);
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            LOG.debug("settings topic not reachable yet: {}", e.getMessage());
            return -1;
        }
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        try {
            T value = parser.parseFrom(record.value());
            validator.accept(value);
            current.set(value);
            onChange.accept(value);
        } catch (InvalidProtocolBufferException e) {
            LOG.warn(
                    "ignoring unreadable setting '{}' at offset {}: {}",
                    key,
                    record.offset(),
                    e.getMessage());
        } catch (IllegalArgumentException e) {
            LOG.warn(
                    "ignoring invalid setting '{}' at offset {} ({}); keeping {}",
                    key,
                    record.offset(),
                    e.getMessage(),
                    current.get().toString().replace('\n', ' '));
        } catch (RuntimeException e) {
            LOG.error("applying setting '{}' failed: {}", key, e.toString());
        }
    }

    @Override
    public void close() {
        KafkaProducer<String, byte[]> writer;
        synchronized (this) {
            closed = true;
            writer = producer;
        }
        KafkaConsumer<String, byte[]> following = reader;
        if (following != null) {
            following.wakeup();
        }
        if (writer != null) {
            writer.close(Duration.ofSeconds(2));
        }
        try {
            readerThread.join(3_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

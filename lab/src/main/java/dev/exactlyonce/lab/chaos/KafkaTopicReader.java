package dev.exactlyonce.lab.chaos;

import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.lab.chaos.Reads.LogRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A lab's {@link TopicReader}: a Kafka consumer of this process reads {@code orders} and {@code
 * invoices} with {@code isolation.level=read_committed}, no consumer group (assigned partitions),
 * keeping the records of this run (keys starting with the run's order-id prefix). As the concurrent
 * reader it starts at the end when the run starts and reads on through every fault until told to
 * {@link #finish}; {@link #readCommitted} reads both topics from the beginning once.
 */
final class KafkaTopicReader implements TopicReader {

    private final String bootstrapServers;
    private final String prefix;
    private final List<LogRecord> seen = new CopyOnWriteArrayList<>();
    private volatile boolean finishing;
    private volatile Thread thread;
    private volatile Exception failure;

    KafkaTopicReader(String bootstrapServers, String prefix) {
        this.bootstrapServers = bootstrapServers;
        this.prefix = prefix;
    }

    /** Starts the concurrent reader, positioned at the end of both topics. */
    @Override
    public void startConcurrent() {
        thread =
                new Thread(
                        () -> {
                            try (KafkaConsumer<String, byte[]> consumer = consumer()) {
                                List<TopicPartition> partitions = partitions();
                                consumer.assign(partitions);
                                consumer.seekToEnd(partitions);
                                partitions.forEach(consumer::position);
                                readUntil(consumer, partitions, seen, () -> finishing);
                            } catch (Exception e) {
                                failure = e;
                            }
                        },
                        "chaos-concurrent-reader");
        thread.setDaemon(true);
        thread.start();
    }

    /** How many records of this run the concurrent reader has seen so far, per topic. */
    @Override
    public Map<String, Long> seenSoFar() {
        Map<String, Long> counts = new TreeMap<>();
        for (LogRecord record : seen) {
            counts.merge(record.topic(), 1L, Long::sum);
        }
        return counts;
    }

    /**
     * Lets the concurrent reader catch up with the committed end of both topics, then stops it;
     * returns what it saw, in order.
     */
    @Override
    public List<LogRecord> finish(Duration timeout) throws Exception {
        finishing = true;
        thread.join(timeout.toMillis());
        if (thread.isAlive()) {
            thread.interrupt();
            throw new IllegalStateException("the concurrent reader did not catch up in " + timeout);
        }
        if (failure != null) {
            throw failure;
        }
        return List.copyOf(seen);
    }

    /** Both topics from the beginning to their committed end, once. */
    @Override
    public List<LogRecord> readCommitted() {
        List<LogRecord> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = partitions();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            readUntil(consumer, partitions, records, () -> true);
        }
        return records;
    }

    /**
     * Polls into {@code into}; once {@code catchUp} says so, returns as soon as every partition's
     * position reached its committed end (the last stable offset, for read_committed).
     */
    private void readUntil(
            KafkaConsumer<String, byte[]> consumer,
            List<TopicPartition> partitions,
            List<LogRecord> into,
            java.util.function.BooleanSupplier catchUp) {
        Map<TopicPartition, Long> ends = null;
        while (!Thread.currentThread().isInterrupted()) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                if (r.key() != null && r.key().startsWith(prefix)) {
                    into.add(new LogRecord(r.topic(), r.partition(), r.offset(), r.key()));
                }
            }
            if (catchUp.getAsBoolean()) {
                if (ends == null) {
                    ends = consumer.endOffsets(partitions);
                }
                Map<TopicPartition, Long> target = ends;
                if (partitions.stream().allMatch(p -> consumer.position(p) >= target.get(p))) {
                    return;
                }
            }
        }
    }

    private static List<TopicPartition> partitions() {
        List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < Topics.ORDERS_PARTITIONS; p++) {
            partitions.add(new TopicPartition(Topics.ORDERS, p));
        }
        for (int p = 0; p < Topics.INVOICES_PARTITIONS; p++) {
            partitions.add(new TopicPartition(Topics.INVOICES, p));
        }
        return partitions;
    }

    private KafkaConsumer<String, byte[]> consumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        return new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    }

    @Override
    public void close() {
        Thread t = thread;
        if (t != null && t.isAlive()) {
            t.interrupt();
        }
    }
}

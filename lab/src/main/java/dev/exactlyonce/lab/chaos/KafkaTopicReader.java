package dev.exactlyonce.lab.chaos;

import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.lab.chaos.Reads.LogRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
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
final class KafkaTopicReader extends TopicReader {

    private final String bootstrapServers;

    KafkaTopicReader(String bootstrapServers, String prefix) {
        super(prefix);
        this.bootstrapServers = bootstrapServers;
    }

    @Override
    protected void readConcurrently() {
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = partitions();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
            readUntil(consumer, partitions, seen, () -> finishing);
        }
    }

    /** Both topics from the beginning to their committed end, once. */
    @Override
    List<LogRecord> readCommitted() {
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
}

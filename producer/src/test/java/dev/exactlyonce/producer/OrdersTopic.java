package dev.exactlyonce.producer;

import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.kafka.OrderEventSerde;
import dev.exactlyonce.kafka.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads topic "orders" the way the consumer does (read_committed) or raw (read_uncommitted). */
final class OrdersTopic implements AutoCloseable {

    static final List<TopicPartition> PARTITIONS =
            IntStream.range(0, Topics.ORDERS_PARTITIONS)
                    .mapToObj(p -> new TopicPartition(Topics.ORDERS, p))
                    .toList();

    private final KafkaConsumer<String, OrderEvent> consumer;

    OrdersTopic(String bootstrapServers, boolean readCommitted) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                readCommitted ? "read_committed" : "read_uncommitted");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumer =
                new KafkaConsumer<>(
                        p, new StringDeserializer(), new OrderEventSerde.OrderEventDeserializer());
        consumer.assign(PARTITIONS);
    }

    /** Where reading stops now: the end, or for read_committed the last stable offset. */
    Map<TopicPartition, Long> end() {
        return consumer.endOffsets(PARTITIONS);
    }

    /** Every record from {@code start} up to the current end (the LSO for read_committed). */
    List<ConsumerRecord<String, OrderEvent>> readFrom(Map<TopicPartition, Long> start) {
        Map<TopicPartition, Long> end = end();
        start.forEach(consumer::seek);
        List<ConsumerRecord<String, OrderEvent>> records = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (PARTITIONS.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("could not read orders up to " + end);
            }
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
        return records;
    }

    static String header(ConsumerRecord<?, ?> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(1));
    }
}

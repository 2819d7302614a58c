package dev.exactlyonce.lab.bench;

import dev.exactlyonce.billing.Invoices;
import dev.exactlyonce.grpc.v1.Invoice;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The orders both billing stages drain: a range of committed offsets per partition of the input
 * topic, and the invoice each of its orders must get — computed here by billing's own function
 * ({@link Invoices#invoice}), keyed by invoice id. Every invoice a stage writes is checked against
 * it.
 */
record Backlog(
        String topic,
        Map<TopicPartition, Long> start,
        Map<TopicPartition, Long> end,
        Map<String, Invoice> expected) {

    /** Where each partition's committed records end now (the last stable offset). */
    static Map<TopicPartition, Long> committedEnds(Admin admin, String topic)
            throws ExecutionException, InterruptedException {
        TopicDescription description =
                admin.describeTopics(java.util.List.of(topic)).allTopicNames().get().get(topic);
        Map<TopicPartition, OffsetSpec> latest =
                description.partitions().stream()
                        .collect(
                                Collectors.toMap(
                                        p -> new TopicPartition(topic, p.partition()),
                                        p -> OffsetSpec.latest()));
        Map<TopicPartition, Long> ends = new LinkedHashMap<>();
        admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                .all()
                .get()
                .forEach((partition, info) -> ends.put(partition, info.offset()));
        return ends;
    }

    /**
     * Reads the committed orders between the two positions and bills each with billing's function.
     */
    static Backlog read(
            String bootstrapServers,
            String topic,
            Map<TopicPartition, Long> start,
            Map<TopicPartition, Long> end)
            throws Invoices.PoisonOrder {
        Map<String, Invoice> expected = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = readCommitted(bootstrapServers)) {
            consumer.assign(start.keySet());
            start.forEach(consumer::seek);
            while (start.keySet().stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<String, byte[]> order : consumer.poll(Duration.ofMillis(100))) {
                    if (order.offset()
                            < end.get(new TopicPartition(order.topic(), order.partition()))) {
                        Invoice invoice = Invoices.invoice(order.value(), order.headers());
                        expected.put(invoice.getInvoiceId(), invoice);
                    }
                }
            }
        }
        return new Backlog(topic, Map.copyOf(start), Map.copyOf(end), Map.copyOf(expected));
    }

    int orders() {
        return expected.size();
    }

    /** A consumer of no group that sees only committed records. */
    static KafkaConsumer<String, byte[]> readCommitted(String bootstrapServers) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }
}

package dev.exactlyonce.billing;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.Invoice;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.grpc.v1.UpdateBillingConfigRequest;
import dev.exactlyonce.kafka.GroupProtocol;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.testkit.ControlToken;
import dev.exactlyonce.testkit.TestInfrastructure;
import io.micronaut.configuration.kafka.ConsumerRegistry;
import io.micronaut.context.ApplicationContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What the billing tests share: the testkit's real Kafka broker, order records sent with a plain
 * producer, billing contexts on their own consumer group (started at the end of "orders", so that a
 * test bills only its own orders), and the invoices and dead letters read back with read_committed.
 */
final class BillingPipeline {

    private static boolean topicsCreated;

    private BillingPipeline() {}

    static synchronized String bootstrapServers() {
        String servers = TestInfrastructure.shared().bootstrapServers();
        if (!topicsCreated) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", servers))) {
                Topics.ensureExist(admin, 30_000);
            } catch (Exception e) {
                throw new IllegalStateException("topics not created", e);
            }
            topicsCreated = true;
        }
        return servers;
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static Map<String, Object> billingProperties(String group, String pod) {
        Map<String, Object> properties = new HashMap<>();
        properties.put("kafka.bootstrap.servers", bootstrapServers());
        properties.putAll(ControlToken.TEST.serverProperties());
        properties.put("app.billing.group-id", group);
        properties.put("app.pod-name", pod);
        // small batches, so that a crash drill fires in the middle of a stream, not after all of it
        properties.put("app.billing.max-poll-records", "50");
        return properties;
    }

    /**
     * Starts a billing process (an application context) whose group begins at the current end of
     * "orders".
     */
    /**
     * The properties of a {@code @MicronautTest} billing service (a {@code TestPropertyProvider}):
     * a group of its own that starts at the end of "orders", so earlier tests' orders are not
     * billed again, and a pod of its own.
     */
    static Map<String, String> serviceProperties(String group) {
        try {
            startGroupAtEnd(group);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        Map<String, String> properties = new HashMap<>();
        billingProperties(group, unique("billing-pod"))
                .forEach((k, v) -> properties.put(k, v.toString()));
        return properties;
    }

    static ApplicationContext startBilling(String group, String pod) {
        return startBilling(group, pod, GroupProtocol.CLASSIC);
    }

    /** The same, its listener's group consumer on {@code protocol} ({@code app.group-protocol}). */
    static ApplicationContext startBilling(String group, String pod, GroupProtocol protocol) {
        Map<String, Object> properties = billingProperties(group, pod);
        properties.put("app.group-protocol", protocol.kafkaName());
        return ApplicationContext.builder().environments("test").properties(properties).start();
    }

    /**
     * Sets the processing mode every billing of the cluster uses (exactly-once.settings), with no
     * crash drill armed and no simulated failures: other tests change all three.
     */
    static void use(ApplicationContext billing, DeliveryMode mode) throws Exception {
        billing.getBean(SharedBillingConfig.class)
                .update(
                        UpdateBillingConfigRequest.newBuilder()
                                .setProcessingMode(mode)
                                .setCrashAfterMessages(0)
                                .setFailureRate(0)
                                .build());
    }

    /**
     * A billing process with {@code extraProperties} on top of {@link #billingProperties}, a pod of
     * its own.
     */
    static ApplicationContext startBilling(String group, Map<String, Object> extraProperties) {
        Map<String, Object> properties = billingProperties(group, unique("billing-pod"));
        properties.putAll(extraProperties);
        return ApplicationContext.builder().environments("test").properties(properties).start();
    }

    /** The group's type as the broker describes it: CLASSIC or CONSUMER (KIP-848). */
    static GroupType groupType(String group) throws Exception {
        try (Admin admin = admin()) {
            return admin.describeConsumerGroups(List.of(group)).all().get().get(group).type();
        }
    }

    static void startGroupAtEnd(String group) throws Exception {
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetAndMetadata> end = new HashMap<>();
            endOffsets(admin, Topics.ORDERS, Topics.ORDERS_PARTITIONS)
                    .forEach((tp, offset) -> end.put(tp, new OffsetAndMetadata(offset)));
            admin.alterConsumerGroupOffsets(group, end).all().get();
        }
    }

    static Map<TopicPartition, Long> endOffsets(Admin admin, String topic, int partitions)
            throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        return admin.listOffsets(latest).all().get().entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    }

    static Map<TopicPartition, Long> committed(String group) throws Exception {
        try (Admin admin = admin()) {
            return admin
                    .listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata()
                    .get()
                    .entrySet()
                    .stream()
                    .filter(e -> e.getValue() != null)
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
        }
    }

    /**
     * Waits until the group's committed offsets reached the end of "orders": every order was
     * handled.
     */
    static void awaitCaughtUp(String group) {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(
                        () -> {
                            Map<TopicPartition, Long> committed = committed(group);
                            try (Admin admin = admin()) {
                                return endOffsets(admin, Topics.ORDERS, Topics.ORDERS_PARTITIONS)
                                        .entrySet()
                                        .stream()
                                        .allMatch(
                                                e ->
                                                        committed.getOrDefault(e.getKey(), -1L)
                                                                >= e.getValue());
                            }
                        });
    }

    /** Waits until billing's listener owns every partition of "orders" (its group has settled). */
    static void awaitAssigned(ApplicationContext billing) {
        ConsumerRegistry consumers = billing.getBean(ConsumerRegistry.class);
        await().atMost(Duration.ofSeconds(30))
                .ignoreExceptions()
                .until(
                        () ->
                                consumers.getConsumerIds().stream()
                                                .mapToInt(
                                                        id ->
                                                                consumers
                                                                        .getConsumerAssignment(id)
                                                                        .size())
                                                .sum()
                                        == Topics.ORDERS_PARTITIONS);
    }

    static Admin admin() {
        return Admin.create(Map.of("bootstrap.servers", bootstrapServers()));
    }

    static OrderEvent order(String orderId, String messageId) {
        Instant now = Instant.now();
        return OrderEvent.newBuilder()
                .setOrderId(orderId)
                .setMessageId(messageId)
                .setCustomerId("cust-001")
                .addItems(OrderItem.newBuilder().setName("Widget").setQuantity(2).setPrice(19.99))
                .setTotalAmount(39.98)
                .setProducedAt(
                        Timestamp.newBuilder()
                                .setSeconds(now.getEpochSecond())
                                .setNanos(now.getNano()))
                .setDeliveryMode(DeliveryMode.EXACTLY_ONCE)
                .setProducerId("test-producer")
                .build();
    }

    /** {@code count} distinct orders {@code prefix-0 ..}, message ids {@code prefix-0-m ..}. */
    static List<OrderEvent> orders(String prefix, int count) {
        List<OrderEvent> events = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            events.add(order(prefix + "-" + i, prefix + "-" + i + "-m"));
        }
        return events;
    }

    /** Sends with a plain KafkaProducer (acks=all) and waits for every acknowledgement. */
    static void send(List<OrderEvent> events) throws Exception {
        send(bootstrapServers(), events);
    }

    /** The same, to another broker (a test's own). */
    static void send(String servers, List<OrderEvent> events) throws Exception {
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
        for (OrderEvent event : events) {
            ProducerRecord<String, byte[]> record =
                    new ProducerRecord<>(Topics.ORDERS, event.getOrderId(), event.toByteArray());
            record.headers()
                    .add(
                            Topics.HEADER_MESSAGE_ID,
                            event.getMessageId().getBytes(StandardCharsets.UTF_8));
            records.add(record);
        }
        sendRecords(servers, records);
    }

    static void sendRecords(List<ProducerRecord<String, byte[]>> records) throws Exception {
        sendRecords(bootstrapServers(), records);
    }

    private static void sendRecords(String servers, List<ProducerRecord<String, byte[]>> records)
            throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", servers);
        p.put("acks", "all");
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            List<Future<?>> acks = new ArrayList<>();
            for (ProducerRecord<String, byte[]> record : records) {
                acks.add(producer.send(record));
            }
            for (Future<?> ack : acks) {
                ack.get();
            }
        }
    }

    /**
     * Every committed record of {@code topic} (read_committed, from the beginning) whose key starts
     * with {@code prefix}.
     */
    static List<ConsumerRecord<String, byte[]>> committedRecords(String topic, String prefix) {
        return committedRecords(bootstrapServers(), topic, prefix);
    }

    /** The same, from another broker (a test's own). */
    static List<ConsumerRecord<String, byte[]>> committedRecords(
            String servers, String topic, String prefix) {
        Properties p = new Properties();
        p.put("bootstrap.servers", servers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, byte[]> reader =
                new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions =
                    reader.partitionsFor(topic).stream()
                            .map(info -> new TopicPartition(topic, info.partition()))
                            .toList();
            reader.assign(partitions);
            reader.seekToBeginning(partitions);
            // with read_committed, the end offsets are the last stable offsets: an open transaction
            // stops here
            Map<TopicPartition, Long> end = reader.endOffsets(partitions);
            List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
            while (partitions.stream().anyMatch(tp -> reader.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> record : reader.poll(Duration.ofMillis(500))) {
                    if (record.key() != null && record.key().startsWith(prefix)) {
                        found.add(record);
                    }
                }
            }
            return found;
        }
    }

    /** The committed invoices of orders whose id starts with {@code prefix}. */
    static List<Invoice> invoices(String prefix) {
        return committedRecords(Topics.INVOICES, prefix).stream()
                .map(
                        record -> {
                            try {
                                return Invoice.parseFrom(record.value());
                            } catch (InvalidProtocolBufferException e) {
                                throw new IllegalStateException(e);
                            }
                        })
                .toList();
    }

    /** Invoices total and distinct invoice ids. */
    record Invoiced(long total, long distinct) {}

    static Invoiced invoiced(String prefix) {
        List<Invoice> invoices = invoices(prefix);
        return new Invoiced(
                invoices.size(), invoices.stream().map(Invoice::getInvoiceId).distinct().count());
    }

    static String header(ConsumerRecord<?, ?> record, String name) {
        return Topics.header(record.headers(), name);
    }
}

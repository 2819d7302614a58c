package dev.exactlyonce.consumer;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.Timestamp;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.kafka.GroupProtocol;
import dev.exactlyonce.kafka.OrderEventSerde;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.testkit.ControlToken;
import dev.exactlyonce.testkit.Infrastructure;
import dev.exactlyonce.testkit.TestInfrastructure;
import io.micronaut.context.ApplicationContext;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What the consumer tests share: the testkit's Kafka and PostgreSQL, a plain producer of
 * OrderEvents, consumer contexts on their own group (started at the topic's end, so that a test
 * sees only its own records), and the database (rows and dead letters) read back.
 */
final class Pipeline {

    static final List<TopicPartition> ORDER_PARTITIONS =
            IntStream.range(0, Topics.ORDERS_PARTITIONS)
                    .mapToObj(p -> new TopicPartition(Topics.ORDERS, p))
                    .toList();

    private Pipeline() {}

    private static boolean topicsCreated;

    /** The shared broker and database, with the pipeline's topics created. */
    static synchronized Infrastructure infra() {
        Infrastructure infrastructure = TestInfrastructure.shared();
        if (!topicsCreated) {
            try (Admin admin =
                    Admin.create(Map.of("bootstrap.servers", infrastructure.bootstrapServers()))) {
                Topics.ensureExist(admin, 30_000);
            } catch (Exception e) {
                throw new IllegalStateException("topics not created", e);
            }
            topicsCreated = true;
        }
        return infrastructure;
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Micronaut properties of a consumer on {@code group} as replica {@code pod}. */
    static Map<String, Object> consumerProperties(String group, String pod) {
        Map<String, Object> properties = new HashMap<>(infra().micronautProperties());
        properties.putAll(ControlToken.TEST.serverProperties());
        properties.put("app.consumer.group-id", group);
        properties.put("app.pod-name", pod);
        return properties;
    }

    /**
     * Starts a consumer process (an application context) on a group positioned at the topic's end.
     */
    static ApplicationContext startConsumer(String group, String pod) {
        return startConsumer(group, pod, GroupProtocol.CLASSIC);
    }

    /** The same, its group consumer on {@code protocol} ({@code app.group-protocol}). */
    static ApplicationContext startConsumer(String group, String pod, GroupProtocol protocol) {
        Map<String, Object> properties = consumerProperties(group, pod);
        properties.put("app.group-protocol", protocol.kafkaName());
        return ApplicationContext.builder().environments("test").properties(properties).start();
    }

    /** The group's type as the broker describes it: CLASSIC or CONSUMER (KIP-848). */
    static GroupType groupType(String group) throws Exception {
        try (Admin admin = admin()) {
            return admin.describeConsumerGroups(List.of(group)).all().get().get(group).type();
        }
    }

    /** A fresh group starts where the topic ends now, not at the records of earlier tests. */
    static void startGroupAtEnd(String group) throws Exception {
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetAndMetadata> end = new HashMap<>();
            endOffsets(admin).forEach((tp, offset) -> end.put(tp, new OffsetAndMetadata(offset)));
            admin.alterConsumerGroupOffsets(group, end).all().get();
        }
    }

    static Map<TopicPartition, Long> endOffsets(Admin admin) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        ORDER_PARTITIONS.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
        return admin.listOffsets(latest).all().get().entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    }

    /**
     * The properties of a consumer service under test (a TestPropertyProvider's): a fresh group
     * that starts at the end of the topic, so earlier tests' records are not its business, and a
     * pod name of its own.
     */
    static Map<String, String> serviceProperties(String group) {
        try {
            startGroupAtEnd(group);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        Map<String, String> properties = new HashMap<>();
        consumerProperties(group, unique("pod")).forEach((k, v) -> properties.put(k, v.toString()));
        return properties;
    }

    /**
     * Waits until the group's committed Kafka offsets reached the topic's end: everything was
     * handled.
     */
    static void awaitCaughtUp(String group) {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(
                        () -> {
                            try (Admin admin = admin()) {
                                Map<TopicPartition, OffsetAndMetadata> committed =
                                        admin.listConsumerGroupOffsets(group)
                                                .partitionsToOffsetAndMetadata()
                                                .get();
                                return endOffsets(admin).entrySet().stream()
                                        .allMatch(
                                                e ->
                                                        committed.get(e.getKey()) != null
                                                                && committed
                                                                                .get(e.getKey())
                                                                                .offset()
                                                                        >= e.getValue());
                            }
                        });
    }

    static Admin admin() {
        return Admin.create(Map.of("bootstrap.servers", infra().bootstrapServers()));
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
        send(infra().bootstrapServers(), events);
    }

    /** The same, to another broker (a test's own). */
    static void send(String servers, List<OrderEvent> events) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", servers);
        p.put("acks", "all");
        try (KafkaProducer<String, OrderEvent> producer =
                new KafkaProducer<>(
                        p, new StringSerializer(), new OrderEventSerde.OrderEventSerializer())) {
            List<Future<?>> acks = new ArrayList<>();
            for (OrderEvent event : events) {
                ProducerRecord<String, OrderEvent> record =
                        new ProducerRecord<>(Topics.ORDERS, event.getOrderId(), event);
                record.headers()
                        .add(
                                Topics.HEADER_MESSAGE_ID,
                                event.getMessageId().getBytes(StandardCharsets.UTF_8));
                acks.add(producer.send(record));
            }
            for (Future<?> ack : acks) {
                ack.get();
            }
        }
    }

    /** A record that is not an OrderEvent. */
    static void sendRaw(String key, byte[] value) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", infra().bootstrapServers());
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topics.ORDERS, key, value)).get();
        }
    }

    /** Rows and distinct order ids stored for orders whose id starts with {@code prefix}. */
    record Stored(long rows, long distinct) {}

    static Stored stored(String prefix) throws SQLException {
        return stored(infra().jdbcUrl(), prefix);
    }

    static Stored stored(String jdbcUrl, String prefix) throws SQLException {
        try (Connection c =
                        DriverManager.getConnection(
                                jdbcUrl, infra().jdbcUser(), infra().jdbcPassword());
                PreparedStatement ps =
                        c.prepareStatement(
                                "SELECT count(*), count(DISTINCT order_id) FROM orders WHERE order_id LIKE ?")) {
            ps.setString(1, prefix + "-%");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Stored(rs.getLong(1), rs.getLong(2));
            }
        }
    }

    /** One row of dead_letters. */
    record StoredDeadLetter(
            String key,
            int partition,
            long offset,
            String messageId,
            String reason,
            int attempts) {}

    /** The dead letters whose record key starts with {@code prefix}, in Kafka order. */
    static List<StoredDeadLetter> deadLetters(String prefix) throws SQLException {
        try (Connection c =
                        DriverManager.getConnection(
                                infra().jdbcUrl(), infra().jdbcUser(), infra().jdbcPassword());
                PreparedStatement ps =
                        c.prepareStatement(
                                "SELECT convert_from(record_key, 'UTF8'), kafka_partition, "
                                        + "kafka_offset, message_id, reason, attempts FROM dead_letters "
                                        + "WHERE convert_from(record_key, 'UTF8') LIKE ? ORDER BY kafka_partition, kafka_offset")) {
            ps.setString(1, prefix + "%");
            List<StoredDeadLetter> found = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.add(
                            new StoredDeadLetter(
                                    rs.getString(1),
                                    rs.getInt(2),
                                    rs.getLong(3),
                                    rs.getString(4),
                                    rs.getString(5),
                                    rs.getInt(6)));
                }
            }
            return found;
        }
    }
}

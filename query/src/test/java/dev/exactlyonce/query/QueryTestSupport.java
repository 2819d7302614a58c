package dev.exactlyonce.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.QueryServiceGrpc;
import dev.exactlyonce.grpc.v1.ResetRequest;
import dev.exactlyonce.grpc.v1.ResetResponse;
import dev.exactlyonce.kafka.OrderEventSerde;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.testkit.ControlToken;
import dev.exactlyonce.testkit.Infrastructure;
import dev.exactlyonce.testkit.TestInfrastructure;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The query module's one test fixture: the testkit's Kafka and PostgreSQL with the consumer's real
 * schema (its Flyway migrations), the service over real gRPC (with the control token, or without),
 * and writers that prepare data the way the producer and the consumer would (plain KafkaProducer +
 * OrderEventSerde, SQL rows). A class that audits names its own groups ({@link AuditedGroups}) in
 * {@link #extraProperties}, and starts each test in a {@link #freshWindow}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class QueryTestSupport implements TestPropertyProvider {

    static final Infrastructure INFRA = TestInfrastructure.shared();

    @Inject GrpcEmbeddedServer grpcServer;

    private ManagedChannel channel;
    private ManagedChannel anonymousChannel;
    private Admin admin;

    @Override
    public Map<String, String> getProperties() {
        Flyway.configure()
                .dataSource(INFRA.jdbcUrl(), INFRA.jdbcUser(), INFRA.jdbcPassword())
                .locations("classpath:db/migration")
                .load()
                .migrate();
        try {
            Topics.ensureExist(admin(), 10_000);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        Map<String, String> properties = new HashMap<>(INFRA.micronautProperties());
        properties.putAll(ControlToken.TEST.serverProperties());
        properties.putAll(extraProperties());
        return properties;
    }

    /** The class's own settings on top of the shared ones. */
    Map<String, String> extraProperties() {
        return Map.of();
    }

    /**
     * The groups a class audits: its own, so that no other class's offsets reach its audits. Its
     * settings also name no producer to ask: an audit without an acknowledged count reports that
     * count "unavailable".
     */
    record AuditedGroups(String consumer, String billing) {

        /** {@code <name>-group} and {@code <name>-billing}. */
        static AuditedGroups named(String name) {
            return new AuditedGroups(name + "-group", name + "-billing");
        }

        Map<String, String> properties() {
            return Map.of(
                    "app.query.consumer-group-id",
                    consumer,
                    "app.query.billing-group-id",
                    billing,
                    "app.query.producer-address",
                    "127.0.0.1:1");
        }
    }

    /** The service as the lab's user calls it: with the control token. */
    QueryServiceGrpc.QueryServiceBlockingStub query() {
        if (channel == null) {
            channel = channelTo(grpcServer.getPort(), ControlToken.TEST);
        }
        return QueryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    /** The service as a caller without the control token reaches it. */
    ManagedChannel anonymousChannel() {
        if (anonymousChannel == null) {
            anonymousChannel = channelTo(grpcServer.getPort());
        }
        return anonymousChannel;
    }

    QueryServiceGrpc.QueryServiceBlockingStub anonymousQuery() {
        return QueryServiceGrpc.newBlockingStub(anonymousChannel())
                .withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    static ManagedChannel channelTo(int port, ClientInterceptor... interceptors) {
        return ManagedChannelBuilder.forAddress("127.0.0.1", port)
                .usePlaintext()
                .intercept(interceptors)
                .build();
    }

    /**
     * Fails unless the call is refused with {@code code} and a description naming {@code field}.
     */
    static void assertStatus(ThrowingCallable call, Status.Code code, String field) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> {
                            assertThat(e.getStatus().getCode()).isEqualTo(code);
                            assertThat(e.getStatus().getDescription()).startsWith(field + ":");
                        });
    }

    /**
     * An empty store and a new audit window starting at the Kafka end, as a lab user's Reset leaves
     * them; returns where the window starts.
     */
    ResetResponse freshWindow() throws SQLException {
        emptyDatabase();
        return query().reset(ResetRequest.getDefaultInstance());
    }

    Admin admin() {
        if (admin == null) {
            admin =
                    Admin.create(
                            Map.of(
                                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    INFRA.bootstrapServers()));
        }
        return admin;
    }

    @AfterAll
    void closeClients() {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (anonymousChannel != null) {
            anonymousChannel.shutdownNow();
        }
        if (admin != null) {
            admin.close();
        }
    }

    // PostgreSQL
    // --------------------------------------------------------------------------------------

    static Connection database() throws SQLException {
        return DriverManager.getConnection(INFRA.jdbcUrl(), INFRA.jdbcUser(), INFRA.jdbcPassword());
    }

    /** Empties every table the consumer and the query service write, as a fresh schema. */
    static void emptyDatabase() throws SQLException {
        try (Connection c = database();
                Statement s = c.createStatement()) {
            s.execute(
                    "TRUNCATE processed_messages, order_conflicts, orders, order_counts, orders_per_second, kafka_offsets, "
                            + "audit_windows, benchmark_results, dead_letters, retention_gaps");
            s.execute(
                    "UPDATE order_totals SET total_rows = 0, distinct_orders = 0, processed_messages = 0");
        }
    }

    /**
     * A stored row, as the consumer writes it. Like the consumer, each call moves the GetStats
     * counters in the same transaction as its rows (count_stored_batch with the rows' message ids,
     * V5).
     */
    record Row(String orderId, String messageId, String customerId, int partition, long offset) {
        static Row of(String orderId, String messageId, String customerId) {
            return new Row(orderId, messageId, customerId, 0, 0);
        }
    }

    static void insertRows(List<Row> rows) throws SQLException {
        try (Connection c = database();
                PreparedStatement ps =
                        c.prepareStatement(
                                "INSERT INTO orders (order_id, message_id, customer_id, items, total_amount, kafka_partition, "
                                        + "kafka_offset, produced_at, processing_mode, consumer_id) "
                                        + "VALUES (?, ?, ?, CAST(? AS jsonb), ?, ?, ?, ?, 'EXACTLY_ONCE', 'consumer-test')")) {
            c.setAutoCommit(false);
            for (Row row : rows) {
                ps.setString(1, row.orderId());
                ps.setString(2, row.messageId());
                ps.setString(3, row.customerId());
                ps.setString(4, "[{\"name\":\"Widget\",\"quantity\":2,\"price\":19.99}]");
                ps.setBigDecimal(5, new java.math.BigDecimal("39.98"));
                ps.setInt(6, row.partition());
                ps.setLong(7, row.offset());
                ps.setTimestamp(8, Timestamp.from(Instant.now()));
                ps.addBatch();
            }
            ps.executeBatch();
            countStored(c, rows.stream().map(Row::messageId).toArray(String[]::new), 0);
            c.commit();
        }
    }

    /** The rows the consumer stores for records {@link #produce} wrote: one per message id. */
    static void storeOrders(List<String> messageIds) throws SQLException {
        insertRows(messageIds.stream().map(id -> Row.of("order-" + id, id, "cust-1")).toList());
    }

    static void insertProcessed(String messageId, String orderId) throws SQLException {
        try (Connection c = database();
                PreparedStatement ps =
                        c.prepareStatement(
                                "INSERT INTO processed_messages (message_id, order_id, kafka_partition, kafka_offset) VALUES (?, ?, 0, 0)")) {
            c.setAutoCommit(false);
            ps.setString(1, messageId);
            ps.setString(2, orderId);
            ps.executeUpdate();
            countStored(c, new String[0], 1);
            c.commit();
        }
    }

    private static void countStored(Connection c, String[] storedMessageIds, long firstSeenMessages)
            throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement("SELECT count_stored_batch(?::varchar[], ?)")) {
            ps.setArray(1, c.createArrayOf("varchar", storedMessageIds));
            ps.setLong(2, firstSeenMessages);
            ps.execute();
        }
    }

    /**
     * A dead letter as the consumer writes it, beside the batch's rows; {@code messageId} may be
     * null (unreadable).
     */
    static void insertDeadLetter(String messageId, int partition, long offset) throws SQLException {
        try (Connection c = database();
                PreparedStatement ps =
                        c.prepareStatement(
                                "INSERT INTO dead_letters (kafka_partition, kafka_offset, message_id, reason, attempts, record_value, "
                                        + "processing_mode, consumer_id) VALUES (?, ?, ?, 'test: breaks the order contract', 1, ?, "
                                        + "'EXACTLY_ONCE', 'consumer-test')")) {
            ps.setInt(1, partition);
            ps.setLong(2, offset);
            ps.setString(3, messageId);
            ps.setBytes(4, new byte[] {0, 1, 2});
            ps.executeUpdate();
        }
    }

    /**
     * A retention gap as the consumer records it: [from, to) of a partition deleted before the
     * group read it.
     */
    static void insertRetentionGap(String group, int partition, long from, long to)
            throws SQLException {
        try (Connection c = database();
                PreparedStatement ps =
                        c.prepareStatement(
                                "INSERT INTO retention_gaps (consumer_group, kafka_partition, from_offset, to_offset) VALUES (?, ?, ?, ?)")) {
            ps.setString(1, group);
            ps.setInt(2, partition);
            ps.setLong(3, from);
            ps.setLong(4, to);
            ps.executeUpdate();
        }
    }

    static void insertDbOffset(String group, int partition, long nextOffset) throws SQLException {
        try (Connection c = database();
                PreparedStatement ps =
                        c.prepareStatement(
                                "INSERT INTO kafka_offsets (consumer_group, topic, kafka_partition, next_offset, owner, generation) "
                                        + "VALUES (?, 'orders', ?, ?, 'consumer-test', 1)")) {
            ps.setString(1, group);
            ps.setInt(2, partition);
            ps.setLong(3, nextOffset);
            ps.executeUpdate();
        }
    }

    // Kafka
    // -------------------------------------------------------------------------------------------

    static Properties producerProperties() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, INFRA.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return p;
    }

    static KafkaProducer<String, OrderEvent> orderProducer(Properties properties) {
        return new KafkaProducer<>(
                properties, new StringSerializer(), new OrderEventSerde.OrderEventSerializer());
    }

    static ProducerRecord<String, OrderEvent> orderRecord(
            String topic, String orderId, String messageId) {
        OrderEvent event =
                OrderEvent.newBuilder()
                        .setOrderId(orderId)
                        .setMessageId(messageId)
                        .setCustomerId("cust-1")
                        .setTotalAmount(10)
                        .build();
        ProducerRecord<String, OrderEvent> record = new ProducerRecord<>(topic, orderId, event);
        record.headers().add(Topics.HEADER_MESSAGE_ID, messageId.getBytes(StandardCharsets.UTF_8));
        return record;
    }

    /**
     * Writes one record per message id to topic orders (partition by key) and waits for the acks.
     */
    static void produce(List<String> messageIds) {
        try (var producer = orderProducer(producerProperties())) {
            for (String id : messageIds) {
                producer.send(orderRecord(Topics.ORDERS, "order-" + id, id));
            }
            producer.flush();
        }
    }

    Map<TopicPartition, Long> endOffsets(String topic) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        admin().describeTopics(List.of(topic))
                .allTopicNames()
                .get()
                .get(topic)
                .partitions()
                .forEach(
                        p ->
                                request.put(
                                        new TopicPartition(topic, p.partition()),
                                        OffsetSpec.latest()));
        Map<TopicPartition, Long> ends = new HashMap<>();
        admin().listOffsets(request).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
        return ends;
    }

    /** The group has read every record of topic orders. */
    void caughtUp(String group) throws Exception {
        commitGroupOffsets(group, endOffsets(Topics.ORDERS));
    }

    /** Where the window starts on topic orders, as offsets a group can commit. */
    static Map<TopicPartition, Long> ordersStart(ResetResponse window) {
        Map<TopicPartition, Long> start = new HashMap<>();
        window.getAuditWindowStartList().stream()
                .filter(o -> o.getTopic().equals(Topics.ORDERS))
                .forEach(
                        o ->
                                start.put(
                                        new TopicPartition(Topics.ORDERS, o.getPartition()),
                                        o.getOffset()));
        return start;
    }

    /** Commits Kafka offsets for a group, as a consumer would after processing. */
    void commitGroupOffsets(String group, Map<TopicPartition, Long> offsets) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        offsets.forEach((tp, offset) -> commit.put(tp, new OffsetAndMetadata(offset)));
        admin().alterConsumerGroupOffsets(group, commit).all().get();
    }
}

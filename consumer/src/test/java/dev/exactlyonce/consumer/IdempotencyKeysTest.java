package dev.exactlyonce.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.GetConsumerStatsRequest;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.kafka.MessageIds;
import dev.exactlyonce.kafka.Topics;
import io.micronaut.context.ApplicationContext;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

/**
 * Records as the producer writes them for a client retrying with its order id (the message id
 * derived with {@link MessageIds}, a new produced_at per attempt), against the real broker and
 * PostgreSQL: a retry is stored once with the dedup on and twice without it (the lesson); a key
 * reused for another order is one stored row plus one row in order_conflicts, in every mode, and a
 * replay does not record it twice.
 */
@MicronautTest(transactional = false)
class IdempotencyKeysTest extends ConsumerServiceTestSupport {

    /**
     * One attempt of an order placed under cust-001's key {@code orderId}: what
     * OrderRecords.prepare writes for cust-001. With another customerId it is a record our producer
     * never writes (it derives the message id from the customer too): the consumer must still
     * refuse it as a reused key, whatever differs.
     */
    private static OrderEvent attempt(
            String orderId, String customerId, int quantity, double price) {
        return keyedBy("cust-001", orderId, customerId, quantity, price);
    }

    private static OrderEvent keyedBy(
            String keyOwner, String orderId, String customerId, int quantity, double price) {
        Instant now = Instant.now();
        return OrderEvent.newBuilder()
                .setOrderId(orderId)
                .setMessageId(MessageIds.forClientKey(keyOwner, orderId))
                .setCustomerId(customerId)
                .addItems(
                        OrderItem.newBuilder()
                                .setName("Widget")
                                .setQuantity(quantity)
                                .setPrice(price))
                .setTotalAmount(Math.round(quantity * price * 100) / 100.0)
                .setProducedAt(
                        Timestamp.newBuilder()
                                .setSeconds(now.getEpochSecond())
                                .setNanos(now.getNano()))
                .setDeliveryMode(DeliveryMode.EXACTLY_ONCE)
                .setProducerId("producer-0")
                .build();
    }

    private static OrderEvent attempt(String orderId) {
        return attempt(orderId, "cust-001", 2, 19.99);
    }

    @Test
    void theSameKeyTwiceIsOneRowInExactlyOnce() throws Exception {
        use(DeliveryMode.EXACTLY_ONCE, true);
        String prefix = Pipeline.unique("retry-eo");

        Pipeline.send(List.of(attempt(prefix + "-1")));
        Pipeline.send(List.of(attempt(prefix + "-1")));
        Pipeline.awaitCaughtUp(group);

        assertThat(Pipeline.stored(prefix)).isEqualTo(new Pipeline.Stored(1, 1));
        assertThat(conflicts(prefix)).isEmpty();
    }

    @Test
    void theSameKeyTwiceIsTwoRowsInAtLeastOnceWithoutIdempotency() throws Exception {
        use(DeliveryMode.AT_LEAST_ONCE, false);
        String prefix = Pipeline.unique("retry-alo");

        Pipeline.send(List.of(attempt(prefix + "-1")));
        Pipeline.send(List.of(attempt(prefix + "-1")));
        Pipeline.awaitCaughtUp(group);

        // the dedup is what absorbs a retry: without it the retry is a second row, honestly shown
        assertThat(Pipeline.stored(prefix)).isEqualTo(new Pipeline.Stored(2, 1));
        assertThat(conflicts(prefix)).isEmpty();
    }

    @Test
    void aRetriedBatchIsEachOrderOnceInExactlyOnce() throws Exception {
        use(DeliveryMode.EXACTLY_ONCE, true);
        String prefix = Pipeline.unique("batch-retry");
        List<String> orderIds =
                List.of(prefix + "-a", prefix + "-b", prefix + "-c", prefix + "-d", prefix + "-e");

        // the PlaceOrderBatch whose reply was lost, then the same call again: each order id twice
        Pipeline.send(orderIds.stream().map(IdempotencyKeysTest::attempt).toList());
        Pipeline.send(orderIds.stream().map(IdempotencyKeysTest::attempt).toList());
        Pipeline.awaitCaughtUp(group);

        assertThat(Pipeline.stored(prefix)).isEqualTo(new Pipeline.Stored(5, 5));
        assertThat(conflicts(prefix)).isEmpty();
    }

    @Test
    void aBatchOfNewOrdersWithOneAlreadyStoredStoresTheNewOnesOnce() throws Exception {
        use(DeliveryMode.EXACTLY_ONCE, true);
        String prefix = Pipeline.unique("mixed");
        String a = prefix + "-a";
        Pipeline.send(List.of(attempt(a)));
        Pipeline.awaitCaughtUp(group);

        // one producer flush, one partition (the keys hash alike): normally one poll batch. a's
        // message id is in processed_messages: the dedup's COPY is refused and rolled back to its
        // savepoint, and the batch goes through the statement that sorts out the repeat
        List<String> others = keysOnThePartitionOf(a, prefix, 2);
        Pipeline.send(List.of(attempt(others.get(0)), attempt(a), attempt(others.get(1))));
        Pipeline.awaitCaughtUp(group);

        assertThat(Pipeline.stored(prefix)).isEqualTo(new Pipeline.Stored(3, 3));
        assertThat(storedCustomers(prefix)).containsOnly("cust-001");
        assertThat(conflicts(prefix)).isEmpty();
        assertThat(Pipeline.deadLetters(prefix))
                .as("a's retry is a duplicate, not a failure")
                .isEmpty();
    }

    @Test
    void aKeyReusedForAnotherOrderIsOneRowAndOneConflictWhateverDiffers() throws Exception {
        use(DeliveryMode.EXACTLY_ONCE, true);
        String prefix = Pipeline.unique("reused");
        List<OrderEvent> originals =
                List.of(
                        attempt(prefix + "-customer"),
                        attempt(prefix + "-items"),
                        attempt(prefix + "-amount"));
        // the later ones: same keys, other customer / other items / other amount
        List<OrderEvent> reused =
                List.of(
                        attempt(prefix + "-customer", "cust-002", 2, 19.99),
                        attempt(prefix + "-items", "cust-001", 3, 19.99),
                        attempt(prefix + "-amount", "cust-001", 2, 19.98));
        long conflictsBefore = stats().getKeyConflicts();

        // the originals' fingerprints go in by the dedup's COPY; the reused keys are compared
        // with what it stored
        Pipeline.send(originals);
        Pipeline.awaitCaughtUp(group);
        Pipeline.send(reused);
        Pipeline.awaitCaughtUp(group);

        assertThat(Pipeline.stored(prefix)).isEqualTo(new Pipeline.Stored(3, 3));
        assertThat(storedCustomers(prefix)).containsOnly("cust-001");
        List<ConflictRow> conflicts = conflicts(prefix);
        assertThat(conflicts).hasSize(3);
        for (int i = 0; i < 3; i++) {
            OrderEvent original = originals.get(i);
            OrderEvent offered = reused.get(i);
            ConflictRow row =
                    conflicts.stream()
                            .filter(c -> c.orderId().equals(offered.getOrderId()))
                            .findFirst()
                            .orElseThrow();
            assertThat(row.messageId()).isEqualTo(offered.getMessageId());
            assertThat(row.storedFingerprint()).isEqualTo(fingerprint(original));
            assertThat(row.offeredFingerprint())
                    .isEqualTo(fingerprint(offered))
                    .isNotEqualTo(row.storedFingerprint());
            assertThat(row.customerId()).isEqualTo(offered.getCustomerId());
            assertThat(row.totalAmount())
                    .isEqualByComparingTo(BigDecimal.valueOf(offered.getTotalAmount()));
            assertThat(row.offset()).isNotNegative();
        }
        assertThat(stats().getKeyConflicts() - conflictsBefore).isEqualTo(3);
    }

    @Test
    void theSameOrderIdFromTwoCustomersIsTwoOrders() throws Exception {
        use(DeliveryMode.EXACTLY_ONCE, true);
        String prefix = Pipeline.unique("two-customers");
        String orderId = prefix + "-1";

        Pipeline.send(
                List.of(
                        keyedBy("cust-001", orderId, "cust-001", 2, 19.99),
                        keyedBy("cust-002", orderId, "cust-002", 1, 5)));
        Pipeline.awaitCaughtUp(group);

        assertThat(storedCustomers(prefix)).containsExactlyInAnyOrder("cust-001", "cust-002");
        assertThat(conflicts(prefix)).isEmpty();
    }

    @Test
    void aReusedKeyInTheSameBatchIsRefusedAgainstTheEarlierRecord() throws Exception {
        use(DeliveryMode.EXACTLY_ONCE, true);
        String prefix = Pipeline.unique("same-batch");

        // one producer flush, one partition (same key): normally one poll batch
        Pipeline.send(
                List.of(
                        attempt(prefix + "-1"),
                        attempt(prefix + "-1"),
                        attempt(prefix + "-1", "cust-009", 1, 5)));
        Pipeline.awaitCaughtUp(group);

        assertThat(Pipeline.stored(prefix)).isEqualTo(new Pipeline.Stored(1, 1));
        assertThat(storedCustomers(prefix)).containsExactly("cust-001");
        assertThat(conflicts(prefix))
                .singleElement()
                .satisfies(c -> assertThat(c.customerId()).isEqualTo("cust-009"));
    }

    @Test
    void withoutIdempotencyARetryIsStoredTwiceButAReusedKeyIsStillRefused() throws Exception {
        use(DeliveryMode.AT_LEAST_ONCE, false);
        String prefix = Pipeline.unique("reused-alo");

        Pipeline.send(List.of(attempt(prefix + "-1")));
        Pipeline.send(
                List.of(attempt(prefix + "-1"), attempt(prefix + "-1", "cust-002", 2, 19.99)));
        Pipeline.awaitCaughtUp(group);

        assertThat(Pipeline.stored(prefix)).isEqualTo(new Pipeline.Stored(2, 1));
        assertThat(storedCustomers(prefix)).containsOnly("cust-001");
        assertThat(conflicts(prefix))
                .singleElement()
                .satisfies(c -> assertThat(c.customerId()).isEqualTo("cust-002"));
    }

    @Test
    void aReplayedConflictIsRecordedOnce() throws Exception {
        use(DeliveryMode.AT_LEAST_ONCE, true);
        String prefix = Pipeline.unique("replayed");
        Map<TopicPartition, Long> start;
        try (Admin admin = Pipeline.admin()) {
            start = Pipeline.endOffsets(admin);
        }
        Pipeline.send(List.of(attempt(prefix + "-1")));
        Pipeline.send(List.of(attempt(prefix + "-1", "cust-002", 2, 19.99)));
        Pipeline.awaitCaughtUp(group);
        assertThat(conflicts(prefix)).hasSize(1);

        // the same records read again, as at-least-once does after a crash before its offset
        // commit: a second group over the same database, starting where these records start
        String replaying = Pipeline.unique("keys-replay");
        try (Admin admin = Pipeline.admin()) {
            Map<TopicPartition, OffsetAndMetadata> from = new HashMap<>();
            start.forEach((tp, offset) -> from.put(tp, new OffsetAndMetadata(offset)));
            admin.alterConsumerGroupOffsets(replaying, from).all().get();
        }
        try (ApplicationContext replay =
                Pipeline.startConsumer(replaying, Pipeline.unique("pod"))) {
            Pipeline.awaitCaughtUp(replaying);
        }

        assertThat(Pipeline.stored(prefix)).isEqualTo(new Pipeline.Stored(1, 1));
        assertThat(conflicts(prefix)).hasSize(1);
    }

    /**
     * {@code count} keys "prefix-0", "prefix-1", … that Kafka's default partitioner puts with
     * {@code key}.
     */
    private static List<String> keysOnThePartitionOf(String key, String prefix, int count) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; keys.size() < count; i++) {
            String candidate = prefix + "-" + i;
            if (partitionOf(candidate) == partitionOf(key)) {
                keys.add(candidate);
            }
        }
        return keys;
    }

    private static int partitionOf(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8)))
                % Topics.ORDERS_PARTITIONS;
    }

    private dev.exactlyonce.grpc.v1.ConsumerStats stats() {
        return control.getConsumerStats(GetConsumerStatsRequest.getDefaultInstance());
    }

    private static String fingerprint(OrderEvent event) {
        BigDecimal amount =
                BigDecimal.valueOf(event.getTotalAmount())
                        .setScale(2, java.math.RoundingMode.HALF_EVEN);
        return HexFormat.of()
                .formatHex(
                        OrderFingerprint.of(event.getCustomerId(), event.getItemsList(), amount));
    }

    record ConflictRow(
            String orderId,
            String messageId,
            String storedFingerprint,
            String offeredFingerprint,
            String customerId,
            BigDecimal totalAmount,
            long offset) {}

    private static Connection database() throws SQLException {
        var infra = Pipeline.infra();
        return DriverManager.getConnection(infra.jdbcUrl(), infra.jdbcUser(), infra.jdbcPassword());
    }

    private static List<ConflictRow> conflicts(String prefix) throws SQLException {
        try (Connection c = database();
                PreparedStatement ps =
                        c.prepareStatement(
                                "SELECT order_id, message_id, encode(stored_fingerprint, 'hex'), encode(offered_fingerprint, 'hex'), "
                                        + "customer_id, total_amount, kafka_offset FROM order_conflicts WHERE order_id LIKE ? ORDER BY id")) {
            ps.setString(1, prefix + "-%");
            List<ConflictRow> rows = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(
                            new ConflictRow(
                                    rs.getString(1),
                                    rs.getString(2),
                                    rs.getString(3),
                                    rs.getString(4),
                                    rs.getString(5),
                                    rs.getBigDecimal(6),
                                    rs.getLong(7)));
                }
            }
            return rows;
        }
    }

    private static List<String> storedCustomers(String prefix) throws SQLException {
        try (Connection c = database();
                PreparedStatement ps =
                        c.prepareStatement(
                                "SELECT customer_id FROM orders WHERE order_id LIKE ? ORDER BY id")) {
            ps.setString(1, prefix + "-%");
            List<String> customers = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    customers.add(rs.getString(1));
                }
            }
            return customers;
        }
    }
}

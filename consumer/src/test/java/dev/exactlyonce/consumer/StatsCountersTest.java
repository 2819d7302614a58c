package dev.exactlyonce.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.kafka.MessageIds;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The GetStats counters (order_totals, order_counts, orders_per_second) are moved by the consumer
 * once per batch (count_stored_batch), no longer by triggers. They must still say exactly what the
 * tables hold, as the triggers made them: here they are compared with COUNT(*) over the tables
 * after batches of every kind — new orders, retries skipped by the dedup, retries stored twice with
 * the dedup off (also twice in one batch), reused keys refused as conflicts, batches that store
 * nothing — in every mode. The order rows go in with COPY, so an item name with the characters
 * COPY's text format escapes is stored as sent.
 */
@MicronautTest(transactional = false)
class StatsCountersTest extends ConsumerServiceTestSupport {

    @Test
    void countersEqualTheTablesAfterBatchesOfEveryKind() throws Exception {
        String p = Pipeline.unique("mixed");

        // exactly-once, dedup on: 30 new orders, 10 of them retried (skipped), 3 keys reused
        // (conflicts)
        use(DeliveryMode.EXACTLY_ONCE, true);
        List<OrderEvent> batch = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            batch.add(order(p + "-" + i, "cust-001"));
        }
        for (int i = 0; i < 10; i++) {
            batch.add(order(p + "-" + i, "cust-001"));
        }
        for (int i = 10; i < 13; i++) {
            batch.add(order(p + "-" + i, "cust-999"));
        }
        sendAndCompare(batch);
        assertThat(Pipeline.stored(p)).isEqualTo(new Pipeline.Stored(30, 30));

        // at-least-once, dedup off: 10 retries stored again, 5 new orders, one of them twice in the
        // same batch, and a reused key (refused in every mode)
        use(DeliveryMode.AT_LEAST_ONCE, false);
        batch.clear();
        for (int i = 0; i < 10; i++) {
            batch.add(order(p + "-" + i, "cust-001"));
        }
        for (int i = 30; i < 35; i++) {
            batch.add(order(p + "-" + i, "cust-001"));
        }
        batch.add(order(p + "-30", "cust-001"));
        batch.add(order(p + "-20", "cust-777"));
        sendAndCompare(batch);
        assertThat(Pipeline.stored(p)).isEqualTo(new Pipeline.Stored(30 + 10 + 5 + 1, 35));

        // exactly-once, dedup on: only retries, nothing stored, nothing counted
        use(DeliveryMode.EXACTLY_ONCE, true);
        sendAndCompare(List.of(order(p + "-0", "cust-001"), order(p + "-31", "cust-001")));
        assertThat(Pipeline.stored(p)).isEqualTo(new Pipeline.Stored(46, 35));

        // at-most-once, dedup off: a retry stored a third time, and one new order
        use(DeliveryMode.AT_MOST_ONCE, false);
        sendAndCompare(List.of(order(p + "-0", "cust-001"), order(p + "-35", "cust-001")));
        assertThat(Pipeline.stored(p)).isEqualTo(new Pipeline.Stored(48, 36));
    }

    @Test
    void anItemNameThatCopyTextMustEscapeIsStoredAsSent() throws Exception {
        use(DeliveryMode.EXACTLY_ONCE, true);
        String orderId = Pipeline.unique("escapes");
        // control characters (tab, newline) break the order contract; backslashes and COPY's \N are
        // valid text
        String name = "back\\slash \\N \\t \\n, \"quoted\", ünïcödé ✓";
        Instant now = Instant.now();
        OrderEvent event =
                OrderEvent.newBuilder()
                        .setOrderId(orderId)
                        .setMessageId(MessageIds.forClientKey("cust\\001", orderId))
                        .setCustomerId("cust\\001")
                        .addItems(OrderItem.newBuilder().setName(name).setQuantity(1).setPrice(2.5))
                        .setTotalAmount(2.5)
                        .setProducedAt(
                                Timestamp.newBuilder()
                                        .setSeconds(now.getEpochSecond())
                                        .setNanos(now.getNano()))
                        .setDeliveryMode(DeliveryMode.EXACTLY_ONCE)
                        .setProducerId("test-producer")
                        .build();

        sendAndCompare(List.of(event));

        try (Connection c = database();
                PreparedStatement ps =
                        c.prepareStatement(
                                "SELECT customer_id, items -> 0 ->> 'name', total_amount FROM orders WHERE order_id = ?")) {
            ps.setString(1, orderId);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("cust\\001");
                assertThat(rs.getString(2)).isEqualTo(name);
                assertThat(rs.getBigDecimal(3)).isEqualByComparingTo("2.50");
                assertThat(rs.next()).isFalse();
            }
        }
    }

    private void sendAndCompare(List<OrderEvent> events) throws Exception {
        Pipeline.send(events);
        Pipeline.awaitCaughtUp(group);
        assertCountersEqualTheTables();
    }

    /**
     * What GetStats reads (what the triggers kept before V4), against the same figures counted from
     * the tables.
     */
    static void assertCountersEqualTheTables() throws SQLException {
        try (Connection c = database();
                Statement s = c.createStatement()) {
            // one snapshot for every count: nothing commits in between
            c.setAutoCommit(false);
            s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
            try (ResultSet rs =
                    s.executeQuery(
                            """
                    SELECT t.total_rows, (SELECT count(*) FROM orders),
                           t.distinct_orders, (SELECT count(DISTINCT message_id) FROM orders),
                           t.processed_messages, (SELECT count(*) FROM processed_messages)
                    FROM order_totals t WHERE t.id = 1""")) {
                rs.next();
                assertThat(rs.getLong(1)).as("total_rows").isEqualTo(rs.getLong(2));
                assertThat(rs.getLong(3)).as("distinct_orders").isEqualTo(rs.getLong(4));
                assertThat(rs.getLong(5)).as("processed_messages").isEqualTo(rs.getLong(6));
            }
            assertThat(
                            differences(
                                    s,
                                    "SELECT message_id, row_count::bigint FROM order_counts",
                                    "SELECT message_id, count(*) FROM orders GROUP BY message_id"))
                    .as("order_counts")
                    .isEmpty();
            assertThat(
                            differences(
                                    s,
                                    "SELECT second, rows FROM orders_per_second",
                                    "SELECT date_trunc('second', processed_at), count(*) FROM orders GROUP BY 1"))
                    .as("orders_per_second")
                    .isEmpty();
            c.rollback();
        }
    }

    /** Rows in one query and not in the other, either way (at most 10, as text). */
    private static List<String> differences(Statement s, String counters, String counted)
            throws SQLException {
        List<String> differences = new ArrayList<>();
        try (ResultSet rs =
                s.executeQuery(
                        "("
                                + counters
                                + " EXCEPT "
                                + counted
                                + ") UNION ALL ("
                                + counted
                                + " EXCEPT "
                                + counters
                                + ") LIMIT 10")) {
            while (rs.next()) {
                differences.add(rs.getString(1) + " " + rs.getString(2));
            }
        }
        return differences;
    }

    /**
     * An attempt of an order placed under cust-001's key {@code orderId} (the message id derived
     * from it, as the producer does); with another customerId, a record that reuses that key for
     * another order.
     */
    private static OrderEvent order(String orderId, String customerId) {
        Instant now = Instant.now();
        return OrderEvent.newBuilder()
                .setOrderId(orderId)
                .setMessageId(MessageIds.forClientKey("cust-001", orderId))
                .setCustomerId(customerId)
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

    private static Connection database() throws SQLException {
        var infra = Pipeline.infra();
        return DriverManager.getConnection(infra.jdbcUrl(), infra.jdbcUser(), infra.jdbcPassword());
    }
}

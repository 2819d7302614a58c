package dev.exactlyonce.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.OrderItem;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Poison never stops the pipeline. Records written to topic orders by something other than our
 * producer (which refuses them at the edge) break the order contract; each is dead-lettered alone,
 * with its reason, in the batch's transaction, and every other record is stored. A row PostgreSQL
 * itself refuses (SQLSTATE class 22/23) is found by storing the batch row by row under savepoints.
 * A failure that is not the data's (a stalled write) is retried, and past
 * app.consumer.stalled-after readiness says so.
 */
@MicronautTest(transactional = false)
class PoisonOrdersTest extends ConsumerServiceTestSupport {

    /** A stalled loop turns readiness NOT_SERVING after 2 s, and retries at least every 500 ms. */
    @Override
    Map<String, String> extraProperties() {
        return Map.of(
                "app.consumer.stalled-after", "2s", "app.consumer.retry-max-backoff", "500ms");
    }

    private static OrderEvent order(
            String orderId, String customerId, String name, double price, double total) {
        return Pipeline.order(orderId, orderId + "-m").toBuilder()
                .setCustomerId(customerId)
                .clearItems()
                .addItems(OrderItem.newBuilder().setName(name).setQuantity(1).setPrice(price))
                .setTotalAmount(total)
                .build();
    }

    @ParameterizedTest
    @EnumSource(
            value = DeliveryMode.class,
            names = {"AT_MOST_ONCE", "AT_LEAST_ONCE", "EXACTLY_ONCE"})
    void hostileOrdersAreDeadLetteredAndEveryOrderAfterThemIsStored(DeliveryMode mode)
            throws Exception {
        use(mode, true);
        String hostile = Pipeline.unique("hostile");
        String good = Pipeline.unique("good");
        List<OrderEvent> events = new ArrayList<>();
        events.add(order(hostile + "-nul-name", "c", "Wid\u0000get", 1, 1));
        events.add(order(hostile + "-nul-customer", "cust\u0000", "n", 1, 1));
        events.add(order(hostile + "-escapes", "c", "\u0007\u001b[31mred", 1, 1));
        events.add(order(hostile + "-1e15", "c", "n", 1e15, 1e15));
        events.add(order(hostile + "-half-cent", "c", "n", 0.01, 0.015));
        events.add(
                order(
                        hostile + "-emoji",
                        "😀".repeat(40),
                        "n",
                        1,
                        1)); // odd, but valid: stored as sent
        events.addAll(Pipeline.orders(good, 300));
        Pipeline.send(events);
        Pipeline.awaitCaughtUp(group);
        // at-most-once commits a batch's offsets before it writes the batch: caught up is not
        // stored yet (seen on a busy machine: 185 of 300)
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(
                        () ->
                                assertThat(Pipeline.stored(good))
                                        .isEqualTo(new Pipeline.Stored(300, 300)));
        assertThat(Pipeline.stored(hostile)).isEqualTo(new Pipeline.Stored(1, 1));
        assertThat(Pipeline.deadLetters(hostile))
                .extracting(Pipeline.StoredDeadLetter::reason)
                .containsExactlyInAnyOrder(
                        "breaks the order contract: items[0].name: must not contain control characters, got U+0000 at character 3",
                        "breaks the order contract: customer_id: must not contain control characters, got U+0000 at character 4",
                        "breaks the order contract: items[0].name: must not contain control characters, got U+0007 at character 0",
                        "breaks the order contract: items[0].price: must be at most 999999999999.99, got 1000000000000000",
                        "breaks the order contract: total_amount: at most 2 decimals (whole cents), got 0.015");
        assertThat(Pipeline.deadLetters(hostile))
                .allSatisfy(
                        letter -> assertThat(letter.messageId()).isEqualTo(letter.key() + "-m"));
    }

    @Test
    void aRowPostgresRefusesIsFoundAndDeadLetteredAloneTheRestOfItsBatchIsStored()
            throws Exception {
        use(DeliveryMode.EXACTLY_ONCE, true);
        String prefix = Pipeline.unique("refused");
        execute(
                "ALTER TABLE orders ADD CONSTRAINT test_refused CHECK (customer_id <> 'refused-by-postgres') NOT VALID");
        try {
            List<OrderEvent> events = new ArrayList<>(Pipeline.orders(prefix, 50));
            events.add(25, order(prefix + "-x", "refused-by-postgres", "n", 1, 1));
            Pipeline.send(events);
            Pipeline.awaitCaughtUp(group);
        } finally {
            execute("ALTER TABLE orders DROP CONSTRAINT test_refused");
        }
        assertThat(Pipeline.stored(prefix)).isEqualTo(new Pipeline.Stored(50, 50));
        assertThat(Pipeline.deadLetters(prefix))
                .singleElement()
                .satisfies(
                        letter -> {
                            assertThat(letter.key()).isEqualTo(prefix + "-x");
                            assertThat(letter.reason())
                                    .startsWith("PostgreSQL refused the row: SQLSTATE 23514");
                        });
    }

    @Test
    void aLoopThatRetriesPastItsBoundIsNotReadyAndSaysWhy() throws Exception {
        use(DeliveryMode.EXACTLY_ONCE, true);
        String prefix = Pipeline.unique("stalled");
        // a failure that is not the data's (53000, insufficient resources): retried, never
        // dead-lettered
        execute(
                """
                CREATE FUNCTION test_stall() RETURNS trigger AS $$
                BEGIN
                    RAISE EXCEPTION 'simulated outage' USING ERRCODE = '53000';
                END;
                $$ LANGUAGE plpgsql""");
        execute(
                "CREATE TRIGGER test_stall BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION test_stall()");
        try {
            Pipeline.send(Pipeline.orders(prefix, 10));
            await().atMost(Duration.ofSeconds(30))
                    .ignoreException(StatusRuntimeException.class)
                    .untilAsserted(
                            () -> {
                                assertThat(probe.health("")).isEqualTo(ServingStatus.NOT_SERVING);
                                assertThat(probe.get("/health/readiness").body())
                                        .contains("stalled for", "simulated outage");
                            });
        } finally {
            execute("DROP TRIGGER test_stall ON orders");
            execute("DROP FUNCTION test_stall()");
        }
        Pipeline.awaitCaughtUp(group);
        assertThat(Pipeline.stored(prefix)).isEqualTo(new Pipeline.Stored(10, 10));
        assertThat(Pipeline.deadLetters(prefix)).isEmpty();
        probe.awaitHealth("", ServingStatus.SERVING, Duration.ofSeconds(30));
    }

    private static void execute(String sql) throws SQLException {
        var infra = Pipeline.infra();
        try (Connection c =
                        DriverManager.getConnection(
                                infra.jdbcUrl(), infra.jdbcUser(), infra.jdbcPassword());
                Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}

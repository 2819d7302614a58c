package dev.exactlyonce.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.util.JsonFormat;
import dev.exactlyonce.contract.OrderArbitraries;
import dev.exactlyonce.contract.OrderContract;
import dev.exactlyonce.contract.OrderContract.Violation;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import io.micronaut.context.ApplicationContext;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * The order contract proved against the real consumer and PostgreSQL: generated orders (hostile
 * text of every kind, odd amounts, broken totals) are checked by {@link OrderContract}; every order
 * it accepts, written to topic orders, is stored by the consumer exactly as sent (none
 * dead-lettered, nothing changed), and every order it refuses is refused naming a field of the
 * order.
 */
class OrderContractPropertyTest {

    private static final Pattern FIELD =
            Pattern.compile(
                    "order_id|customer_id|items(\\[\\d+](\\.(name|quantity|price))?)?|total_amount");

    private static String group;
    private static ApplicationContext consumer;

    @BeforeContainer
    static void startConsumer() throws Exception {
        group = Pipeline.unique("contract-property");
        Pipeline.startGroupAtEnd(group);
        consumer = Pipeline.startConsumer(group, Pipeline.unique("pod"));
        // the schema (dead_letters included) exists once the consumer migrated it: a try whose
        // orders are all refused reads dead_letters at once, before any record was stored
        SchemaMigration schema = consumer.getBean(SchemaMigration.class);
        await().atMost(Duration.ofSeconds(60)).until(schema::isMigrated);
    }

    @AfterContainer
    static void stopConsumer() {
        consumer.close();
    }

    @Property(tries = 30)
    void everyAcceptedOrderIsStoredAsSentAndEveryRefusalNamesItsField(
            @ForAll("orders") List<PlaceOrderRequest> offered) throws Exception {
        String prefix = Pipeline.unique("prop");
        Map<String, PlaceOrderRequest> accepted = new HashMap<>();
        List<OrderEvent> events = new ArrayList<>();
        for (PlaceOrderRequest order : offered) {
            Violation refused = OrderContract.check(order);
            Statistics.collect(
                    refused == null
                            ? "accepted"
                            : "refused: " + refused.field().replaceAll("\\d+", "n"));
            if (refused != null) {
                assertThat(refused.field()).matches(FIELD);
                assertThat(refused.rule()).isNotBlank();
                continue;
            }
            String orderId = prefix + "-" + accepted.size();
            accepted.put(orderId, order);
            events.add(
                    Pipeline.order(orderId, orderId + "-m").toBuilder()
                            .setCustomerId(order.getCustomerId())
                            .clearItems()
                            .addAllItems(order.getItemsList())
                            .setTotalAmount(order.getTotalAmount())
                            .build());
        }
        Pipeline.send(events);
        Pipeline.awaitCaughtUp(group);

        assertThat(Pipeline.deadLetters(prefix)).as("dead-lettered after acceptance").isEmpty();
        var infra = Pipeline.infra();
        try (Connection c =
                        DriverManager.getConnection(
                                infra.jdbcUrl(), infra.jdbcUser(), infra.jdbcPassword());
                PreparedStatement ps =
                        c.prepareStatement(
                                "SELECT order_id, customer_id, items::text, total_amount FROM orders WHERE order_id LIKE ?")) {
            ps.setString(1, prefix + "-%");
            int rows = 0;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows++;
                    PlaceOrderRequest sent = accepted.get(rs.getString(1));
                    assertThat(rs.getString(2)).isEqualTo(sent.getCustomerId());
                    assertThat(itemsOf(rs.getString(3))).isEqualTo(sent.getItemsList());
                    assertThat(rs.getBigDecimal(4))
                            .isEqualByComparingTo(
                                    BigDecimal.valueOf(
                                            OrderContract.cents(sent.getTotalAmount()), 2));
                }
            }
            assertThat(rows).as("every accepted order stored once").isEqualTo(accepted.size());
        }
    }

    private static List<OrderItem> itemsOf(String json) throws Exception {
        List<OrderItem> items = new ArrayList<>();
        // [{"name":…,"quantity":…,"price":…}, …] as the consumer's JsonFormat printed it
        var array = com.google.gson.JsonParser.parseString(json).getAsJsonArray();
        for (var element : array) {
            OrderItem.Builder item = OrderItem.newBuilder();
            JsonFormat.parser().merge(element.toString(), item);
            items.add(item.build());
        }
        return items;
    }

    @Provide
    Arbitrary<List<PlaceOrderRequest>> orders() {
        return OrderArbitraries.orders();
    }
}

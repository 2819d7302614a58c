package dev.exactlyonce.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.OrderItem;
import java.math.BigDecimal;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What counts as the same order (a retry) and what as another one (a reused key). */
class OrderFingerprintTest {

    private static final List<OrderItem> WIDGETS = List.of(item("Widget", 2, 19.99));
    private static final byte[] ORDER =
            OrderFingerprint.of("cust-001", WIDGETS, new BigDecimal("39.98"));

    private static OrderItem item(String name, int quantity, double price) {
        return OrderItem.newBuilder().setName(name).setQuantity(quantity).setPrice(price).build();
    }

    @Test
    void isSha256AndTheSameForTheSameContent() {
        assertThat(ORDER)
                .hasSize(32)
                .isEqualTo(
                        OrderFingerprint.of(
                                "cust-001",
                                List.of(item("Widget", 2, 19.99)),
                                new BigDecimal("39.98")));
    }

    @Test
    void decimalsAreComparedByValueNotByScale() {
        byte[] tenDimes =
                OrderFingerprint.of("c", List.of(item("Dime", 10, 0.1)), new BigDecimal("1.00"));

        assertThat(
                        OrderFingerprint.of(
                                "c", List.of(item("Dime", 10, 0.10)), new BigDecimal("1.00")))
                .isEqualTo(tenDimes);
        assertThat(OrderFingerprint.of("c", List.of(item("Free", 1, 0.0)), new BigDecimal("0.00")))
                .isEqualTo(
                        OrderFingerprint.of(
                                "c", List.of(item("Free", 1, -0.0)), new BigDecimal("0.00")));
    }

    static Stream<Arguments> otherOrders() {
        return Stream.of(
                Arguments.of(
                        "another customer",
                        OrderFingerprint.of("cust-002", WIDGETS, new BigDecimal("39.98"))),
                Arguments.of(
                        "another quantity",
                        OrderFingerprint.of(
                                "cust-001",
                                List.of(item("Widget", 3, 19.99)),
                                new BigDecimal("59.97"))),
                Arguments.of(
                        "another price",
                        OrderFingerprint.of(
                                "cust-001",
                                List.of(item("Widget", 2, 19.98)),
                                new BigDecimal("39.98"))),
                Arguments.of(
                        "another item name",
                        OrderFingerprint.of(
                                "cust-001",
                                List.of(item("Gadget", 2, 19.99)),
                                new BigDecimal("39.98"))),
                Arguments.of(
                        "another total",
                        OrderFingerprint.of("cust-001", WIDGETS, new BigDecimal("39.99"))),
                Arguments.of(
                        "one more item",
                        OrderFingerprint.of(
                                "cust-001",
                                List.of(item("Widget", 2, 19.99), item("Gizmo", 1, 0)),
                                new BigDecimal("39.98"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("otherOrders")
    void differsForAnotherOrder(String description, byte[] other) {
        assertThat(other).as(description).hasSize(32).isNotEqualTo(ORDER);
    }

    @Test
    void theItemsOrderIsPartOfTheOrder() {
        List<OrderItem> two = List.of(item("A", 1, 1), item("B", 1, 2));
        List<OrderItem> swapped = List.of(item("B", 1, 2), item("A", 1, 1));

        // a retry resends the same request: the items come in the same order; a reordered list is
        // another request
        assertThat(OrderFingerprint.of("c", swapped, new BigDecimal("3.00")))
                .isNotEqualTo(OrderFingerprint.of("c", two, new BigDecimal("3.00")));
    }

    @Test
    void stringsAreLengthPrefixedSoNoBoundaryCanBeForged() {
        assertThat(
                        OrderFingerprint.of(
                                "c",
                                List.of(item("ab", 1, 1), item("c", 1, 1)),
                                new BigDecimal("2.00")))
                .isNotEqualTo(
                        OrderFingerprint.of(
                                "c",
                                List.of(item("a", 1, 1), item("bc", 1, 1)),
                                new BigDecimal("2.00")));
    }
}

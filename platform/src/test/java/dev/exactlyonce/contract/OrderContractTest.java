package dev.exactlyonce.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.contract.OrderContract.Violation;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The rules at their edges; what each hostile input gets (the table in docs/security.md). */
class OrderContractTest {

    static PlaceOrderRequest order(
            String customerId, String name, int quantity, double price, double total) {
        return PlaceOrderRequest.newBuilder()
                .setCustomerId(customerId)
                .addItems(
                        OrderItem.newBuilder().setName(name).setQuantity(quantity).setPrice(price))
                .setTotalAmount(total)
                .build();
    }

    @Test
    void acceptsOrdersAtTheEdgesOfEveryRule() {
        PlaceOrderRequest.Builder order =
                PlaceOrderRequest.newBuilder()
                        .setOrderId("Az09._:-" + "x".repeat(56))
                        .setCustomerId("c".repeat(64));
        for (int i = 0; i < 99; i++) {
            order.addItems(OrderItem.newBuilder().setName("n").setQuantity(1).setPrice(0));
        }
        order.addItems(
                OrderItem.newBuilder().setName("é".repeat(200)).setQuantity(10_000).setPrice(0.1));
        // whole cents: 10,000 x 0.10 is exactly 1,000.00, whatever binary floating point makes of
        // 0.1
        assertThat(OrderContract.check(order.setTotalAmount(1000).build())).isNull();
        assertThat(OrderContract.check(order.setTotalAmount(1000.01).build()))
                .isEqualTo(
                        new Violation(
                                "total_amount",
                                "must equal the sum of quantity x price (1000.00), got 1000.01"));
        assertThat(OrderContract.check(order("c", "n", 1, 999_999_999_999.99, 999_999_999_999.99)))
                .isNull();
    }

    @Test
    void countsCharactersAsPostgresVarcharDoesNotUtf16Units() {
        assertThat(OrderContract.check(order("😀".repeat(64), "n", 1, 1, 1))).isNull();
        assertThat(OrderContract.check(order("😀".repeat(65), "n", 1, 1, 1)))
                .isEqualTo(new Violation("customer_id", "must be 1..64 characters, got 65"));
    }

    @Test
    void aRecordNeedsItsIdsAndTheSameContent() {
        OrderEvent event =
                OrderEvent.newBuilder()
                        .setOrderId("o-1")
                        .setCustomerId("c")
                        .addItems(
                                OrderItem.newBuilder().setName("n").setQuantity(2).setPrice(19.99))
                        .setTotalAmount(39.98)
                        .build();
        assertThat(OrderContract.check(event, "m-1")).isNull();
        assertThat(OrderContract.check(event, ""))
                .isEqualTo(new Violation("message_id", "is required"));
        assertThat(OrderContract.check(event.toBuilder().setOrderId("").build(), "m-1"))
                .isEqualTo(new Violation("order_id", "is required"));
        assertThat(OrderContract.check(event.toBuilder().setCustomerId("a\u0000b").build(), "m-1"))
                .extracting(Violation::field)
                .isEqualTo("customer_id");
    }

    @Test
    void centsAreExact() {
        assertThat(OrderContract.cents(19.99)).isEqualTo(1999);
        assertThat(OrderContract.cents(0.1)).isEqualTo(10);
        assertThat(OrderContract.cents(999_999_999_999.99)).isEqualTo(99_999_999_999_999L);
    }

    static Stream<Arguments> hostileInputs() {
        return Stream.of(
                Arguments.of(
                        "a NUL in an item name",
                        order("c", "Wid\u0000get", 1, 1, 1),
                        "items[0].name: must not contain control characters, got U+0000 at character 3"),
                Arguments.of(
                        "a NUL in customer_id",
                        order("cust\u0000", "n", 1, 1, 1),
                        "customer_id: must not contain control characters, got U+0000 at character 4"),
                Arguments.of(
                        "a bell and a terminal escape in a name",
                        order("c", "\u0007\u001b[31mred", 1, 1, 1),
                        "items[0].name: must not contain control characters, got U+0007 at character 0"),
                Arguments.of(
                        "a C1 control character",
                        order("c", "a\u0085b", 1, 1, 1),
                        "items[0].name: must not contain control characters, got U+0085 at character 1"),
                Arguments.of(
                        "an unpaired surrogate",
                        order("c\ud800", "n", 1, 1, 1),
                        "customer_id: must be valid Unicode, got an unpaired surrogate at character 1"),
                Arguments.of(
                        "an empty customer_id",
                        order("", "n", 1, 1, 1),
                        "customer_id: must be 1..64 characters, got 0"),
                Arguments.of(
                        "a total of 1e15",
                        order("c", "n", 1, 1e15, 1e15),
                        "items[0].price: must be at most 999999999999.99, got 1000000000000000"),
                Arguments.of(
                        "a line above the column",
                        order("c", "n", 10_000, 999_999_999_999.99, 1),
                        "items[0]: quantity x price must be at most 999999999999.99"),
                Arguments.of(
                        "a total of 0.015 for one item at 0.01",
                        order("c", "n", 1, 0.01, 0.015),
                        "total_amount: at most 2 decimals (whole cents), got 0.015"),
                Arguments.of(
                        "a price in fractions of a cent",
                        order("c", "n", 1, 0.005, 0.01),
                        "items[0].price: at most 2 decimals (whole cents), got 0.005"),
                Arguments.of(
                        "a negative price",
                        order("c", "n", 1, -1, -1),
                        "items[0].price: must be >= 0, got -1.0"),
                Arguments.of(
                        "NaN",
                        order("c", "n", 1, Double.NaN, 1),
                        "items[0].price: must be a finite number"),
                Arguments.of(
                        "infinity",
                        order("c", "n", 1, 1, Double.POSITIVE_INFINITY),
                        "total_amount: must be a finite number"),
                Arguments.of(
                        "a total off by a cent",
                        order("c", "n", 2, 19.99, 39.97),
                        "total_amount: must equal the sum of quantity x price (39.98), got 39.97"),
                Arguments.of(
                        "no items",
                        PlaceOrderRequest.newBuilder().setCustomerId("c").build(),
                        "items: must hold 1..100 items, got 0"),
                Arguments.of(
                        "quantity 0",
                        order("c", "n", 0, 1, 0),
                        "items[0].quantity: must be 1..10000, got 0"),
                Arguments.of(
                        "a name of 201 characters",
                        order("c", "x".repeat(201), 1, 1, 1),
                        "items[0].name: must be 1..200 characters, got 201"),
                Arguments.of(
                        "an order_id with a slash",
                        order("c", "n", 1, 1, 1).toBuilder().setOrderId("a/b").build(),
                        "order_id: only letters, digits and . _ : - are allowed"),
                Arguments.of(
                        "an order_id of 65 characters",
                        order("c", "n", 1, 1, 1).toBuilder().setOrderId("x".repeat(65)).build(),
                        "order_id: at most 64 characters, got 65"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileInputs")
    void refusesHostileInputsNamingTheFieldAndTheRule(
            String what, PlaceOrderRequest order, String refusal) {
        assertThat(OrderContract.check(order)).as(what).hasToString(refusal);
    }

    @Test
    void storesOddButValidTextAsSent() {
        // 40 emoji, right-to-left text, a zero-width joiner, quotes and backslashes: valid, stored
        // as sent
        assertThat(
                        OrderContract.check(
                                order("😀".repeat(40), "\u202Eevil \u200d \"q\" \\N", 1, 1, 1)))
                .isNull();
    }
}

package dev.exactlyonce.producer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.contract.OrderContract;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.kafka.MessageIds;
import io.opentelemetry.api.OpenTelemetry;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The edges of the idempotency key: which order ids are accepted, which are refused
 * (INVALID_ARGUMENT on order_id, before anything is sent), and which message id an accepted one
 * gets. Expected ids are Python's {@code uuid.uuid5(UUID('6f1c2b8e-3d4a-4f0e-9b7a-2c5d8e1f0a93'),
 * customer_id + "/" + order_id)}: an independent implementation of the same RFC, so this also pins
 * the namespace.
 */
class IdempotencyKeyTest {

    private final OrderRecords records = new OrderRecords(OpenTelemetry.noop(), "producer-test");

    static Stream<Arguments> acceptedKeys() {
        return Stream.of(
                Arguments.of("a plain key", "order-1", "d6ad1657-5729-5ecc-ad41-7619f99b23b9"),
                Arguments.of(
                        "the same key in another case is another key",
                        "Order-1",
                        "27fbf27c-ed2d-58e4-9664-9383a81b276d"),
                Arguments.of("one character", "a", "6c4e17c9-48bf-53b4-82ec-83ccc7610d26"),
                Arguments.of(
                        "64 characters, the field's maximum",
                        "x".repeat(64),
                        "4d345234-b98a-523d-ac7a-782084390a74"),
                Arguments.of(
                        "a drill's key",
                        "drill-exactly-once-abc-42",
                        "30acdce2-788c-505d-9a3b-bfba0f2975f9"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("acceptedKeys")
    void aClientKeyGetsTheSameNameBasedMessageIdOnEveryAttempt(
            String description, String orderId, String expected) {
        PlaceOrderRequest order = Orders.valid("cust-1").toBuilder().setOrderId(orderId).build();
        assertThat(OrderContract.check(order)).as(description).isNull();

        OutgoingOrder first = records.prepare(order);
        OutgoingOrder retry = records.prepare(order);

        assertThat(first.orderId()).isEqualTo(orderId);
        assertThat(first.messageId())
                .as(description)
                .isEqualTo(expected)
                .isEqualTo(retry.messageId());
        assertThat(MessageIds.forClientKey("cust-1", orderId)).isEqualTo(expected);
    }

    static Stream<Arguments> refusedKeys() {
        return Stream.of(
                Arguments.of(
                        "65 characters, one over the schema's VARCHAR(64)",
                        "x".repeat(65),
                        "order_id: at most 64 characters, got 65"),
                Arguments.of(
                        "leading whitespace (never trimmed into another key)",
                        " order-1",
                        "order_id: only letters, digits and . _ : - are allowed"),
                Arguments.of(
                        "trailing whitespace",
                        "order-1 ",
                        "order_id: only letters, digits and . _ : - are allowed"),
                Arguments.of(
                        "a tab inside",
                        "order\t1",
                        "order_id: only letters, digits and . _ : - are allowed"),
                Arguments.of(
                        "an accented letter",
                        "ordér-1",
                        "order_id: only letters, digits and . _ : - are allowed"),
                Arguments.of(
                        "CJK characters",
                        "订单-1",
                        "order_id: only letters, digits and . _ : - are allowed"),
                Arguments.of(
                        "an emoji (two UTF-16 units)",
                        "order-😀",
                        "order_id: only letters, digits and . _ : - are allowed"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedKeys")
    void aKeyOutsideTheSchemaIsRefusedNamingTheField(
            String description, String orderId, String expected) {
        PlaceOrderRequest order = Orders.valid("cust-1").toBuilder().setOrderId(orderId).build();

        OrderContract.Violation violation = OrderContract.check(order);

        assertThat(violation).as(description).isNotNull();
        assertThat(violation.field()).isEqualTo("order_id");
        assertThat(violation.toString()).isEqualTo(expected);
        assertThat(violation.asException().getStatus().getCode())
                .isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void anEmptyKeyIsGeneratedAndEachAttemptIsANewOrderWithARandomMessageId() {
        PlaceOrderRequest order = Orders.valid("cust-1");
        assertThat(OrderContract.check(order)).isNull();

        OutgoingOrder first = records.prepare(order);
        OutgoingOrder second = records.prepare(order);

        String version4 = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
        assertThat(first.orderId()).matches(version4).isNotEqualTo(second.orderId());
        assertThat(first.messageId()).matches(version4).isNotEqualTo(second.messageId());
    }

    @Test
    void theKeyAloneDecidesTheMessageIdNotTheOrdersContent() {
        PlaceOrderRequest order = Orders.valid("cust-1").toBuilder().setOrderId("order-1").build();
        PlaceOrderRequest otherContent =
                order.toBuilder().setTotalAmount(5.5).removeItems(0).build();

        // the consumer's content fingerprint tells these apart and records a conflict
        assertThat(records.prepare(otherContent).messageId())
                .isEqualTo(records.prepare(order).messageId());
    }

    @Test
    void theKeysScopeIsTheCustomer() {
        PlaceOrderRequest order = Orders.valid("cust-1").toBuilder().setOrderId("order-1").build();
        PlaceOrderRequest anotherCustomers = order.toBuilder().setCustomerId("cust-2").build();

        assertThat(records.prepare(anotherCustomers).messageId())
                .isNotEqualTo(records.prepare(order).messageId());
    }
}

package dev.exactlyonce.producer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.kafka.MessageIds;
import io.opentelemetry.api.OpenTelemetry;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The edges of the idempotency key: which order ids are accepted, which are refused (INVALID_ARGUMENT on
 * order_id, before anything is sent), and which message id an accepted one gets. Expected ids are
 * Python's {@code uuid.uuid5(UUID('6f1c2b8e-3d4a-4f0e-9b7a-2c5d8e1f0a93'), order_id)}: an independent
 * implementation of the same RFC, so this also pins the namespace.
 */
class IdempotencyKeyTest {

    private final OrderRecords records = new OrderRecords(OpenTelemetry.noop(), "producer-test");

    static Stream<Arguments> acceptedKeys() {
        return Stream.of(
                Arguments.of("a plain key", "order-1", "7c8177d2-bd7f-5bfc-8249-c19464be9174"),
                Arguments.of("the same key in another case is another key", "Order-1", "4d9e771e-98dd-52ac-a48e-924a8fb8f131"),
                Arguments.of("one character", "a", "3c56f786-9a58-5815-8f99-d18943eb91a1"),
                Arguments.of("64 characters, the field's maximum", "x".repeat(64), "40d1d281-3696-5f1d-87f0-ab922d00cf5f"),
                Arguments.of("a drill's key", "drill-exactly-once-abc-42", "16583d42-52b9-5d49-a200-8383e371e28c"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("acceptedKeys")
    void aClientKeyGetsTheSameNameBasedMessageIdOnEveryAttempt(String description, String orderId, String expected) {
        PlaceOrderRequest order = Orders.valid("cust-1").toBuilder().setOrderId(orderId).build();
        assertThat(OrderValidator.check(order)).as(description).isNull();

        OutgoingOrder first = records.prepare(order);
        OutgoingOrder retry = records.prepare(order);

        assertThat(first.orderId()).isEqualTo(orderId);
        assertThat(first.messageId()).as(description).isEqualTo(expected).isEqualTo(retry.messageId());
        assertThat(MessageIds.forOrderId(orderId)).isEqualTo(expected);
    }

    static Stream<Arguments> refusedKeys() {
        return Stream.of(
                Arguments.of("65 characters, one over the schema's VARCHAR(64)", "x".repeat(65),
                        "order_id: at most 64 characters, got 65"),
                Arguments.of("leading whitespace (never trimmed into another key)", " order-1",
                        "order_id: only letters, digits and . _ : - are allowed"),
                Arguments.of("trailing whitespace", "order-1 ", "order_id: only letters, digits and . _ : - are allowed"),
                Arguments.of("a tab inside", "order\t1", "order_id: only letters, digits and . _ : - are allowed"),
                Arguments.of("an accented letter", "ordér-1", "order_id: only letters, digits and . _ : - are allowed"),
                Arguments.of("CJK characters", "订单-1", "order_id: only letters, digits and . _ : - are allowed"),
                Arguments.of("an emoji (two UTF-16 units)", "order-😀", "order_id: only letters, digits and . _ : - are allowed"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedKeys")
    void aKeyOutsideTheSchemaIsRefusedNamingTheField(String description, String orderId, String expected) {
        PlaceOrderRequest order = Orders.valid("cust-1").toBuilder().setOrderId(orderId).build();

        OrderValidator.Violation violation = OrderValidator.check(order);

        assertThat(violation).as(description).isNotNull();
        assertThat(violation.field()).isEqualTo("order_id");
        assertThat(violation.toString()).isEqualTo(expected);
        assertThat(violation.asException().getStatus().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void anEmptyKeyIsGeneratedAndEachAttemptIsANewOrderWithARandomMessageId() {
        PlaceOrderRequest order = Orders.valid("cust-1");
        assertThat(OrderValidator.check(order)).isNull();

        OutgoingOrder first = records.prepare(order);
        OutgoingOrder second = records.prepare(order);

        String version4 = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
        assertThat(first.orderId()).matches(version4).isNotEqualTo(second.orderId());
        assertThat(first.messageId()).matches(version4).isNotEqualTo(second.messageId());
    }

    @Test
    void theKeyAloneDecidesTheMessageIdNotTheOrdersContent() {
        PlaceOrderRequest order = Orders.valid("cust-1").toBuilder().setOrderId("order-1").build();
        PlaceOrderRequest otherContent = Orders.valid("cust-2").toBuilder().setOrderId("order-1").build();

        // the consumer's content fingerprint tells these apart and records a conflict
        assertThat(records.prepare(otherContent).messageId()).isEqualTo(records.prepare(order).messageId());
    }
}

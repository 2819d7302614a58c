package dev.exactlyonce.producer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import org.junit.jupiter.api.Test;

/** The edges of the rules are inside them (the refused side is BadRequestsTest, through gRPC). */
class OrderValidatorTest {

    @Test
    void acceptsOrdersAtTheEdgesOfEveryRule() {
        PlaceOrderRequest.Builder order = PlaceOrderRequest.newBuilder()
                .setOrderId("Az09._:-" + "x".repeat(56))
                .setCustomerId("c".repeat(64));
        for (int i = 0; i < 99; i++) {
            order.addItems(OrderItem.newBuilder().setName("n").setQuantity(1).setPrice(0));
        }
        order.addItems(OrderItem.newBuilder().setName("é".repeat(200)).setQuantity(10_000).setPrice(0.1));
        // 10000 x 0.1 in binary floating point is not exactly 1000: the half-cent tolerance absorbs it
        assertThat(OrderValidator.check(order.setTotalAmount(1000.004).build())).isNull();
        assertThat(OrderValidator.check(order.setTotalAmount(999.996).build())).isNull();
        assertThat(OrderValidator.check(order.setTotalAmount(1000.006).build()))
                .extracting(OrderValidator.Violation::field).isEqualTo("total_amount");
    }

    @Test
    void anEmptyOrderIdIsGeneratedNotRefused() {
        assertThat(OrderValidator.check(Orders.valid("c"))).isNull();
        assertThat(OrderRecords.randomId()).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    }

    @Test
    void countsCharactersNotUtf16Units() {
        PlaceOrderRequest emoji = Orders.valid("😀".repeat(64));
        assertThat(OrderValidator.check(emoji)).isNull();
        assertThat(OrderValidator.check(emoji.toBuilder().setCustomerId("😀".repeat(65)).build()))
                .extracting(OrderValidator.Violation::field).isEqualTo("customer_id");
    }
}

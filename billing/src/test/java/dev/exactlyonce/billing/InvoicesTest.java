package dev.exactlyonce.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactlyonce.grpc.v1.Invoice;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.kafka.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * The invoice arithmetic in whole cents, at the contract's largest amount and at a half cent of
 * tax.
 */
class InvoicesTest {

    private static ConsumerRecord<String, byte[]> record(double price, int quantity, double total) {
        OrderEvent order =
                OrderEvent.newBuilder()
                        .setOrderId("o-1")
                        .setMessageId("m-1")
                        .setCustomerId("c")
                        .addItems(
                                OrderItem.newBuilder()
                                        .setName("n")
                                        .setQuantity(quantity)
                                        .setPrice(price))
                        .setTotalAmount(total)
                        .build();
        return new ConsumerRecord<>(Topics.ORDERS, 0, 0, "o-1", order.toByteArray());
    }

    @Test
    void theLargestOrderIsBilledExactly() throws Exception {
        Invoice invoice = Invoices.invoice(record(999_999_999_999.99, 1, 999_999_999_999.99));
        assertThat(invoice.getNetCents()).isEqualTo(99_999_999_999_999L);
        assertThat(invoice.getTaxCents())
                .isEqualTo(20_000_000_000_000L); // 19,999,999,999,999.8 half-even
        assertThat(invoice.getGrossCents()).isEqualTo(119_999_999_999_999L);
    }

    @Test
    void taxIsRoundedHalfEvenInCents() throws Exception {
        // 5 cents x 20 % = 1 cent; 250 cents x 20 % = 50 cents; 10 cents x 20 % = 2 cents
        assertThat(Invoices.invoice(record(0.05, 1, 0.05)).getTaxCents()).isEqualTo(1);
        assertThat(Invoices.invoice(record(2.5, 1, 2.5)).getTaxCents()).isEqualTo(50);
        assertThat(Invoices.invoice(record(0.1, 1, 0.1)).getTaxCents()).isEqualTo(2);
    }

    @Test
    void anOrderThatBreaksTheContractIsPoison() {
        assertThatThrownBy(() -> Invoices.invoice(record(1e15, 1, 1e15)))
                .isInstanceOf(Invoices.PoisonOrder.class)
                .hasMessage(
                        "breaks the order contract: items[0].price: must be at most 999999999999.99, got 1000000000000000");
    }
}

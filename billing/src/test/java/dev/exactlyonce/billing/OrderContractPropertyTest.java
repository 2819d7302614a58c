package dev.exactlyonce.billing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.contract.OrderArbitraries;
import dev.exactlyonce.contract.OrderContract;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.Invoice;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.kafka.Topics;
import io.micronaut.context.ApplicationContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The order contract proved against the real billing stage and Kafka: every generated order the
 * contract accepts is invoiced exactly once, in exactly-once mode, with exact whole-cent
 * arithmetic, and none is dead-lettered (the refusal side is the consumer's property test and
 * OrderContractTest).
 */
class OrderContractPropertyTest {

    private static String group;
    private static ApplicationContext billing;

    @BeforeContainer
    static void startBilling() throws Exception {
        group = BillingPipeline.unique("billing-contract");
        BillingPipeline.startGroupAtEnd(group);
        billing = BillingPipeline.startBilling(group, BillingPipeline.unique("billing-pod"));
        BillingPipeline.use(billing, DeliveryMode.EXACTLY_ONCE);
    }

    @AfterContainer
    static void stopBilling() {
        billing.close();
    }

    @Property(tries = 15)
    void everyAcceptedOrderIsInvoicedOnceInWholeCents(
            @ForAll("orders") List<PlaceOrderRequest> offered) throws Exception {
        String prefix = BillingPipeline.unique("prop");
        Map<String, PlaceOrderRequest> accepted = new HashMap<>();
        List<OrderEvent> events = new ArrayList<>();
        for (PlaceOrderRequest order : offered) {
            if (OrderContract.check(order) == null) {
                String orderId = prefix + "-" + accepted.size();
                accepted.put(orderId, order);
                events.add(
                        BillingPipeline.order(orderId, orderId + "-m").toBuilder()
                                .setCustomerId(order.getCustomerId())
                                .clearItems()
                                .addAllItems(order.getItemsList())
                                .setTotalAmount(order.getTotalAmount())
                                .build());
            }
        }
        BillingPipeline.send(events);
        BillingPipeline.awaitCaughtUp(group);

        assertThat(BillingPipeline.committedRecords(Topics.BILLING_DLQ, prefix))
                .as("dead-lettered")
                .isEmpty();
        List<Invoice> invoices = BillingPipeline.invoices(prefix);
        assertThat(invoices)
                .extracting(Invoice::getOrderId)
                .containsExactlyInAnyOrderElementsOf(accepted.keySet());
        for (Invoice invoice : invoices) {
            PlaceOrderRequest order = accepted.get(invoice.getOrderId());
            assertThat(invoice.getCustomerId()).isEqualTo(order.getCustomerId());
            assertThat(invoice.getNetCents())
                    .isEqualTo(OrderContract.cents(order.getTotalAmount()));
            assertThat(invoice.getGrossCents())
                    .isEqualTo(invoice.getNetCents() + invoice.getTaxCents());
        }
    }

    @Provide
    Arbitrary<List<PlaceOrderRequest>> orders() {
        return OrderArbitraries.orders();
    }
}

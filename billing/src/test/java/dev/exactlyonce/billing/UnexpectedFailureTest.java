package dev.exactlyonce.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.billing.BillingMetrics.Total;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import io.micronaut.context.ApplicationContext;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An exception that is not Kafka's, thrown by billing's own code inside an open exactly-once
 * transaction ({@link LedgerFailingOnce}), ends that transaction: it is aborted and the batch read
 * again, and every order gets one invoice. Before, the transaction stayed open, every later
 * beginTransaction was refused ("Invalid transition attempted from state IN_TRANSACTION to state
 * IN_TRANSACTION"), and billing invoiced nothing more, logging that as fast as it could poll.
 */
class UnexpectedFailureTest {

    @Test
    void aFailureOfBillingsOwnCodeInsideATransactionAbortsItAndTheOrdersAreInvoicedOnce()
            throws Exception {
        String group = BillingPipeline.unique("billing-unexpected");
        String prefix = BillingPipeline.unique("unexpected");
        BillingPipeline.startGroupAtEnd(group);
        try (ApplicationContext billing =
                BillingPipeline.startBilling(
                        group, Map.of("test.billing.ledger-fails-once", "true"))) {
            BillingPipeline.awaitAssigned(billing);
            BillingPipeline.use(billing, DeliveryMode.EXACTLY_ONCE);
            BillingMetrics metrics = billing.getBean(BillingMetrics.class);

            BillingPipeline.send(BillingPipeline.orders(prefix, 20));

            await().atMost(Duration.ofSeconds(60))
                    .until(
                            () ->
                                    BillingPipeline.invoiced(prefix)
                                            .equals(new BillingPipeline.Invoiced(20, 20)));
            assertThat(((LedgerFailingOnce) billing.getBean(InvoiceLedger.class)).failed())
                    .isTrue();
            assertThat(metrics.total(Total.TRANSACTIONS_ABORTED)).isGreaterThanOrEqualTo(1);
        }
    }
}

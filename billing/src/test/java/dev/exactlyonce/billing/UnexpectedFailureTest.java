package dev.exactlyonce.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.billing.BillingMetrics.Total;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.server.LoopFailureHalt;
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
                        group, Map.of("test.billing.ledger-fails-once", "exception"))) {
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

    /**
     * An Error there (no catch of billing's is for one) would end micronaut-kafka's poll thread and
     * billing with it: the process halts with {@link LoopFailureHalt#EXIT_CODE} instead, and the
     * process started in its place invoices every order once (its producer fences the transaction
     * the halted one left open).
     */
    @Test
    void anErrorHaltsTheProcessAndTheRestartInvoicesEveryOrderOnce() throws Exception {
        String group = BillingPipeline.unique("billing-error");
        String pod = BillingPipeline.unique("billing-pod");
        String prefix = BillingPipeline.unique("error");
        BillingPipeline.startGroupAtEnd(group);
        Map<String, Object> dying = BillingPipeline.billingProperties(group, pod);
        dying.put("test.billing.ledger-fails-once", "error");
        try (ApplicationContext first =
                ApplicationContext.builder().environments("test").properties(dying).start()) {
            BillingPipeline.awaitAssigned(first);
            BillingPipeline.use(first, DeliveryMode.EXACTLY_ONCE);
            BillingPipeline.send(BillingPipeline.orders(prefix, 20));
            InProcessHalt halt = first.getBean(InProcessHalt.class);
            await().atMost(Duration.ofSeconds(30)).until(() -> halt.fired() == 1);
            assertThat(halt.lastStatus()).isEqualTo(LoopFailureHalt.EXIT_CODE);
        }

        try (ApplicationContext restarted = BillingPipeline.startBilling(group, pod)) {
            BillingPipeline.awaitCaughtUp(group);
            await().atMost(Duration.ofSeconds(30))
                    .until(
                            () ->
                                    BillingPipeline.invoiced(prefix)
                                            .equals(new BillingPipeline.Invoiced(20, 20)));
            assertThat(restarted.getBean(InProcessHalt.class).fired()).isZero();
        }
    }
}

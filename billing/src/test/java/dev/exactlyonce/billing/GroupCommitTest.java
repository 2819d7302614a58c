package dev.exactlyonce.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.OrderEvent;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.ApplicationContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Exactly-once group commit ({@link BillingStage}): behind a backlog one transaction takes the poll
 * batches the consumer has already fetched, and still every order is invoiced once. The tests'
 * billing polls at most 50 orders at a time ({@link BillingPipeline#billingProperties}).
 */
class GroupCommitTest {

    private static final int MAX_POLL_RECORDS = 50;

    @Test
    void oneTransactionTakesSeveralPollBatchesOfABacklog() throws Exception {
        String prefix = BillingPipeline.unique("group-commit");
        try (ApplicationContext billing =
                billBacklog(BillingPipeline.orders(prefix, 3_000), prefix, 3_000)) {
            DistributionSummary perTransaction =
                    billing.getBean(MeterRegistry.class)
                            .get("billing.transaction.orders")
                            .summary();
            assertThat(perTransaction.totalAmount()).isEqualTo(3_000);
            assertThat(perTransaction.max())
                    .as("orders in the largest transaction")
                    .isGreaterThan(MAX_POLL_RECORDS);
            assertThat(perTransaction.count())
                    .as("transactions, fewer than one per poll batch")
                    .isLessThan(3_000 / MAX_POLL_RECORDS);
        }
    }

    /**
     * The same order 60 records apart: in two poll batches, and behind a backlog most likely in one
     * transaction, whose own invoice ids (not the ledger, which knows only committed ones) must
     * recognise it.
     */
    @Test
    void theSameOrderInTwoPollBatchesIsInvoicedOnce() throws Exception {
        String prefix = BillingPipeline.unique("group-commit-twice");
        List<OrderEvent> orders = BillingPipeline.orders(prefix, 60);
        List<OrderEvent> twice = new ArrayList<>(orders);
        twice.addAll(orders);
        try (ApplicationContext billing = billBacklog(twice, prefix, 60)) {
            assertThat(
                            billing.getBean(BillingMetrics.class)
                                    .total(BillingMetrics.Total.ALREADY_INVOICED))
                    .isEqualTo(60);
        }
    }

    /**
     * Sends {@code backlog} to a new group in exactly-once, then starts billing on it and waits
     * until it caught up with one invoice for each of {@code distinct} orders; the billing is the
     * caller's to close.
     */
    private static ApplicationContext billBacklog(
            List<OrderEvent> backlog, String prefix, long distinct) throws Exception {
        String group = BillingPipeline.unique("billing-group-commit");
        BillingPipeline.startGroupAtEnd(group);
        exactlyOnce(group);
        BillingPipeline.send(backlog);
        ApplicationContext billing =
                BillingPipeline.startBilling(group, BillingPipeline.unique("billing-pod"));
        BillingPipeline.awaitCaughtUp(group);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(
                        () ->
                                assertThat(BillingPipeline.invoiced(prefix))
                                        .isEqualTo(
                                                new BillingPipeline.Invoiced(distinct, distinct)));
        return billing;
    }

    /**
     * The processing mode is shared by every billing of the cluster (exactly-once.settings), and
     * other tests change it: set exactly-once before the backlog is there, from a billing of the
     * same group that is closed again.
     */
    private static void exactlyOnce(String group) throws Exception {
        try (ApplicationContext billing =
                BillingPipeline.startBilling(group, BillingPipeline.unique("billing-pod"))) {
            BillingPipeline.use(billing, DeliveryMode.EXACTLY_ONCE);
        }
    }
}

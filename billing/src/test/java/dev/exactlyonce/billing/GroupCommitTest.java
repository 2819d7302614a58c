package dev.exactlyonce.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.UpdateBillingConfigRequest;
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
        String group = BillingPipeline.unique("billing-group-commit");
        String prefix = BillingPipeline.unique("group-commit");
        BillingPipeline.startGroupAtEnd(group);
        exactlyOnce(group);
        BillingPipeline.send(BillingPipeline.orders(prefix, 3_000)); // before billing starts

        try (ApplicationContext billing =
                BillingPipeline.startBilling(group, BillingPipeline.unique("billing-pod"))) {
            BillingPipeline.awaitCaughtUp(group);
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(
                            () ->
                                    assertThat(BillingPipeline.invoiced(prefix))
                                            .isEqualTo(new BillingPipeline.Invoiced(3_000, 3_000)));
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
        String group = BillingPipeline.unique("billing-group-commit-twice");
        String prefix = BillingPipeline.unique("group-commit-twice");
        BillingPipeline.startGroupAtEnd(group);
        exactlyOnce(group);
        List<OrderEvent> orders = BillingPipeline.orders(prefix, 60);
        List<OrderEvent> twice = new ArrayList<>(orders);
        twice.addAll(orders);
        BillingPipeline.send(twice);

        try (ApplicationContext billing =
                BillingPipeline.startBilling(group, BillingPipeline.unique("billing-pod"))) {
            BillingPipeline.awaitCaughtUp(group);
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(
                            () ->
                                    assertThat(BillingPipeline.invoiced(prefix))
                                            .isEqualTo(new BillingPipeline.Invoiced(60, 60)));
            assertThat(
                            billing.getBean(BillingMetrics.class)
                                    .total(BillingMetrics.Total.ALREADY_INVOICED))
                    .isEqualTo(60);
        }
    }

    /**
     * The processing mode is shared by every billing of the cluster (exactly-once.settings), and
     * other tests change it: set exactly-once before the backlog is there, from a billing of the
     * same group that is closed again.
     */
    private static void exactlyOnce(String group) throws Exception {
        try (ApplicationContext billing =
                BillingPipeline.startBilling(group, BillingPipeline.unique("billing-pod"))) {
            billing.getBean(SharedBillingConfig.class)
                    .update(
                            UpdateBillingConfigRequest.newBuilder()
                                    .setProcessingMode(DeliveryMode.EXACTLY_ONCE)
                                    .setFailureRate(0)
                                    .setCrashAfterMessages(0)
                                    .build());
        }
    }
}

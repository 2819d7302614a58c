package dev.exactlyonce.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.PartitionOffset;
import dev.exactlyonce.grpc.v1.ResetResponse;
import dev.exactlyonce.kafka.KafkaConnection;
import dev.exactlyonce.kafka.SharedSettings;
import dev.exactlyonce.kafka.Topics;
import io.micronaut.context.ApplicationContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A client's retry reaches billing as a second order record with the same message_id (the producer
 * derives it from the client's order_id) at a later offset. Exactly-once invoices it once — also
 * when billing restarted in between and knows the earlier invoices only from the invoices topic
 * (the {@link InvoiceLedger}); at-least-once invoices the retry again, the lesson shown honestly.
 */
class ClientRetryTest {

    private static final int FIRST = 100;
    private static final int NEW = 20;

    @ParameterizedTest(name = "{0}: {1} invoices for {2} orders")
    @CsvSource({"EXACTLY_ONCE, 120, 120", "AT_LEAST_ONCE, 220, 120"})
    void retriedOrders(DeliveryMode mode, long expectedInvoices, long expectedDistinct)
            throws Exception {
        String group = BillingPipeline.unique("billing-retry");
        String pod = BillingPipeline.unique("billing-pod");
        String prefix = BillingPipeline.unique("retry-" + mode.name().toLowerCase());
        BillingPipeline.startGroupAtEnd(group);
        List<OrderEvent> first = BillingPipeline.orders(prefix, FIRST);

        try (ApplicationContext billing = start(group, pod, mode)) {
            BillingPipeline.send(first);
            BillingPipeline.awaitCaughtUp(group);
        }
        // a new billing process: what it knows of the first invoices, it reads from Kafka
        try (ApplicationContext restarted = start(group, pod, mode)) {
            List<OrderEvent> retriesAndNew = new ArrayList<>(first);
            retriesAndNew.addAll(BillingPipeline.orders(prefix + "-new", NEW));
            BillingPipeline.send(retriesAndNew);
            BillingPipeline.awaitCaughtUp(group);
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(
                            () ->
                                    assertThat(BillingPipeline.invoiced(prefix))
                                            .isEqualTo(
                                                    new BillingPipeline.Invoiced(
                                                            expectedInvoices, expectedDistinct)));
            long recognised =
                    restarted
                            .getBean(BillingMetrics.class)
                            .total(BillingMetrics.Total.ALREADY_INVOICED);
            assertThat(recognised)
                    .as("retries recognised")
                    .isEqualTo(mode == DeliveryMode.EXACTLY_ONCE ? FIRST : 0);
        }
    }

    /**
     * The same order twice in one send: both records are likely in one poll batch, and still one
     * invoice.
     */
    @Test
    void theSameOrderTwiceInABatch() throws Exception {
        String group = BillingPipeline.unique("billing-retry-batch");
        String prefix = BillingPipeline.unique("retry-batch");
        BillingPipeline.startGroupAtEnd(group);
        try (ApplicationContext billing =
                start(group, BillingPipeline.unique("billing-pod"), DeliveryMode.EXACTLY_ONCE)) {
            List<OrderEvent> orders = BillingPipeline.orders(prefix, 30);
            List<OrderEvent> twice = new ArrayList<>();
            for (OrderEvent order : orders) {
                twice.add(order);
                twice.add(order);
            }
            BillingPipeline.send(twice);
            BillingPipeline.awaitCaughtUp(group);
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(
                            () ->
                                    assertThat(BillingPipeline.invoiced(prefix))
                                            .isEqualTo(new BillingPipeline.Invoiced(30, 30)));
        }
    }

    /**
     * Reset (QueryService) empties processed_messages, so an order id is new again on PostgreSQL's
     * leg, and announces the new audit window in exactly-once.settings: billing's ledger starts
     * over there too.
     */
    @Test
    void afterAResetTheSameOrderIdsAreNewAgain() throws Exception {
        String group = BillingPipeline.unique("billing-retry-reset");
        String prefix = BillingPipeline.unique("retry-reset");
        BillingPipeline.startGroupAtEnd(group);
        List<OrderEvent> orders = BillingPipeline.orders(prefix, 40);
        try (ApplicationContext billing =
                start(group, BillingPipeline.unique("billing-pod"), DeliveryMode.EXACTLY_ONCE)) {
            BillingPipeline.send(orders);
            BillingPipeline.awaitCaughtUp(group);
            ResetResponse window = announceNewAuditWindow();
            InvoiceLedger ledger = billing.getBean(InvoiceLedger.class);
            await().atMost(Duration.ofSeconds(10)).until(() -> ledger.auditWindow().equals(window));
            BillingPipeline.send(orders);
            BillingPipeline.awaitCaughtUp(group);
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(
                            () ->
                                    assertThat(BillingPipeline.invoiced(prefix))
                                            .isEqualTo(new BillingPipeline.Invoiced(80, 40)));
            assertThat(
                            billing.getBean(BillingMetrics.class)
                                    .total(BillingMetrics.Total.ALREADY_INVOICED))
                    .isZero();
        }
    }

    /**
     * What QueryService's Reset announces: the new audit window starts at the invoices' current
     * ends.
     */
    private static ResetResponse announceNewAuditWindow() throws Exception {
        ResetResponse.Builder window = ResetResponse.newBuilder();
        try (Admin admin = BillingPipeline.admin()) {
            BillingPipeline.endOffsets(admin, Topics.INVOICES, Topics.INVOICES_PARTITIONS)
                    .forEach(
                            (tp, offset) ->
                                    window.addAuditWindowStart(
                                            PartitionOffset.newBuilder()
                                                    .setTopic(tp.topic())
                                                    .setPartition(tp.partition())
                                                    .setOffset(offset)));
        }
        try (SharedSettings<ResetResponse> settings =
                new SharedSettings<>(
                                KafkaConnection.plaintext(BillingPipeline.bootstrapServers()),
                                Topics.AUDIT_WINDOW_SETTING,
                                ResetResponse.getDefaultInstance(),
                                ResetResponse.parser(),
                                value -> {})
                        .start(Duration.ofSeconds(10))) {
            return settings.publish(window.build(), Duration.ofSeconds(10));
        }
    }

    private static ApplicationContext start(String group, String pod, DeliveryMode mode)
            throws Exception {
        ApplicationContext billing = BillingPipeline.startBilling(group, pod);
        BillingPipeline.awaitAssigned(billing);
        BillingPipeline.use(billing, mode);
        return billing;
    }
}

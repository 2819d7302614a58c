package dev.exactlyonce.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.billing.BillingMetrics.Total;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.server.DependencyReadiness;
import dev.exactlyonce.server.StalledLoop;
import io.micronaut.context.ApplicationContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;

/**
 * A failure that does not go away is not a hot loop and not a silent one. Here billing.dlq takes no
 * record larger than 256 bytes, so the dead letter of a poison order is refused by the broker at
 * every attempt (RecordTooLargeException) and its transaction aborts: billing reads the batch again
 * after a growing backoff, and past stalled-after its readiness is NOT_SERVING, naming the failure.
 * Once the topic takes the letter again, the batch is billed and readiness recovers.
 */
class StalledBillingTest {

    @Test
    void aBatchThatKeepsFailingBacksOffAndTurnsReadinessNotServingUntilItIsBilled()
            throws Exception {
        String group = BillingPipeline.unique("billing-stall");
        String prefix = BillingPipeline.unique("stall");
        BillingPipeline.startGroupAtEnd(group);
        try (ApplicationContext billing =
                        BillingPipeline.startBilling(
                                group, Map.of("app.billing.stalled-after", "2s"));
                Admin admin = BillingPipeline.admin()) {
            BillingPipeline.awaitAssigned(billing);
            BillingPipeline.use(billing, DeliveryMode.EXACTLY_ONCE);
            BillingMetrics metrics = billing.getBean(BillingMetrics.class);
            StalledLoop stalled = billing.getBean(StalledLoop.class);
            DependencyReadiness readiness = billing.getBean(DependencyReadiness.class);
            await().atMost(Duration.ofSeconds(30)).until(readiness::isReady);

            dlqMaxMessageBytes(admin, List.of(set("256")));
            try {
                long abortedBefore = metrics.total(Total.TRANSACTIONS_ABORTED);
                BillingPipeline.sendRecords(
                        List.of(
                                new ProducerRecord<>(
                                        Topics.ORDERS,
                                        prefix + "-poison",
                                        "not a protobuf".getBytes(StandardCharsets.UTF_8))));
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> readiness.failing().contains(stalled.name()));
                assertThatThrownBy(stalled::check)
                        .hasMessageContaining("stalled for")
                        .hasMessageContaining("RecordTooLargeException");
                // read again and aborted again, never skipped
                assertThat(metrics.total(Total.TRANSACTIONS_ABORTED) - abortedBefore)
                        .isGreaterThanOrEqualTo(2);
                assertThat(BillingPipeline.committedRecords(Topics.BILLING_DLQ, prefix)).isEmpty();
            } finally {
                dlqMaxMessageBytes(
                        admin,
                        List.of(
                                new AlterConfigOp(
                                        new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, ""),
                                        AlterConfigOp.OpType.DELETE)));
            }

            BillingPipeline.send(BillingPipeline.orders(prefix + "-good", 10));
            await().atMost(Duration.ofSeconds(60))
                    .until(
                            () ->
                                    BillingPipeline.invoiced(prefix + "-good")
                                            .equals(new BillingPipeline.Invoiced(10, 10)));
            assertThat(BillingPipeline.committedRecords(Topics.BILLING_DLQ, prefix + "-poison"))
                    .hasSize(1);
            assertThat(stalled.stalledSeconds()).isZero();
            await().atMost(Duration.ofSeconds(10)).until(readiness::isReady);
        }
    }

    private static AlterConfigOp set(String maxMessageBytes) {
        return new AlterConfigOp(
                new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, maxMessageBytes),
                AlterConfigOp.OpType.SET);
    }

    private static void dlqMaxMessageBytes(Admin admin, Collection<AlterConfigOp> ops)
            throws Exception {
        admin.incrementalAlterConfigs(
                        Map.of(
                                new ConfigResource(ConfigResource.Type.TOPIC, Topics.BILLING_DLQ),
                                ops))
                .all()
                .get();
    }
}

package dev.exactlyonce.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.BillingCrashPoint;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.Invoice;
import dev.exactlyonce.grpc.v1.UpdateBillingConfigRequest;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.testkit.EmbeddedKafkaBroker;
import io.micronaut.context.ApplicationContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Exactly-once billing when commitTransaction times out: the broker goes away between
 * sendOffsetsToTransaction and commitTransaction (its own broker here, stopped by {@link
 * BrokerOutageHalt}). The producer then refuses anything but the commit again; billing must either
 * get the retried commit through, or replace the producer and take its positions from the group's
 * committed offsets — and in both cases bill on with every order invoiced exactly once. (Before
 * this, billing called abortTransaction, which the producer refuses after a timed-out commit, and
 * stayed stuck for good.)
 */
class CommitTimeoutTest {

    private static final int ORDERS = 300;

    @TempDir Path kafkaData;

    @ParameterizedTest(name = "broker down {0}, commit retried for {1}: {2}")
    @CsvSource({
        "PT3S,  PT60S, the retried commit goes through",
        "PT12S, PT2S,  the producer is replaced and the positions come from the group"
    })
    void billingGoesOnAfterACommitWithNoAnswer(Duration outage, Duration commitRetry, String how)
            throws Exception {
        try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(0, kafkaData).start()) {
            BrokerOutageHalt.broker = broker;
            try (Admin admin =
                    Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                Topics.ensureExist(admin, 30_000);
            }
            Map<String, Object> properties = new HashMap<>();
            properties.put("kafka.bootstrap.servers", broker.bootstrapServers());
            properties.put("app.billing.group-id", "billing-commit-timeout");
            properties.put("app.pod-name", "billing-commit-timeout");
            properties.put("app.billing.max-poll-records", "50");
            properties.put("app.billing.commit-retry-timeout", commitRetry.toMillis() + "ms");
            // each commitTransaction call waits this long for its answer
            properties.put("kafka.producers.billing-invoices-tx.max.block.ms", "2000");
            properties.put("test.broker-outage", outage.toMillis() + "ms");
            try (ApplicationContext billing =
                    ApplicationContext.builder()
                            .environments("test")
                            .properties(properties)
                            .start()) {
                BillingPipeline.awaitAssigned(billing);
                billing.getBean(SharedBillingConfig.class)
                        .update(
                                UpdateBillingConfigRequest.newBuilder()
                                        .setProcessingMode(DeliveryMode.EXACTLY_ONCE)
                                        .setCrashAfterMessages(40)
                                        .setCrashPoint(BillingCrashPoint.BEFORE_COMMIT)
                                        .build());
                BillingPipeline.send(
                        broker.bootstrapServers(), BillingPipeline.orders("timeout", ORDERS));
                BrokerOutageHalt outageDrill = billing.getBean(BrokerOutageHalt.class);
                await().atMost(Duration.ofSeconds(30)).until(() -> outageDrill.fired() == 1);

                BillingMetrics metrics = billing.getBean(BillingMetrics.class);
                await("every order invoiced once, after the outage")
                        .atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofMillis(500))
                        .ignoreExceptions()
                        .until(() -> invoiceIds(broker).size() >= ORDERS);
                List<String> invoiced = invoiceIds(broker);
                assertThat(invoiced)
                        .as("0 lost, 0 duplicated")
                        .hasSize(ORDERS)
                        .doesNotHaveDuplicates();
                assertThat(metrics.total(BillingMetrics.Total.COMMITS_RETRIED))
                        .as("commit retried")
                        .isPositive();
                if (outage.compareTo(commitRetry) < 0) {
                    assertThat(metrics.total(BillingMetrics.Total.PRODUCERS_RECREATED)).isZero();
                } else {
                    assertThat(metrics.total(BillingMetrics.Total.PRODUCERS_RECREATED))
                            .isPositive();
                }
            } finally {
                BrokerOutageHalt.broker = null;
            }
        }
    }

    /** The invoice ids of every committed invoice (read_committed) of this test's broker. */
    private static List<String> invoiceIds(EmbeddedKafkaBroker broker) throws Exception {
        List<String> ids = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record :
                BillingPipeline.committedRecords(
                        broker.bootstrapServers(), Topics.INVOICES, "timeout")) {
            ids.add(Invoice.parseFrom(record.value()).getInvoiceId());
        }
        return ids;
    }
}

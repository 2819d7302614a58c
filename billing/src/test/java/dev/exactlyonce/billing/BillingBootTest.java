package dev.exactlyonce.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.BillingConfig;
import dev.exactlyonce.grpc.v1.BillingControlGrpc;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.GetBillingConfigRequest;
import dev.exactlyonce.grpc.v1.Invoice;
import dev.exactlyonce.grpc.v1.UpdateBillingConfigRequest;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.testkit.ControlToken;
import dev.exactlyonce.testkit.ServiceProbe;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The service boots against real Kafka and answers what grpcurl, the probes and Prometheus ask. */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BillingBootTest implements TestPropertyProvider {

    @Inject GrpcEmbeddedServer grpcServer;

    @Inject EmbeddedServer managementServer;

    @Inject SharedBillingConfig config;

    @Override
    public Map<String, String> getProperties() {
        return BillingPipeline.serviceProperties(BillingPipeline.unique("billing-boot"));
    }

    @Test
    void servesHealthReflectionMetricsAndTheControlService() throws Exception {
        try (ServiceProbe probe =
                new ServiceProbe(grpcServer.getPort(), managementServer.getPort())) {
            probe.assertServes("exactlyonce.v1.BillingControl");
            BillingControlGrpc.BillingControlBlockingStub billing =
                    ControlToken.TEST.on(BillingControlGrpc.newBlockingStub(probe.channel()));
            BillingConfig current =
                    billing.getBillingConfig(GetBillingConfigRequest.getDefaultInstance());
            assertThat(current.getTransactionalId()).isEqualTo("billing-" + current.getPodName());

            assertThatThrownBy(
                            () ->
                                    billing.updateBillingConfig(
                                            UpdateBillingConfigRequest.newBuilder()
                                                    .setFailureRate(1.5)
                                                    .build()))
                    .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> {
                                assertThat(e.getStatus().getCode())
                                        .isEqualTo(Status.Code.INVALID_ARGUMENT);
                                assertThat(e.getStatus().getDescription())
                                        .startsWith("failure_rate:");
                            });
            assertThatThrownBy(
                            () ->
                                    billing.updateBillingConfig(
                                            UpdateBillingConfigRequest.newBuilder()
                                                    .setMaxAttempts(0)
                                                    .build()))
                    .hasMessageContaining("max_attempts:");

            String metrics = probe.get("/prometheus").body();
            assertThat(metrics)
                    .contains(
                            "billing_invoices_sent_total{",
                            "billing_transactions_total{",
                            "billing_orders_received_total",
                            "billing_crash_drills_fired_total",
                            "billing_dead_lettered_total");
            // the names as Prometheus shows them, for the chart's dashboard check (helm's
            // DashboardMetricsTest)
            TreeSet<String> names = new TreeSet<>();
            for (String line : metrics.split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    names.add(line.split("[{ ]", 2)[0]);
                }
            }
            Files.writeString(
                    Path.of("target", "prometheus-metric-names.txt"),
                    String.join("\n", names) + "\n");
        }
    }

    @Test
    void theOrdersTraceContinuesIntoTheInvoice() throws Exception {
        config.update(
                UpdateBillingConfigRequest.newBuilder()
                        .setProcessingMode(DeliveryMode.EXACTLY_ONCE)
                        .setCrashAfterMessages(0)
                        .setFailureRate(0)
                        .build());
        String prefix = BillingPipeline.unique("traced");
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        var order = BillingPipeline.order(prefix + "-0", prefix + "-0-m");
        ProducerRecord<String, byte[]> record =
                new ProducerRecord<>(Topics.ORDERS, order.getOrderId(), order.toByteArray());
        record.headers()
                .add(
                        Topics.HEADER_TRACEPARENT,
                        ("00-" + traceId + "-00f067aa0ba902b7-01")
                                .getBytes(StandardCharsets.UTF_8));
        BillingPipeline.sendRecords(List.of(record));

        await().atMost(Duration.ofSeconds(30))
                .until(() -> BillingPipeline.committedRecords(Topics.INVOICES, prefix).size() == 1);
        ConsumerRecord<String, byte[]> invoice =
                BillingPipeline.committedRecords(Topics.INVOICES, prefix).get(0);
        assertThat(BillingPipeline.header(invoice, Topics.HEADER_TRACEPARENT))
                .startsWith("00-" + traceId + "-")
                .doesNotContain("00f067aa0ba902b7");
        Invoice parsed = Invoice.parseFrom(invoice.value());
        assertThat(parsed.getInvoiceId()).isEqualTo(Invoices.invoiceId(order.getMessageId()));
        assertThat(parsed.getNetCents()).isEqualTo(3998);
        assertThat(parsed.getTaxCents()).isEqualTo(800);
        assertThat(parsed.getGrossCents()).isEqualTo(4798);
    }
}

package dev.exactlyonce.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.BillingConfig;
import dev.exactlyonce.grpc.v1.BillingCrashPoint;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.server.DependencyReadiness;
import dev.exactlyonce.testkit.ControlToken;
import dev.exactlyonce.testkit.SettingsApartCluster;
import io.micronaut.context.ApplicationContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A billing replica that starts while the settings topic is unreadable holds the defaults
 * (exactly-once, no simulated failures), and the settings stored at runtime may say otherwise: it
 * must bill nothing until it has read them, not bill under a guessed mode once its start-up wait
 * ran out. On a {@link SettingsApartCluster} with the settings' node down; the stored settings
 * (at-least-once, every attempt failing, one attempt) make each order a dead letter, where the
 * defaults would invoice it.
 */
class SettingsReadFirstTest {

    /** Client ports 24092..24094, controllers 24192..24194: clear of the shared test broker's. */
    private static final int FIRST_PORT = 24_092;

    @Test
    void billsNothingUntilTheStoredSettingsAreRead(@TempDir Path dir) throws Exception {
        String group = BillingPipeline.unique("settings-first");
        String prefix = BillingPipeline.unique("settings-first");
        try (SettingsApartCluster kafka = SettingsApartCluster.start(dir, FIRST_PORT)) {
            kafka.prepareGroup(group);
            kafka.storeSetting(
                    SharedBillingConfig.KEY,
                    BillingConfig.newBuilder()
                            .setProcessingMode(DeliveryMode.AT_LEAST_ONCE)
                            .setCrashPoint(BillingCrashPoint.AFTER_SEND)
                            .setFailureRate(1)
                            .setMaxAttempts(1)
                            .build()
                            .toByteArray());

            kafka.stopSettingsNode();
            try (ApplicationContext billing = startBilling(kafka.servers(), group)) {
                BillingPipeline.send(kafka.servers(), BillingPipeline.orders(prefix, 10));

                // the orders are there to read, the settings are not: nothing is billed
                await().during(Duration.ofSeconds(8))
                        .atMost(Duration.ofSeconds(12))
                        .pollInterval(Duration.ofMillis(500))
                        .until(
                                () ->
                                        BillingPipeline.committedRecords(
                                                                kafka.servers(),
                                                                Topics.INVOICES,
                                                                prefix)
                                                        .isEmpty()
                                                && BillingPipeline.committedRecords(
                                                                kafka.servers(),
                                                                Topics.BILLING_DLQ,
                                                                prefix)
                                                        .isEmpty());

                // and its health says so, rather than SERVING while it waits
                assertThat(billing.getBean(DependencyReadiness.class).failing())
                        .containsExactly("shared settings");

                kafka.startSettingsNode();
                // once read, the stored settings apply: every order a dead letter, none invoiced
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(500))
                        .until(
                                () ->
                                        BillingPipeline.committedRecords(
                                                                kafka.servers(),
                                                                Topics.BILLING_DLQ,
                                                                prefix)
                                                        .size()
                                                == 10);
                assertThat(billing.getBean(SharedBillingConfig.class).current())
                        .extracting(BillingConfig::getProcessingMode, BillingConfig::getMaxAttempts)
                        .containsExactly(DeliveryMode.AT_LEAST_ONCE, 1);
                assertThat(
                                BillingPipeline.committedRecords(
                                        kafka.servers(), Topics.INVOICES, prefix))
                        .isEmpty();
                await().atMost(Duration.ofSeconds(10))
                        .until(
                                () ->
                                        billing.getBean(DependencyReadiness.class)
                                                .failing()
                                                .isEmpty());
            }
        }
    }

    private static ApplicationContext startBilling(String servers, String group) {
        Map<String, Object> properties = new HashMap<>();
        properties.put("kafka.bootstrap.servers", servers);
        properties.putAll(ControlToken.TEST.serverProperties());
        properties.put("app.billing.group-id", group);
        properties.put("app.pod-name", BillingPipeline.unique("billing-pod"));
        return ApplicationContext.builder().environments("test").properties(properties).start();
    }
}

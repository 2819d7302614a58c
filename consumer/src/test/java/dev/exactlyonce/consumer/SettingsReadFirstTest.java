package dev.exactlyonce.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.ConsumerConfig;
import dev.exactlyonce.grpc.v1.CrashPoint;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.server.DependencyReadiness;
import dev.exactlyonce.testkit.SettingsApartCluster;
import io.micronaut.context.ApplicationContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A consumer replica that starts while the settings topic is unreadable holds the defaults
 * (exactly-once, no simulated failures), and the settings stored at runtime may say otherwise: it
 * must store nothing until it has read them, not store under a guessed mode once its start-up wait
 * ran out. On a {@link SettingsApartCluster} with the settings' node down; the stored settings
 * (at-least-once, every attempt failing, one attempt) make each order a dead letter, where the
 * defaults would store it.
 */
class SettingsReadFirstTest {

    /** Client ports 24092..24094, controllers 24192..24194: clear of the shared test broker's. */
    private static final int FIRST_PORT = 24_092;

    @Test
    void storesNothingUntilTheStoredSettingsAreRead(@TempDir Path dir) throws Exception {
        String group = Pipeline.unique("settings-first");
        String prefix = Pipeline.unique("settings-first");
        try (SettingsApartCluster kafka = SettingsApartCluster.start(dir, FIRST_PORT)) {
            kafka.prepareGroup(group);
            kafka.storeSetting(
                    SharedConsumerConfig.KEY,
                    ConsumerConfig.newBuilder()
                            .setProcessingMode(DeliveryMode.AT_LEAST_ONCE)
                            .setCrashPoint(CrashPoint.AFTER_DB_COMMIT)
                            .setFailureRate(1)
                            .setMaxAttempts(1)
                            .build()
                            .toByteArray());

            kafka.stopSettingsNode();
            Map<String, Object> properties =
                    Pipeline.consumerProperties(group, Pipeline.unique("consumer-pod"));
            properties.put("kafka.bootstrap.servers", kafka.servers());
            try (ApplicationContext consumer =
                    ApplicationContext.builder()
                            .environments("test")
                            .properties(properties)
                            .start()) {
                Pipeline.send(kafka.servers(), Pipeline.orders(prefix, 10));

                // the orders are there to read, the settings are not: nothing is stored
                await().during(Duration.ofSeconds(8))
                        .atMost(Duration.ofSeconds(12))
                        .pollInterval(Duration.ofMillis(500))
                        .until(
                                () ->
                                        Pipeline.stored(prefix).rows() == 0
                                                && Pipeline.deadLetters(prefix).isEmpty());

                // and its health says so, rather than SERVING while it waits
                assertThat(consumer.getBean(DependencyReadiness.class).failing())
                        .containsExactly("shared settings");

                kafka.startSettingsNode();
                // once read, the stored settings apply: every order a dead letter, none stored
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(500))
                        .until(() -> Pipeline.deadLetters(prefix).size() == 10);
                assertThat(consumer.getBean(SharedConsumerConfig.class).current())
                        .extracting(
                                ConsumerConfig::getProcessingMode, ConsumerConfig::getMaxAttempts)
                        .containsExactly(DeliveryMode.AT_LEAST_ONCE, 1);
                assertThat(Pipeline.stored(prefix).rows()).isZero();
                await().atMost(Duration.ofSeconds(10))
                        .until(
                                () ->
                                        consumer.getBean(DependencyReadiness.class)
                                                .failing()
                                                .isEmpty());
            }
        }
    }
}

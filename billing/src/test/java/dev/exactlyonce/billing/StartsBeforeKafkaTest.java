package dev.exactlyonce.billing;

import static org.awaitility.Awaitility.await;

import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.testkit.HostsFile;
import dev.exactlyonce.testkit.KafkaComesLater;
import io.micronaut.context.ApplicationContext;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import io.micronaut.runtime.server.EmbeddedServer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Billing starts before its Kafka with the chart's bootstrap list and not one name of it resolving
 * yet: micronaut-kafka constructs the listener's consumer while the context starts, and
 * kafka-clients refuse to construct one then (see platform's MicronautKafkaClients). The process
 * stays up, alive and not ready with the reason, and once the names resolve and the broker runs it
 * becomes ready and invoices an order, with no restart. Runs in the surefire execution hosts-file.
 */
@Tag(HostsFile.TAG)
class StartsBeforeKafkaTest {

    @Test
    void becomesReadyWhenNoKafkaNameResolvedAtStart() throws Exception {
        KafkaComesLater.verify(
                bootstrap -> {
                    EmbeddedServer management =
                            ApplicationContext.run(
                                    EmbeddedServer.class,
                                    Map.of(
                                            "kafka.bootstrap.servers",
                                            bootstrap,
                                            "app.pod-name",
                                            "starts-before-kafka-dns"),
                                    "test");
                    return new KafkaComesLater.Started(
                            management
                                    .getApplicationContext()
                                    .getBean(GrpcEmbeddedServer.class)
                                    .getPort(),
                            management.getPort(),
                            management::isRunning,
                            management);
                },
                KafkaComesLater::nothing,
                (probe, broker) -> {
                    BillingPipeline.send(
                            broker.bootstrapServers(),
                            BillingPipeline.orders("before-kafka-dns", 1));
                    await().atMost(Duration.ofSeconds(60))
                            .pollInterval(Duration.ofMillis(500))
                            .until(
                                    () ->
                                            BillingPipeline.committedRecords(
                                                                    broker.bootstrapServers(),
                                                                    Topics.INVOICES,
                                                                    "before-kafka-dns")
                                                            .size()
                                                    == 1);
                });
    }
}

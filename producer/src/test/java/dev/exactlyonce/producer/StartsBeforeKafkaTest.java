package dev.exactlyonce.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.testkit.EmbeddedKafkaBroker;
import dev.exactlyonce.testkit.ServiceProbe;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.micronaut.context.ApplicationContext;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import io.micronaut.runtime.server.EmbeddedServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The service starts before its Kafka, as on Kubernetes, where the pods of a release start
 * together: the bootstrap list is the chart's shape, a ClusterIP Service name first (it resolves as
 * soon as the Service exists, but nothing answers behind it yet: here 127.0.0.1 on a port where the
 * broker will listen) and per-broker pod names after it (they resolve only once a broker pod has an
 * IP: here names that never resolve). The process must stay up, alive but not ready, and become
 * ready and take orders once the broker is up, with no restart.
 */
class StartsBeforeKafkaTest {

    /**
     * A pod DNS name before the pod has an IP: the {@code .invalid} top-level domain never resolves
     * (RFC 2606).
     */
    private static final String UNRESOLVABLE_BROKER =
            "exactly-once-kafka-0.exactly-once-kafka-headless.invalid";

    @Test
    void becomesReadyWhenKafkaComesUp() throws Exception {
        Path dataDir = Files.createTempDirectory("producer-before-kafka-");
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(0, dataDir);
        String bootstrap =
                broker.bootstrapServers() + "," + UNRESOLVABLE_BROKER + ":" + broker.port();
        try (EmbeddedServer management =
                        ApplicationContext.run(
                                EmbeddedServer.class,
                                Map.of(
                                        "kafka.bootstrap.servers", bootstrap,
                                        "app.pod-name", "starts-before-kafka",
                                        "app.producer.send-timeout", "2s"),
                                "test");
                ServiceProbe probe =
                        new ServiceProbe(
                                management
                                        .getApplicationContext()
                                        .getBean(GrpcEmbeddedServer.class)
                                        .getPort(),
                                management.getPort())) {
            var orders = OrderServiceGrpc.newBlockingStub(probe.channel());

            // started, alive, not ready: what keeps Kubernetes from restarting it or sending it
            // traffic
            assertThat(management.isRunning()).isTrue();
            assertThat(probe.health("liveness")).isEqualTo(ServingStatus.SERVING);
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(
                            () -> {
                                assertThat(probe.health("")).isEqualTo(ServingStatus.NOT_SERVING);
                                assertThat(probe.get("/health/readiness").statusCode())
                                        .isEqualTo(503);
                            });

            broker.start();

            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .untilAsserted(
                            () -> {
                                assertThat(probe.health("")).isEqualTo(ServingStatus.SERVING);
                                assertThat(probe.get("/health/readiness").statusCode())
                                        .isEqualTo(200);
                            });
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> placedAndCommitted(orders));
            assertThat(management.isRunning()).isTrue();
        } finally {
            broker.stop();
        }
    }

    private static boolean placedAndCommitted(OrderServiceGrpc.OrderServiceBlockingStub orders) {
        try {
            return orders.withDeadlineAfter(20, TimeUnit.SECONDS)
                    .placeOrder(Orders.valid("before-kafka"))
                    .getStatus()
                    .equals("COMMITTED");
        } catch (StatusRuntimeException e) {
            return false;
        }
    }
}

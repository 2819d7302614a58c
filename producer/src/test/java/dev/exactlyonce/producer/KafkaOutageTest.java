package dev.exactlyonce.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.PlaceOrderResponse;
import dev.exactlyonce.testkit.EmbeddedKafkaBroker;
import dev.exactlyonce.testkit.ServiceProbe;
import io.grpc.Status;
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
 * Kafka goes away and comes back, on a broker of this test's own (the shared one must stay up):
 * calls fail with UNAVAILABLE within a bounded time instead of hanging, readiness turns false, and
 * the producer recovers by itself.
 */
class KafkaOutageTest {

    @Test
    void failsFastWhileKafkaIsDownAndRecoversByItself() throws Exception {
        Path dataDir = Files.createTempDirectory("producer-outage-");
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(0, dataDir).start();
        try (EmbeddedServer management =
                        ApplicationContext.run(
                                EmbeddedServer.class,
                                Map.of(
                                        "kafka.bootstrap.servers", broker.bootstrapServers(),
                                        "app.pod-name", "outage-test",
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
            probe.awaitHealth("", ServingStatus.SERVING, Duration.ofSeconds(30));
            assertThat(place(orders).getStatus()).isEqualTo("COMMITTED");

            broker.stop();

            // the deadline is only a bound for the test: the producer must answer UNAVAILABLE
            // before it
            for (int attempt = 0; attempt < 3; attempt++) {
                StatusRuntimeException refused =
                        catchThrowableOfType(StatusRuntimeException.class, () -> place(orders));
                assertThat(refused).isNotNull();
                assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(refused.getStatus().getDescription()).containsIgnoringCase("kafka");
            }
            await().atMost(Duration.ofSeconds(30))
                    .ignoreException(StatusRuntimeException.class)
                    .untilAsserted(
                            () -> {
                                assertThat(probe.health("")).isEqualTo(ServingStatus.NOT_SERVING);
                                assertThat(probe.get("/health/readiness").statusCode())
                                        .isEqualTo(503);
                            });
            assertThat(probe.health("liveness")).isEqualTo(ServingStatus.SERVING);

            broker.start();

            // until it works again; every failed attempt meanwhile is a quick UNAVAILABLE, never a
            // hang
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(
                            () -> {
                                try {
                                    return place(orders).getStatus().equals("COMMITTED");
                                } catch (StatusRuntimeException e) {
                                    assertThat(e.getStatus().getCode())
                                            .isEqualTo(Status.Code.UNAVAILABLE);
                                    return false;
                                }
                            });
            probe.awaitHealth("", ServingStatus.SERVING, Duration.ofSeconds(30));
        } finally {
            broker.stop();
        }
    }

    private static PlaceOrderResponse place(OrderServiceGrpc.OrderServiceBlockingStub orders) {
        return orders.withDeadlineAfter(20, TimeUnit.SECONDS).placeOrder(Orders.valid("outage"));
    }
}

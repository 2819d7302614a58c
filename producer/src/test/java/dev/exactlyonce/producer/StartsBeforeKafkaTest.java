package dev.exactlyonce.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.testkit.EmbeddedKafkaBroker;
import dev.exactlyonce.testkit.HostsFile;
import dev.exactlyonce.testkit.KafkaComesLater;
import dev.exactlyonce.testkit.ServiceProbe;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.micronaut.context.ApplicationContext;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import io.micronaut.runtime.server.EmbeddedServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

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
                    .ignoreException(StatusRuntimeException.class)
                    .untilAsserted(
                            () -> {
                                assertThat(probe.health("")).isEqualTo(ServingStatus.NOT_SERVING);
                                assertThat(probe.get("/health/readiness").statusCode())
                                        .isEqualTo(503);
                            });

            broker.start();

            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .ignoreException(StatusRuntimeException.class)
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

    /**
     * The same with a list in which no name resolves yet (the chart's Service name before the
     * Service exists, broker 0 before its pod has an IP): kafka-clients refuse to construct a
     * client then, and the service must not construct one until a name resolves. Each delivery mode
     * constructs its producer differently (a committer lane per transactional producer, one shared
     * producer otherwise), so both kinds start this way.
     */
    @ParameterizedTest
    @EnumSource(
            value = DeliveryMode.class,
            names = {"EXACTLY_ONCE", "AT_LEAST_ONCE"})
    @Tag(HostsFile.TAG)
    void becomesReadyWhenNoKafkaNameResolvedAtStart(DeliveryMode mode) throws Exception {
        KafkaComesLater.verify(
                bootstrap -> {
                    EmbeddedServer management =
                            ApplicationContext.run(
                                    EmbeddedServer.class,
                                    Map.of(
                                            "kafka.bootstrap.servers",
                                            bootstrap,
                                            "app.pod-name",
                                            "starts-before-kafka-dns",
                                            "app.producer.delivery-mode",
                                            mode.name(),
                                            "app.producer.send-timeout",
                                            "2s"),
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
                (probe, broker) ->
                        assertThat(placed(OrderServiceGrpc.newBlockingStub(probe.channel())))
                                .isFalse(),
                (probe, broker) ->
                        await().atMost(Duration.ofSeconds(60))
                                .pollInterval(Duration.ofMillis(200))
                                .until(
                                        () ->
                                                placed(
                                                        OrderServiceGrpc.newBlockingStub(
                                                                probe.channel()))));
    }

    /** Placed with the guarantee of the mode: COMMITTED or ACKNOWLEDGED. */
    private static boolean placed(OrderServiceGrpc.OrderServiceBlockingStub orders) {
        try {
            return List.of("COMMITTED", "ACKNOWLEDGED")
                    .contains(
                            orders.withDeadlineAfter(20, TimeUnit.SECONDS)
                                    .placeOrder(Orders.valid("before-kafka-dns"))
                                    .getStatus());
        } catch (StatusRuntimeException e) {
            return false;
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

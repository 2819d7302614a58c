package dev.exactlyonce.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.testkit.ServiceProbe;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The service boots against real Kafka and PostgreSQL and answers what grpcurl and Prometheus ask. */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsumerBootTest implements TestPropertyProvider {

    @Inject
    GrpcEmbeddedServer grpcServer;

    @Inject
    EmbeddedServer managementServer;

    @Override
    public Map<String, String> getProperties() {
        String group = Pipeline.unique("boot");
        try {
            Pipeline.startGroupAtEnd(group);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        Map<String, String> properties = new java.util.HashMap<>();
        Pipeline.consumerProperties(group, Pipeline.unique("pod")).forEach((k, v) -> properties.put(k, v.toString()));
        return properties;
    }

    @Test
    void servesHealthReflectionAndMetrics() throws Exception {
        try (ServiceProbe probe = new ServiceProbe(grpcServer.getPort(), managementServer.getPort())) {
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(probe.health("")).isEqualTo(ServingStatus.SERVING));
            assertThat(probe.health("liveness")).isEqualTo(ServingStatus.SERVING);
            assertThat(probe.listServices()).contains("exactlyonce.v1.ConsumerControl", "grpc.health.v1.Health");
            assertThat(probe.get("/health/liveness").statusCode()).isEqualTo(200);
            assertThat(probe.get("/health/readiness").statusCode()).isEqualTo(200);
            var metrics = probe.get("/prometheus");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("jvm_memory_used_bytes");
        }
    }
}

package dev.exactlyonce.producer;

import dev.exactlyonce.testkit.ServiceProbe;
import dev.exactlyonce.testkit.TestInfrastructure;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The service boots against real Kafka and PostgreSQL and answers what grpcurl and Prometheus ask.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProducerBootTest implements TestPropertyProvider {

    @Inject GrpcEmbeddedServer grpcServer;

    @Inject EmbeddedServer managementServer;

    @Override
    public Map<String, String> getProperties() {
        return TestInfrastructure.shared().micronautProperties();
    }

    @Test
    void servesHealthReflectionAndMetrics() throws Exception {
        try (ServiceProbe probe =
                new ServiceProbe(grpcServer.getPort(), managementServer.getPort())) {
            probe.assertServes("exactlyonce.v1.OrderService");
        }
    }
}

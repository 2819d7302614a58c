package dev.exactlyonce.producer;

import dev.exactlyonce.testkit.ServiceProbe;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The service boots against real Kafka and PostgreSQL and answers what grpcurl and Prometheus ask.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProducerBootTest extends ProducerServiceTestSupport {

    @Inject EmbeddedServer managementServer;

    @Test
    void servesHealthReflectionAndMetrics() throws Exception {
        try (ServiceProbe probe =
                new ServiceProbe(grpcServer.getPort(), managementServer.getPort())) {
            probe.assertServes("exactlyonce.v1.OrderService");
        }
    }
}

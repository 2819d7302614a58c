package dev.exactlyonce.query;

import dev.exactlyonce.testkit.ServiceProbe;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/**
 * The service boots against real Kafka and PostgreSQL and answers what grpcurl and Prometheus ask.
 */
@MicronautTest
class QueryBootTest extends QueryTestSupport {

    @Inject EmbeddedServer managementServer;

    @Test
    void servesHealthReflectionAndMetrics() throws Exception {
        try (ServiceProbe probe =
                new ServiceProbe(grpcServer.getPort(), managementServer.getPort())) {
            probe.assertServes("exactlyonce.v1.QueryService");
        }
    }
}

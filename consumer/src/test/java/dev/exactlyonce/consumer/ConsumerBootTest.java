package dev.exactlyonce.consumer;

import dev.exactlyonce.testkit.ServiceProbe;
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
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsumerBootTest implements TestPropertyProvider {

    @Inject GrpcEmbeddedServer grpcServer;

    @Inject EmbeddedServer managementServer;

    @Override
    public Map<String, String> getProperties() {
        String group = Pipeline.unique("boot");
        try {
            Pipeline.startGroupAtEnd(group);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        Map<String, String> properties = new java.util.HashMap<>();
        Pipeline.consumerProperties(group, Pipeline.unique("pod"))
                .forEach((k, v) -> properties.put(k, v.toString()));
        return properties;
    }

    @Test
    void servesHealthReflectionAndMetrics() throws Exception {
        try (ServiceProbe probe =
                new ServiceProbe(grpcServer.getPort(), managementServer.getPort())) {
            probe.assertServes("exactlyonce.v1.ConsumerControl");
        }
    }
}

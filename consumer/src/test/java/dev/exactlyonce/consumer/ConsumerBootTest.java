package dev.exactlyonce.consumer;

import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

/**
 * The service boots against real Kafka and PostgreSQL and answers what grpcurl and Prometheus ask.
 */
@MicronautTest(transactional = false)
class ConsumerBootTest extends ConsumerServiceTestSupport {

    @Test
    void servesHealthReflectionAndMetrics() throws Exception {
        probe.assertServes("exactlyonce.v1.ConsumerControl");
    }
}

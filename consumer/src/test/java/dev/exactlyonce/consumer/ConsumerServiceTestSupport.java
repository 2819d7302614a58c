package dev.exactlyonce.consumer;

import dev.exactlyonce.grpc.v1.ConsumerControlGrpc;
import dev.exactlyonce.grpc.v1.CrashPoint;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.UpdateConsumerConfigRequest;
import dev.exactlyonce.testkit.ControlToken;
import dev.exactlyonce.testkit.ServiceProbe;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * What the tests of the running consumer service share: one service (application context) per test
 * class, started by {@code @MicronautTest(transactional = false)} on the subclass with the
 * properties below (a {@link TestPropertyProvider}): the testkit's Kafka and PostgreSQL, a consumer
 * group of the class's own that starts at the end of the topic (so earlier tests' records are not
 * its business), and a pod name of its own. Then, over real gRPC, a {@link ServiceProbe} and a
 * ConsumerControl stub that presents the test token.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ConsumerServiceTestSupport implements TestPropertyProvider {

    @Inject GrpcEmbeddedServer grpcServer;

    @Inject EmbeddedServer managementServer;

    /** The consumer group of this class's service. */
    final String group = Pipeline.unique(getClass().getSimpleName());

    ServiceProbe probe;
    ConsumerControlGrpc.ConsumerControlBlockingStub control;

    @Override
    public Map<String, String> getProperties() {
        Map<String, String> properties = Pipeline.serviceProperties(group);
        properties.putAll(extraProperties());
        return properties;
    }

    /** A subclass's own properties, on top of those. */
    Map<String, String> extraProperties() {
        return Map.of();
    }

    @BeforeAll
    void connect() {
        probe = new ServiceProbe(grpcServer.getPort(), managementServer.getPort());
        control = ControlToken.TEST.on(ConsumerControlGrpc.newBlockingStub(probe.channel()));
    }

    @AfterAll
    void disconnect() {
        probe.close();
    }

    /**
     * Sets every runtime setting: {@code mode}, the message-id check on or off, no simulated
     * failures (5 attempts), no crash drill armed, no processing delay. The settings live in the
     * settings topic and so are shared with every other consumer: a test sets what it relies on.
     */
    void use(DeliveryMode mode, boolean idempotency) {
        control.updateConsumerConfig(
                UpdateConsumerConfigRequest.newBuilder()
                        .setProcessingMode(mode)
                        .setEnableIdempotency(idempotency)
                        .setFailureRate(0)
                        .setMaxAttempts(5)
                        .setCrashAfterMessages(0)
                        .setCrashPoint(CrashPoint.AFTER_DB_COMMIT)
                        .setProcessingDelayMs(0)
                        .build());
    }
}

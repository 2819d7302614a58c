package dev.exactlyonce.consumer;

import static dev.exactlyonce.testkit.ControlPlaneChecks.isOpen;
import static dev.exactlyonce.testkit.ControlPlaneChecks.needsToken;
import static dev.exactlyonce.testkit.ControlPlaneChecks.onChannel;
import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.ConsumerConfig;
import dev.exactlyonce.grpc.v1.ConsumerControlGrpc;
import dev.exactlyonce.grpc.v1.GetConsumerConfigRequest;
import dev.exactlyonce.grpc.v1.GetConsumerStatsRequest;
import dev.exactlyonce.grpc.v1.ResetConsumerStatsRequest;
import dev.exactlyonce.grpc.v1.UpdateConsumerConfigRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.micronaut.context.ApplicationContext;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The control plane is locked: arming a crash drill, switching modes or resetting the stats needs
 * the bearer token (none: UNAUTHENTICATED, a wrong one: PERMISSION_DENIED); reads are open unless
 * {@code app.control.reads-require-token}.
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ControlPlaneTest implements TestPropertyProvider {

    @Inject GrpcEmbeddedServer grpcServer;

    private final String group = Pipeline.unique("control-plane");
    private ManagedChannel channel;
    private ConsumerControlGrpc.ConsumerControlBlockingStub anonymous;

    @Override
    public Map<String, String> getProperties() {
        return Pipeline.serviceProperties(group);
    }

    @BeforeAll
    void connect() {
        channel =
                ManagedChannelBuilder.forAddress("127.0.0.1", grpcServer.getPort())
                        .usePlaintext()
                        .build();
        anonymous = ConsumerControlGrpc.newBlockingStub(channel);
    }

    @AfterAll
    void disconnect() {
        channel.shutdownNow();
    }

    @Test
    void controlCallsNeedTheToken() {
        UpdateConsumerConfigRequest armCrashDrill =
                UpdateConsumerConfigRequest.newBuilder().setCrashAfterMessages(0).build();
        ConsumerConfig updated = needsToken(anonymous, s -> s.updateConsumerConfig(armCrashDrill));
        assertThat(updated.getCrashAfterMessages()).isZero();
        needsToken(
                anonymous,
                s -> s.resetConsumerStats(ResetConsumerStatsRequest.getDefaultInstance()));
    }

    @Test
    void readsAreOpenByDefault() {
        isOpen(anonymous, s -> s.getConsumerConfig(GetConsumerConfigRequest.getDefaultInstance()));
        isOpen(anonymous, s -> s.getConsumerStats(GetConsumerStatsRequest.getDefaultInstance()));
    }

    @Test
    void readsNeedTheTokenWhenSwitched() {
        // a group of its own that starts at the topic's end: it must not store earlier tests'
        // orders again
        Map<String, Object> properties =
                new HashMap<>(Pipeline.serviceProperties(Pipeline.unique("control-reads")));
        properties.put("app.control.reads-require-token", "true");
        try (EmbeddedServer management =
                ApplicationContext.run(EmbeddedServer.class, properties, "test")) {
            onChannel(
                    management.getApplicationContext().getBean(GrpcEmbeddedServer.class).getPort(),
                    closed ->
                            needsToken(
                                    ConsumerControlGrpc.newBlockingStub(closed),
                                    s ->
                                            s.getConsumerStats(
                                                    GetConsumerStatsRequest.getDefaultInstance())));
        }
    }
}

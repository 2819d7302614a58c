package dev.exactlyonce.billing;

import static dev.exactlyonce.testkit.ControlPlaneChecks.isOpen;
import static dev.exactlyonce.testkit.ControlPlaneChecks.needsToken;
import static dev.exactlyonce.testkit.ControlPlaneChecks.onChannel;
import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.BillingConfig;
import dev.exactlyonce.grpc.v1.BillingControlGrpc;
import dev.exactlyonce.grpc.v1.GetBillingConfigRequest;
import dev.exactlyonce.grpc.v1.GetBillingStatsRequest;
import dev.exactlyonce.grpc.v1.ResetBillingStatsRequest;
import dev.exactlyonce.grpc.v1.UpdateBillingConfigRequest;
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
 * The control plane is locked: arming billing's crash drill, switching its mode or resetting its
 * stats needs the bearer token (none: UNAUTHENTICATED, a wrong one: PERMISSION_DENIED); reads are
 * open unless {@code app.control.reads-require-token}.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ControlPlaneTest implements TestPropertyProvider {

    @Inject GrpcEmbeddedServer grpcServer;

    private ManagedChannel channel;
    private BillingControlGrpc.BillingControlBlockingStub anonymous;

    @Override
    public Map<String, String> getProperties() {
        return properties(BillingPipeline.unique("billing-control-plane"));
    }

    private static Map<String, String> properties(String group) {
        return BillingPipeline.serviceProperties(group);
    }

    @BeforeAll
    void connect() {
        channel =
                ManagedChannelBuilder.forAddress("127.0.0.1", grpcServer.getPort())
                        .usePlaintext()
                        .build();
        anonymous = BillingControlGrpc.newBlockingStub(channel);
    }

    @AfterAll
    void disconnect() {
        channel.shutdownNow();
    }

    @Test
    void controlCallsNeedTheToken() {
        UpdateBillingConfigRequest disarm =
                UpdateBillingConfigRequest.newBuilder().setCrashAfterMessages(0).build();
        BillingConfig updated = needsToken(anonymous, s -> s.updateBillingConfig(disarm));
        assertThat(updated.getCrashAfterMessages()).isZero();
        needsToken(
                anonymous, s -> s.resetBillingStats(ResetBillingStatsRequest.getDefaultInstance()));
    }

    @Test
    void readsAreOpenByDefault() {
        isOpen(anonymous, s -> s.getBillingConfig(GetBillingConfigRequest.getDefaultInstance()));
        isOpen(anonymous, s -> s.getBillingStats(GetBillingStatsRequest.getDefaultInstance()));
    }

    @Test
    void readsNeedTheTokenWhenSwitched() {
        Map<String, Object> properties =
                new HashMap<>(properties(BillingPipeline.unique("billing-control-reads")));
        properties.put("app.control.reads-require-token", "true");
        try (EmbeddedServer management =
                ApplicationContext.run(EmbeddedServer.class, properties, "test")) {
            onChannel(
                    management.getApplicationContext().getBean(GrpcEmbeddedServer.class).getPort(),
                    closed ->
                            needsToken(
                                    BillingControlGrpc.newBlockingStub(closed),
                                    s ->
                                            s.getBillingStats(
                                                    GetBillingStatsRequest.getDefaultInstance())));
        }
    }
}

package dev.exactlyonce.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.exactlyonce.grpc.v1.BillingControlGrpc;
import dev.exactlyonce.grpc.v1.GetBillingConfigRequest;
import dev.exactlyonce.grpc.v1.GetBillingStatsRequest;
import dev.exactlyonce.grpc.v1.ResetBillingStatsRequest;
import dev.exactlyonce.grpc.v1.UpdateBillingConfigRequest;
import dev.exactlyonce.testkit.ControlToken;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
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
        try {
            BillingPipeline.startGroupAtEnd(group);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        Map<String, String> properties = new HashMap<>();
        BillingPipeline.billingProperties(group, BillingPipeline.unique("billing-pod"))
                .forEach((k, v) -> properties.put(k, v.toString()));
        return properties;
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
        assertThat(code(() -> anonymous.updateBillingConfig(disarm)))
                .isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(
                        code(
                                () ->
                                        anonymous.resetBillingStats(
                                                ResetBillingStatsRequest.getDefaultInstance())))
                .isEqualTo(Status.Code.UNAUTHENTICATED);

        var wrong = new ControlToken("not-the-token").on(anonymous);
        assertThat(code(() -> wrong.updateBillingConfig(disarm)))
                .isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(
                        code(
                                () ->
                                        wrong.resetBillingStats(
                                                ResetBillingStatsRequest.getDefaultInstance())))
                .isEqualTo(Status.Code.PERMISSION_DENIED);

        var right = ControlToken.TEST.on(anonymous);
        assertThat(right.updateBillingConfig(disarm).getCrashAfterMessages()).isZero();
        assertThat(right.resetBillingStats(ResetBillingStatsRequest.getDefaultInstance()))
                .isNotNull();
    }

    @Test
    void readsAreOpenByDefault() {
        assertThat(anonymous.getBillingConfig(GetBillingConfigRequest.getDefaultInstance()))
                .isNotNull();
        assertThat(anonymous.getBillingStats(GetBillingStatsRequest.getDefaultInstance()))
                .isNotNull();
    }

    @Test
    void readsNeedTheTokenWhenSwitched() {
        Map<String, Object> properties =
                new HashMap<>(properties(BillingPipeline.unique("billing-control-reads")));
        properties.put("app.control.reads-require-token", "true");
        try (EmbeddedServer management =
                ApplicationContext.run(EmbeddedServer.class, properties, "test")) {
            ManagedChannel closed =
                    ManagedChannelBuilder.forAddress(
                                    "127.0.0.1",
                                    management
                                            .getApplicationContext()
                                            .getBean(GrpcEmbeddedServer.class)
                                            .getPort())
                            .usePlaintext()
                            .build();
            try {
                var reader = BillingControlGrpc.newBlockingStub(closed);
                assertThat(
                                code(
                                        () ->
                                                reader.getBillingStats(
                                                        GetBillingStatsRequest
                                                                .getDefaultInstance())))
                        .isEqualTo(Status.Code.UNAUTHENTICATED);
                assertThat(
                                ControlToken.TEST
                                        .on(reader)
                                        .getBillingStats(
                                                GetBillingStatsRequest.getDefaultInstance()))
                        .isNotNull();
            } finally {
                closed.shutdownNow();
            }
        }
    }

    private static Status.Code code(Runnable call) {
        StatusRuntimeException refused =
                catchThrowableOfType(StatusRuntimeException.class, call::run);
        return refused == null ? Status.Code.OK : refused.getStatus().getCode();
    }
}

package dev.exactlyonce.producer;

import static dev.exactlyonce.testkit.ControlPlaneChecks.code;
import static dev.exactlyonce.testkit.ControlPlaneChecks.needsToken;
import static dev.exactlyonce.testkit.ControlPlaneChecks.onChannel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.GetProducerConfigRequest;
import dev.exactlyonce.grpc.v1.GetProducerStatsRequest;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.PlaceOrderBatchRequest;
import dev.exactlyonce.grpc.v1.UpdateProducerConfigRequest;
import dev.exactlyonce.testkit.ControlToken;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micronaut.context.ApplicationContext;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The control plane is locked: switching the delivery mode needs the bearer token (none:
 * UNAUTHENTICATED, a wrong one: PERMISSION_DENIED); placing orders and reads are open unless {@code
 * app.control.orders-require-token} / {@code reads-require-token}.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ControlPlaneTest extends ProducerServiceTestSupport {

    private static final UpdateProducerConfigRequest AT_MOST_ONCE =
            UpdateProducerConfigRequest.newBuilder()
                    .setDeliveryMode(DeliveryMode.AT_MOST_ONCE)
                    .build();
    private static final UpdateProducerConfigRequest EXACTLY_ONCE =
            UpdateProducerConfigRequest.newBuilder()
                    .setDeliveryMode(DeliveryMode.EXACTLY_ONCE)
                    .setEnableTransactions(true)
                    .build();

    @Test
    void switchingTheDeliveryModeNeedsTheToken() {
        StatusRuntimeException refused =
                catchThrowableOfType(
                        StatusRuntimeException.class,
                        () -> anonymous.updateProducerConfig(AT_MOST_ONCE));
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(refused.getStatus().getDescription()).contains("authorization: Bearer");

        assertThat(
                        code(
                                () ->
                                        new ControlToken("not-the-token")
                                                .on(anonymous)
                                                .updateProducerConfig(AT_MOST_ONCE)))
                .isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(
                        anonymous
                                .getProducerConfig(GetProducerConfigRequest.getDefaultInstance())
                                .getDeliveryMode())
                .as("neither refused call changed anything")
                .isNotEqualTo(DeliveryMode.AT_MOST_ONCE);

        assertThat(
                        ControlToken.TEST
                                .on(anonymous)
                                .updateProducerConfig(EXACTLY_ONCE)
                                .getDeliveryMode())
                .isEqualTo(DeliveryMode.EXACTLY_ONCE);
    }

    @Test
    void placingOrdersAndReadsAreOpenByDefault() {
        assertThat(anonymous.placeOrder(Orders.valid("control-open")).getMessageId()).isNotEmpty();
        assertThat(
                        anonymous
                                .placeOrderBatch(
                                        PlaceOrderBatchRequest.newBuilder()
                                                .addOrders(Orders.valid("control-open"))
                                                .build())
                                .getOrdersCount())
                .isEqualTo(1);
        assertThat(anonymous.getProducerStats(GetProducerStatsRequest.getDefaultInstance()))
                .isNotNull();
    }

    @Test
    void placingOrdersAndReadsNeedTheTokenWhenSwitched() {
        Map<String, Object> properties =
                new HashMap<>(serviceProperties("producer-control-closed-test"));
        properties.put("app.control.orders-require-token", "true");
        properties.put("app.control.reads-require-token", "true");
        try (EmbeddedServer management =
                ApplicationContext.run(EmbeddedServer.class, properties, "test")) {
            onChannel(
                    management.getApplicationContext().getBean(GrpcEmbeddedServer.class).getPort(),
                    closed -> {
                        var stranger = OrderServiceGrpc.newBlockingStub(closed);
                        assertThat(
                                        needsToken(
                                                        stranger,
                                                        s ->
                                                                s.placeOrder(
                                                                        Orders.valid(
                                                                                "control-closed")))
                                                .getMessageId())
                                .isNotEmpty();
                        needsToken(
                                stranger,
                                s ->
                                        s.getProducerStats(
                                                GetProducerStatsRequest.getDefaultInstance()));
                    });
        }
    }
}

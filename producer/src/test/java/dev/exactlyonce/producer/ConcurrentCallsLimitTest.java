package dev.exactlyonce.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.exactlyonce.grpc.v1.GetProducerStatsRequest;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderResponse;
import dev.exactlyonce.grpc.v1.StreamOrdersResponse;
import dev.exactlyonce.testkit.TestInfrastructure;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * app.grpc.max-concurrent-calls-per-connection bounds what one connection holds open: with a limit
 * of 1, a call waits behind an open stream (until its own deadline) and goes through once the
 * stream ends.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConcurrentCallsLimitTest implements TestPropertyProvider {

    @Inject GrpcEmbeddedServer grpcServer;

    @Override
    public Map<String, String> getProperties() {
        Map<String, String> properties =
                new HashMap<>(TestInfrastructure.shared().micronautProperties());
        properties.put("app.grpc.max-concurrent-calls-per-connection", "1");
        return properties;
    }

    @Test
    void aCallBeyondTheLimitWaitsUntilAnotherEnds() throws Exception {
        ManagedChannel channel =
                ManagedChannelBuilder.forAddress("127.0.0.1", grpcServer.getPort())
                        .usePlaintext()
                        .build();
        try {
            var orders = OrderServiceGrpc.newBlockingStub(channel);
            // the connection first: until the client has the server's SETTINGS frame it does not
            // know the limit, and a second call could race the stream onto the connection
            orders.withDeadlineAfter(30, TimeUnit.SECONDS)
                    .getProducerStats(GetProducerStatsRequest.getDefaultInstance());
            CompletableFuture<StreamOrdersResponse> summary = new CompletableFuture<>();
            StreamObserver<PlaceOrderRequest> open =
                    OrderServiceGrpc.newStub(channel)
                            .streamOrders(OrderServiceTest.observer(summary));
            open.onNext(Orders.valid("limit"));

            StatusRuntimeException waited =
                    catchThrowableOfType(
                            StatusRuntimeException.class,
                            () ->
                                    orders.withDeadlineAfter(2, TimeUnit.SECONDS)
                                            .placeOrder(Orders.valid("limit")));
            assertThat(waited.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);

            open.onCompleted();
            assertThat(summary.get(30, TimeUnit.SECONDS).getAccepted()).isEqualTo(1);
            PlaceOrderResponse after =
                    orders.withDeadlineAfter(30, TimeUnit.SECONDS)
                            .placeOrder(Orders.valid("limit"));
            assertThat(after.getOrderId()).isNotEmpty();
        } finally {
            channel.shutdownNow();
        }
    }
}

package dev.exactlyonce.lab.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.PlaceOrderBatchRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderBatchResponse;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderResponse;
import dev.exactlyonce.lab.runner.RetryingOrderClient;
import dev.exactlyonce.lab.runner.SampleOrders;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The drill's client loop on its own, against a plain gRPC server that answers every PlaceOrder:
 * the planned count is exact, and a held-open stream goes on past it until released (so a drill's
 * last strike still falls inside the traffic).
 */
class OrderTrafficTest {

    private final AtomicLong received = new AtomicLong();
    private final AtomicLong batchCalls = new AtomicLong();
    private final Queue<String> failedOrderIds = new ConcurrentLinkedQueue<>();
    private final Queue<String> acknowledgedOrderIds = new ConcurrentLinkedQueue<>();
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void startServer() throws Exception {
        server =
                NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                        .addService(
                                new OrderServiceGrpc.OrderServiceImplBase() {
                                    @Override
                                    public void placeOrder(
                                            PlaceOrderRequest request,
                                            StreamObserver<PlaceOrderResponse> answer) {
                                        received.incrementAndGet();
                                        answer.onNext(PlaceOrderResponse.getDefaultInstance());
                                        answer.onCompleted();
                                    }

                                    /**
                                     * Every fourth batch call fails, as calls cut by a producer
                                     * kill do.
                                     */
                                    @Override
                                    public void placeOrderBatch(
                                            PlaceOrderBatchRequest request,
                                            StreamObserver<PlaceOrderBatchResponse> answer) {
                                        if (batchCalls.incrementAndGet() % 4 == 0) {
                                            request.getOrdersList()
                                                    .forEach(
                                                            o ->
                                                                    failedOrderIds.add(
                                                                            o.getOrderId()));
                                            answer.onError(
                                                    Status.UNAVAILABLE
                                                            .withDescription("producer killed")
                                                            .asRuntimeException());
                                            return;
                                        }
                                        request.getOrdersList()
                                                .forEach(
                                                        o ->
                                                                acknowledgedOrderIds.add(
                                                                        o.getOrderId()));
                                        received.addAndGet(request.getOrdersCount());
                                        answer.onNext(PlaceOrderBatchResponse.getDefaultInstance());
                                        answer.onCompleted();
                                    }
                                })
                        .build()
                        .start();
        channel =
                NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
                        .usePlaintext()
                        .build();
    }

    @AfterEach
    void stopServer() throws Exception {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }

    @Test
    void sendsExactlyThePlannedOrders() throws Exception {
        OrderTraffic traffic =
                new OrderTraffic(
                        channel,
                        4,
                        120,
                        1,
                        new SampleOrders("traffic-test"),
                        retrying(RetryingOrderClient.Policy.standard()));

        traffic.run();

        assertThat(traffic.done()).isTrue();
        assertThat(traffic.sent()).isEqualTo(120);
        assertThat(traffic.acknowledged()).isEqualTo(120);
        assertThat(received).hasValue(120);
    }

    @Test
    void aHeldOpenStreamGoesOnPastThePlanUntilReleased() throws Exception {
        OrderTraffic traffic =
                new OrderTraffic(
                        channel,
                        4,
                        50,
                        1,
                        new SampleOrders("traffic-test"),
                        retrying(RetryingOrderClient.Policy.standard()));
        traffic.holdOpen();
        Thread clients =
                new Thread(
                        () -> {
                            try {
                                traffic.run();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        });
        clients.start();

        await().atMost(Duration.ofSeconds(30)).until(() -> traffic.acknowledged() >= 500);
        assertThat(traffic.done()).isFalse();
        traffic.release();
        clients.join(Duration.ofSeconds(30).toMillis());

        assertThat(traffic.done()).isTrue();
        assertThat(traffic.sent()).isGreaterThanOrEqualTo(500).isEqualTo(traffic.acknowledged());
        assertThat(received).hasValue(traffic.sent());
    }

    @Test
    void batchCallsCountOrdersAndKeepTheOrdersOfEachFailedCall() throws Exception {
        OrderTraffic traffic =
                new OrderTraffic(
                        channel,
                        2,
                        100,
                        5,
                        new SampleOrders("traffic-test"),
                        retrying(RetryingOrderClient.Policy.noRetries(Duration.ofSeconds(30))));

        traffic.run();

        assertThat(batchCalls).hasValue(20);
        assertThat(traffic.sent()).isEqualTo(100);
        assertThat(traffic.acknowledged()).isEqualTo(75).isEqualTo(received.get());
        assertThat(traffic.failed()).isEqualTo(25);
        assertThat(traffic.unacknowledgedCalls())
                .hasSize(5)
                .allSatisfy(call -> assertThat(call).hasSize(5));
    }

    @Test
    void aRetryingClientSendsAFailedCallAgainWithTheSameOrderIdsUntilAcknowledged()
            throws Exception {
        OrderTraffic traffic =
                new OrderTraffic(
                        channel,
                        2,
                        100,
                        5,
                        new SampleOrders("traffic-test"),
                        retrying(RetryingOrderClient.Policy.standard()));

        traffic.run();

        // 20 calls; the server failed every 4th attempt: 26 attempts, 6 of them failed and sent
        // again
        assertThat(batchCalls).hasValue(26);
        assertThat(traffic.retries()).isEqualTo(6);
        assertThat(traffic.acknowledged()).isEqualTo(100).isEqualTo(traffic.sent());
        assertThat(traffic.unacknowledgedCalls()).isEmpty();
        assertThat(failedOrderIds).hasSize(30);
        assertThat(acknowledgedOrderIds)
                .hasSize(100)
                .containsAll(failedOrderIds)
                .doesNotHaveDuplicates();
    }

    /** Real gRPC calls, but the backoff is not slept: the policy's own test covers the waiting. */
    private static RetryingOrderClient retrying(RetryingOrderClient.Policy policy) {
        return new RetryingOrderClient(policy, pause -> {}, (delay, task) -> task.run(), () -> 0.5);
    }

    @Test
    void unacknowledgedBatchesAreClassifiedByWhatWasStored() {
        SampleOrders orders = new SampleOrders("traffic-test");
        List<List<PlaceOrderRequest>> calls =
                List.of(
                        List.of(orders.order(0), orders.order(1)), // both stored
                        List.of(orders.order(2), orders.order(3)), // neither
                        List.of(
                                orders.order(4),
                                orders.order(5))); // one of two: a broken transaction
        Set<String> stored =
                Set.of(
                        orders.order(0).getOrderId(),
                        orders.order(1).getOrderId(),
                        orders.order(4).getOrderId());

        Drill.UnacknowledgedBatches batches =
                Drill.UnacknowledgedBatches.of(calls, stored::contains);

        assertThat(batches).isEqualTo(new Drill.UnacknowledgedBatches(1, 1, 1));
        assertThat(batches.toString())
                .isEqualTo(
                        "3 unacknowledged PlaceOrderBatch calls: 1 entirely stored, 1 entirely absent, 1 partly");
    }
}

package dev.exactlyonce.lab.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderResponse;
import dev.exactlyonce.lab.runner.SampleOrders;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The drill's client loop on its own, against a plain gRPC server that answers every PlaceOrder: the
 * planned count is exact, and a held-open stream goes on past it until released (so a drill's last
 * strike still falls inside the traffic).
 */
class OrderTrafficTest {

    private final AtomicLong received = new AtomicLong();
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void startServer() throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new OrderServiceGrpc.OrderServiceImplBase() {
                    @Override
                    public void placeOrder(PlaceOrderRequest request, StreamObserver<PlaceOrderResponse> answer) {
                        received.incrementAndGet();
                        answer.onNext(PlaceOrderResponse.getDefaultInstance());
                        answer.onCompleted();
                    }
                })
                .build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    }

    @AfterEach
    void stopServer() throws Exception {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }

    @Test
    void sendsExactlyThePlannedOrders() throws Exception {
        OrderTraffic traffic = new OrderTraffic(channel, 4, 120, new SampleOrders("traffic-test"));

        traffic.run();

        assertThat(traffic.done()).isTrue();
        assertThat(traffic.sent()).isEqualTo(120);
        assertThat(traffic.acknowledged()).isEqualTo(120);
        assertThat(received).hasValue(120);
    }

    @Test
    void aHeldOpenStreamGoesOnPastThePlanUntilReleased() throws Exception {
        OrderTraffic traffic = new OrderTraffic(channel, 4, 50, new SampleOrders("traffic-test"));
        traffic.holdOpen();
        Thread clients = new Thread(() -> {
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
}

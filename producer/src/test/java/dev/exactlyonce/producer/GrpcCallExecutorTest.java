package dev.exactlyonce.producer;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.PlaceOrderResponse;
import dev.exactlyonce.testkit.TestInfrastructure;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.micronaut.context.annotation.Requires;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * gRPC handlers run on the producer's own small pool, not on Micronaut's IO pool, and calls still
 * complete.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcCallExecutorTest implements TestPropertyProvider {

    @Inject GrpcEmbeddedServer grpcServer;

    @Inject HandlerThreads handlerThreads;

    @Override
    public Map<String, String> getProperties() {
        var properties = new HashMap<>(TestInfrastructure.shared().micronautProperties());
        properties.put("app.pod-name", "producer-call-executor-test");
        properties.put("test.handler-threads", "on");
        return properties;
    }

    @Test
    void concurrentCallsRunOnTheCallPoolAndComplete() throws Exception {
        ManagedChannel channel =
                ManagedChannelBuilder.forAddress("127.0.0.1", grpcServer.getPort())
                        .usePlaintext()
                        .build();
        try {
            var orders = OrderServiceGrpc.newFutureStub(channel);
            List<ListenableFuture<PlaceOrderResponse>> calls = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                calls.add(orders.placeOrder(Orders.valid("call-pool-" + i)));
            }
            for (var call : calls) {
                assertThat(call.get(30, TimeUnit.SECONDS).getOrderId()).isNotEmpty();
            }
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        assertThat(handlerThreads.names)
                .isNotEmpty()
                .allMatch(
                        name -> name.startsWith(GrpcCallExecutor.THREAD_PREFIX),
                        "named " + GrpcCallExecutor.THREAD_PREFIX + "N")
                .hasSizeLessThanOrEqualTo(Math.max(2, Runtime.getRuntime().availableProcessors()));
    }

    /** Records the thread each call starts on (interceptors run on the server's executor). */
    @Singleton
    @Requires(property = "test.handler-threads")
    static class HandlerThreads implements ServerInterceptor {

        final Set<String> names = ConcurrentHashMap.newKeySet();

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(
                ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            names.add(Thread.currentThread().getName());
            return next.startCall(call, headers);
        }
    }
}

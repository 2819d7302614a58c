package dev.exactlyonce.producer;

import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.testkit.ControlToken;
import dev.exactlyonce.testkit.TestInfrastructure;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * What the tests of the running producer service share: one service (application context) per test
 * class, started by {@code @MicronautTest} on the subclass with the properties below (a {@link
 * TestPropertyProvider}): the testkit's Kafka, the test control token and a pod name of the class's
 * own. Then, over real gRPC, an OrderService stub that presents the token ({@link #orders}) and one
 * that does not ({@link #anonymous}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ProducerServiceTestSupport implements TestPropertyProvider {

    @Inject GrpcEmbeddedServer grpcServer;

    ManagedChannel channel;
    ManagedChannel anonymousChannel;
    OrderServiceGrpc.OrderServiceBlockingStub orders;
    OrderServiceGrpc.OrderServiceBlockingStub anonymous;

    /** The properties of a producer service with pod name {@code pod}. */
    static Map<String, String> serviceProperties(String pod) {
        Map<String, String> properties =
                new HashMap<>(TestInfrastructure.shared().micronautProperties());
        properties.putAll(ControlToken.TEST.serverProperties());
        properties.put("app.pod-name", pod);
        return properties;
    }

    /** This class's pod name: its transactional.id and batch ids derive from it. */
    String podName() {
        return "producer-" + getClass().getSimpleName();
    }

    @Override
    public Map<String, String> getProperties() {
        return serviceProperties(podName());
    }

    @BeforeAll
    void connect() {
        channel =
                ManagedChannelBuilder.forAddress("127.0.0.1", grpcServer.getPort())
                        .usePlaintext()
                        .intercept(ControlToken.TEST)
                        .build();
        anonymousChannel =
                ManagedChannelBuilder.forAddress("127.0.0.1", grpcServer.getPort())
                        .usePlaintext()
                        .build();
        orders = OrderServiceGrpc.newBlockingStub(channel);
        anonymous = OrderServiceGrpc.newBlockingStub(anonymousChannel);
    }

    @AfterAll
    void disconnect() {
        channel.shutdownNow();
        anonymousChannel.shutdownNow();
    }
}

package dev.exactlyonce.lab.runner;

import dev.exactlyonce.grpc.v1.BillingControlGrpc;
import dev.exactlyonce.grpc.v1.ConsumerControlGrpc;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.QueryServiceGrpc;
import dev.exactlyonce.testkit.ControlToken;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * gRPC clients of a running pipeline: the producer, every consumer replica, billing, the query
 * service; with a control token, every call carries it ({@code authorization: Bearer ...}), so
 * control calls pass and so do orders and reads where the services are switched to need it.
 */
public final class PipelineClients implements AutoCloseable {

    private static final long DEADLINE_SECONDS = 30;

    private final Endpoints endpoints;
    private final ManagedChannel producer;
    private final List<ManagedChannel> consumers = new ArrayList<>();
    private final ManagedChannel billing;
    private final ManagedChannel query;

    /** Anonymous clients: placing orders and reads (unless switched off), no control call. */
    public PipelineClients(Endpoints endpoints) {
        this(endpoints, new ClientInterceptor[0]);
    }

    /** Clients that present this control token with every call. */
    public PipelineClients(Endpoints endpoints, ControlToken token) {
        this(endpoints, new ClientInterceptor[] {token});
    }

    private PipelineClients(Endpoints endpoints, ClientInterceptor[] credentials) {
        this.endpoints = endpoints;
        this.producer = channel(endpoints.host(), endpoints.producerPort(), credentials);
        endpoints
                .consumerPorts()
                .forEach(port -> consumers.add(channel(endpoints.host(), port, credentials)));
        this.billing = channel(endpoints.host(), endpoints.billingPort(), credentials);
        this.query = channel(endpoints.host(), endpoints.queryPort(), credentials);
    }

    private static ManagedChannel channel(String host, int port, ClientInterceptor[] credentials) {
        return ManagedChannelBuilder.forAddress(host, port)
                .usePlaintext()
                .intercept(credentials)
                .build();
    }

    public static ManagedChannel channel(String host, int port) {
        return ManagedChannelBuilder.forAddress(host, port).usePlaintext().build();
    }

    /**
     * A channel whose call callbacks run on {@code callbacks} instead of grpc-java's default cached
     * pool.
     */
    public static ManagedChannel channel(
            String host, int port, java.util.concurrent.Executor callbacks) {
        return ManagedChannelBuilder.forAddress(host, port)
                .usePlaintext()
                .executor(callbacks)
                .build();
    }

    public Endpoints endpoints() {
        return endpoints;
    }

    public ManagedChannel producerChannel() {
        return producer;
    }

    public OrderServiceGrpc.OrderServiceBlockingStub producer() {
        return OrderServiceGrpc.newBlockingStub(producer)
                .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    /** The first consumer replica (on kind: the Service, any replica). */
    public ConsumerControlGrpc.ConsumerControlBlockingStub consumer() {
        return consumer(0);
    }

    public ConsumerControlGrpc.ConsumerControlBlockingStub consumer(int replica) {
        return ConsumerControlGrpc.newBlockingStub(consumers.get(replica))
                .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    /** Billing (on kind: the Service, any replica). */
    public BillingControlGrpc.BillingControlBlockingStub billing() {
        return BillingControlGrpc.newBlockingStub(billing)
                .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    public int consumerCount() {
        return consumers.size();
    }

    /** Query calls may wait (Audit waits for the consumer to drain), hence the longer deadline. */
    public QueryServiceGrpc.QueryServiceBlockingStub query() {
        return QueryServiceGrpc.newBlockingStub(query)
                .withDeadlineAfter(10 * DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        producer.shutdownNow();
        consumers.forEach(ManagedChannel::shutdownNow);
        billing.shutdownNow();
        query.shutdownNow();
    }
}

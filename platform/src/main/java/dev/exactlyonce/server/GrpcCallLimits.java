package dev.exactlyonce.server;

import io.grpc.netty.NettyServerBuilder;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import io.micronaut.context.event.BeanCreatedEvent;
import io.micronaut.context.event.BeanCreatedEventListener;
import io.micronaut.grpc.server.GrpcServerConfiguration;
import jakarta.inject.Singleton;

/**
 * Bounds on what one client connection may hold open on a gRPC server, so that no caller can make a
 * service queue without limit: at most {@code app.grpc.max-concurrent-calls-per-connection} calls
 * at once (HTTP/2 MAX_CONCURRENT_STREAMS: further calls wait on the client's side, under their own
 * deadline). Micronaut's {@code grpc.server.*} does not expose the setting, so it is set on the
 * Netty server builder.
 */
@Singleton
@Requires(classes = GrpcServerConfiguration.class)
public class GrpcCallLimits implements BeanCreatedEventListener<GrpcServerConfiguration> {

    private final int maxConcurrentCallsPerConnection;

    public GrpcCallLimits(
            @Value("${app.grpc.max-concurrent-calls-per-connection:256}")
                    int maxConcurrentCallsPerConnection) {
        this.maxConcurrentCallsPerConnection = maxConcurrentCallsPerConnection;
    }

    @Override
    public GrpcServerConfiguration onCreated(BeanCreatedEvent<GrpcServerConfiguration> event) {
        GrpcServerConfiguration configuration = event.getBean();
        if (configuration.getServerBuilder() instanceof NettyServerBuilder netty) {
            netty.maxConcurrentCallsPerConnection(maxConcurrentCallsPerConnection);
        }
        return configuration;
    }
}

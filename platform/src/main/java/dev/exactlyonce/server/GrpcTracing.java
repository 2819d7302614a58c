package dev.exactlyonce.server;

import io.grpc.ServerInterceptor;
import io.micronaut.context.annotation.Factory;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry;
import jakarta.inject.Singleton;

/**
 * The gRPC server span of every call, from OpenTelemetry's grpc-1.6 instrumentation (Micronaut's
 * own micronaut-tracing-opentelemetry-grpc does not resolve here). Micronaut's gRPC server installs
 * every ServerInterceptor bean. With no exporter configured the SDK still makes valid trace ids.
 */
@Factory
public class GrpcTracing {

    @Singleton
    ServerInterceptor tracingInterceptor(OpenTelemetry openTelemetry) {
        return GrpcTelemetry.create(openTelemetry).newServerInterceptor();
    }
}

package dev.exactlyonce.server;

import io.grpc.BindableService;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Named;
import jakarta.inject.Singleton;

/**
 * gRPC server reflection, both protocol versions, so that {@code grpcurl list} and {@code describe}
 * work without .proto files whatever the grpcurl version. Lives next to the contract so that the
 * three services share it instead of copying it.
 */
@Factory
@Requires(classes = ProtoReflectionServiceV1.class)
public class GrpcReflection {

    @Singleton
    @Named("reflection-v1")
    BindableService reflectionV1() {
        return ProtoReflectionServiceV1.newInstance();
    }

    @Singleton
    @Named("reflection-v1alpha")
    @SuppressWarnings("deprecation")
    BindableService reflectionV1alpha() {
        return ProtoReflectionService.newInstance();
    }
}

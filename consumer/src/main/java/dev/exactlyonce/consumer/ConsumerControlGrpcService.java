package dev.exactlyonce.consumer;

import dev.exactlyonce.grpc.v1.ConsumerControlGrpc;
import jakarta.inject.Singleton;

/** ConsumerControl; every RPC answers UNIMPLEMENTED until the consumer issue lands. */
@Singleton
public class ConsumerControlGrpcService extends ConsumerControlGrpc.ConsumerControlImplBase {
}

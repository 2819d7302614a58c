package dev.exactlyonce.producer;

import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import jakarta.inject.Singleton;

/** OrderService; every RPC answers UNIMPLEMENTED until the producer issue lands. */
@Singleton
public class OrderGrpcService extends OrderServiceGrpc.OrderServiceImplBase {
}

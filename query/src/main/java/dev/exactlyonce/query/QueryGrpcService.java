package dev.exactlyonce.query;

import dev.exactlyonce.grpc.v1.QueryServiceGrpc;
import jakarta.inject.Singleton;

/** QueryService; every RPC answers UNIMPLEMENTED until the query issue lands. */
@Singleton
public class QueryGrpcService extends QueryServiceGrpc.QueryServiceImplBase {
}

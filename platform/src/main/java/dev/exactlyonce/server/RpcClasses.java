package dev.exactlyonce.server;

import dev.exactlyonce.grpc.v1.BillingControlGrpc;
import dev.exactlyonce.grpc.v1.ConsumerControlGrpc;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.QueryServiceGrpc;
import io.grpc.MethodDescriptor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one table of who may call what: every RPC of the contract with its {@link RpcClass}, named
 * through the generated method descriptors (a renamed RPC does not compile here). An RPC missing
 * from the table is {@link RpcClass#CONTROL}: fail closed, so a new RPC needs the token until it is
 * classified on purpose ({@code RpcClassesTest} fails until then). gRPC health and reflection are
 * {@link RpcClass#INFRASTRUCTURE}.
 */
public final class RpcClasses {

    private static final Map<String, RpcClass> TABLE = build();

    private RpcClasses() {}

    private static Map<String, RpcClass> build() {
        Map<String, RpcClass> table = new LinkedHashMap<>();
        // the producer
        put(table, OrderServiceGrpc.getPlaceOrderMethod(), RpcClass.PLACE_ORDER);
        put(table, OrderServiceGrpc.getPlaceOrderBatchMethod(), RpcClass.PLACE_ORDER);
        put(table, OrderServiceGrpc.getStreamOrdersMethod(), RpcClass.PLACE_ORDER);
        // sends copies of one order: placing orders, with a duplicate on purpose
        put(table, OrderServiceGrpc.getSimulateDuplicateMethod(), RpcClass.PLACE_ORDER);
        put(table, OrderServiceGrpc.getGetProducerConfigMethod(), RpcClass.READ);
        put(table, OrderServiceGrpc.getGetProducerStatsMethod(), RpcClass.READ);
        put(table, OrderServiceGrpc.getUpdateProducerConfigMethod(), RpcClass.CONTROL);
        // the consumer
        put(table, ConsumerControlGrpc.getGetConsumerConfigMethod(), RpcClass.READ);
        put(table, ConsumerControlGrpc.getGetConsumerStatsMethod(), RpcClass.READ);
        // modes, idempotency, simulated failures and crash drills
        put(table, ConsumerControlGrpc.getUpdateConsumerConfigMethod(), RpcClass.CONTROL);
        put(table, ConsumerControlGrpc.getResetConsumerStatsMethod(), RpcClass.CONTROL);
        // billing
        put(table, BillingControlGrpc.getGetBillingConfigMethod(), RpcClass.READ);
        put(table, BillingControlGrpc.getGetBillingStatsMethod(), RpcClass.READ);
        put(table, BillingControlGrpc.getUpdateBillingConfigMethod(), RpcClass.CONTROL);
        put(table, BillingControlGrpc.getResetBillingStatsMethod(), RpcClass.CONTROL);
        // the query service
        put(table, QueryServiceGrpc.getGetStatsMethod(), RpcClass.READ);
        put(table, QueryServiceGrpc.getGetDuplicateStatsMethod(), RpcClass.READ);
        put(table, QueryServiceGrpc.getListOrdersMethod(), RpcClass.READ);
        put(table, QueryServiceGrpc.getGetOrderMethod(), RpcClass.READ);
        put(table, QueryServiceGrpc.getCompareSemanticsMethod(), RpcClass.READ);
        put(table, QueryServiceGrpc.getListTopicsMethod(), RpcClass.READ);
        put(table, QueryServiceGrpc.getGetConsumerLagMethod(), RpcClass.READ);
        // lists open transactions and last stable offsets; ending one is kafka-transactions.sh's
        put(table, QueryServiceGrpc.getListTransactionsMethod(), RpcClass.READ);
        put(table, QueryServiceGrpc.getAuditMethod(), RpcClass.READ);
        // empties the tables, the dedup table included: every earlier order id would be stored
        // again
        put(table, QueryServiceGrpc.getResetMethod(), RpcClass.CONTROL);
        put(table, QueryServiceGrpc.getRecordBenchmarkMethod(), RpcClass.CONTROL);
        return Map.copyOf(table);
    }

    private static void put(
            Map<String, RpcClass> table, MethodDescriptor<?, ?> method, RpcClass rpcClass) {
        if (table.put(method.getFullMethodName(), rpcClass) != null) {
            throw new IllegalStateException(method.getFullMethodName() + " is classified twice");
        }
    }

    /**
     * The class of a full method name ({@code exactlyonce.v1.QueryService/Reset}); unknown:
     * CONTROL.
     */
    public static RpcClass of(String fullMethodName) {
        RpcClass listed = TABLE.get(fullMethodName);
        if (listed != null) {
            return listed;
        }
        String service = MethodDescriptor.extractFullServiceName(fullMethodName);
        if ("grpc.health.v1.Health".equals(service)
                || service != null && service.startsWith("grpc.reflection.")) {
            return RpcClass.INFRASTRUCTURE;
        }
        return RpcClass.CONTROL;
    }

    /** The table itself: full method name to class. */
    public static Map<String, RpcClass> table() {
        return TABLE;
    }
}

package dev.exactlyonce.query;

import static dev.exactlyonce.query.RpcAnswers.answer;
import static dev.exactlyonce.query.RpcAnswers.answerRead;

import dev.exactlyonce.grpc.v1.AuditRequest;
import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.CompareSemanticsRequest;
import dev.exactlyonce.grpc.v1.CompareSemanticsResponse;
import dev.exactlyonce.grpc.v1.DuplicateStats;
import dev.exactlyonce.grpc.v1.GetConsumerLagRequest;
import dev.exactlyonce.grpc.v1.GetConsumerLagResponse;
import dev.exactlyonce.grpc.v1.GetDuplicateStatsRequest;
import dev.exactlyonce.grpc.v1.GetOrderRequest;
import dev.exactlyonce.grpc.v1.GetOrderResponse;
import dev.exactlyonce.grpc.v1.GetStatsRequest;
import dev.exactlyonce.grpc.v1.ListOrdersRequest;
import dev.exactlyonce.grpc.v1.ListOrdersResponse;
import dev.exactlyonce.grpc.v1.ListTopicsRequest;
import dev.exactlyonce.grpc.v1.ListTopicsResponse;
import dev.exactlyonce.grpc.v1.QueryServiceGrpc;
import dev.exactlyonce.grpc.v1.RecordBenchmarkRequest;
import dev.exactlyonce.grpc.v1.RecordBenchmarkResponse;
import dev.exactlyonce.grpc.v1.ResetRequest;
import dev.exactlyonce.grpc.v1.ResetResponse;
import dev.exactlyonce.grpc.v1.Stats;
import io.grpc.stub.StreamObserver;
import jakarta.inject.Singleton;

/**
 * QueryService: what was stored, duplicated or lost, and why. Each RPC is one line: the class that
 * answers it, and how ({@link RpcAnswers}): a read is tried again when PostgreSQL closed its
 * connection, a write (Reset, RecordBenchmark) never; Audit retries its own reads inside its slot.
 * Each class checks its request before any work ({@link ArgumentChecks}).
 */
@Singleton
public class QueryGrpcService extends QueryServiceGrpc.QueryServiceImplBase {

    private final OrderStatistics statistics;
    private final OrderReads orders;
    private final WindowReset windowReset;
    private final AuditCall audits;
    private final SemanticsComparison semantics;
    private final BenchmarkLog benchmarks;
    private final KafkaReads kafka;

    QueryGrpcService(
            OrderStatistics statistics,
            OrderReads orders,
            WindowReset windowReset,
            AuditCall audits,
            SemanticsComparison semantics,
            BenchmarkLog benchmarks,
            KafkaReads kafka) {
        this.statistics = statistics;
        this.orders = orders;
        this.windowReset = windowReset;
        this.audits = audits;
        this.semantics = semantics;
        this.benchmarks = benchmarks;
        this.kafka = kafka;
    }

    // the store: counters, duplicates, rows

    @Override
    public void getStats(GetStatsRequest request, StreamObserver<Stats> observer) {
        answerRead(observer, "GetStats", statistics::stats);
    }

    @Override
    public void getDuplicateStats(
            GetDuplicateStatsRequest request, StreamObserver<DuplicateStats> observer) {
        answerRead(observer, "GetDuplicateStats", () -> statistics.duplicates(request));
    }

    @Override
    public void listOrders(ListOrdersRequest request, StreamObserver<ListOrdersResponse> observer) {
        answerRead(observer, "ListOrders", () -> orders.list(request));
    }

    @Override
    public void getOrder(GetOrderRequest request, StreamObserver<GetOrderResponse> observer) {
        answerRead(observer, "GetOrder", () -> orders.get(request));
    }

    // audit windows and the audit

    @Override
    public void reset(ResetRequest request, StreamObserver<ResetResponse> observer) {
        answer(observer, "Reset", windowReset::reset);
    }

    @Override
    public void audit(AuditRequest request, StreamObserver<AuditResponse> observer) {
        answer(observer, "Audit", () -> audits.audit(request));
    }

    // the delivery modes compared, and the benchmarks measured in them

    @Override
    public void compareSemantics(
            CompareSemanticsRequest request, StreamObserver<CompareSemanticsResponse> observer) {
        answerRead(observer, "CompareSemantics", semantics::compare);
    }

    @Override
    public void recordBenchmark(
            RecordBenchmarkRequest request, StreamObserver<RecordBenchmarkResponse> observer) {
        answer(observer, "RecordBenchmark", () -> benchmarks.record(request));
    }

    // Kafka's view

    @Override
    public void listTopics(ListTopicsRequest request, StreamObserver<ListTopicsResponse> observer) {
        answerRead(observer, "ListTopics", kafka::topics);
    }

    @Override
    public void getConsumerLag(
            GetConsumerLagRequest request, StreamObserver<GetConsumerLagResponse> observer) {
        answerRead(observer, "GetConsumerLag", () -> kafka.lag(request));
    }
}

package dev.exactlyonce.query;

import static dev.exactlyonce.query.RpcAnswers.answer;
import static dev.exactlyonce.query.RpcAnswers.answerRead;

import dev.exactlyonce.grpc.v1.AuditRequest;
import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.BenchmarkFigures;
import dev.exactlyonce.grpc.v1.CompareSemanticsRequest;
import dev.exactlyonce.grpc.v1.CompareSemanticsResponse;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.DuplicateOrder;
import dev.exactlyonce.grpc.v1.DuplicateStats;
import dev.exactlyonce.grpc.v1.GetConsumerLagRequest;
import dev.exactlyonce.grpc.v1.GetConsumerLagResponse;
import dev.exactlyonce.grpc.v1.GetDuplicateStatsRequest;
import dev.exactlyonce.grpc.v1.GetOrderRequest;
import dev.exactlyonce.grpc.v1.GetOrderResponse;
import dev.exactlyonce.grpc.v1.GetStatsRequest;
import dev.exactlyonce.grpc.v1.KeyConflict;
import dev.exactlyonce.grpc.v1.ListOrdersRequest;
import dev.exactlyonce.grpc.v1.ListOrdersResponse;
import dev.exactlyonce.grpc.v1.ListTopicsRequest;
import dev.exactlyonce.grpc.v1.ListTopicsResponse;
import dev.exactlyonce.grpc.v1.ModeSemantics;
import dev.exactlyonce.grpc.v1.PartitionOffset;
import dev.exactlyonce.grpc.v1.QueryServiceGrpc;
import dev.exactlyonce.grpc.v1.RecordBenchmarkRequest;
import dev.exactlyonce.grpc.v1.RecordBenchmarkResponse;
import dev.exactlyonce.grpc.v1.ResetRequest;
import dev.exactlyonce.grpc.v1.ResetResponse;
import dev.exactlyonce.grpc.v1.Stats;
import dev.exactlyonce.grpc.v1.StoredOrder;
import dev.exactlyonce.query.audit.AuditAdmission;
import dev.exactlyonce.query.audit.AuditWindowAnnouncement;
import dev.exactlyonce.query.audit.AuditWindows;
import dev.exactlyonce.query.audit.Auditor;
import dev.exactlyonce.query.kafka.ConsumerLagReader;
import dev.exactlyonce.query.kafka.TopicCatalog;
import dev.exactlyonce.query.store.BenchmarkRepository;
import dev.exactlyonce.query.store.BenchmarkRow;
import dev.exactlyonce.query.store.CounterRepository;
import dev.exactlyonce.query.store.DuplicateTotals;
import dev.exactlyonce.query.store.KeyConflictRepository;
import dev.exactlyonce.query.store.KeyConflictRow;
import dev.exactlyonce.query.store.LostConnection;
import dev.exactlyonce.query.store.OrderCount;
import dev.exactlyonce.query.store.OrderRepository;
import dev.exactlyonce.query.store.OrderRow;
import dev.exactlyonce.query.store.OrderTotals;
import dev.exactlyonce.query.store.ProcessedMessageRepository;
import dev.exactlyonce.query.store.ProcessedSpan;
import dev.exactlyonce.semantics.BillingSemantics;
import dev.exactlyonce.semantics.ConsumerSemantics;
import dev.exactlyonce.semantics.Guarantees;
import dev.exactlyonce.semantics.ProducerSemantics;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;

/**
 * QueryService: what was stored, duplicated or lost, and why. Arguments are checked here, before
 * any work.
 */
@Singleton
public class QueryGrpcService extends QueryServiceGrpc.QueryServiceImplBase {

    static final int DEFAULT_PAGE = 50;
    static final int DEFAULT_DUPLICATES = 100;
    static final int DEFAULT_AUDIT_WAIT_SECONDS = 30;
    static final int MAX_AUDIT_WAIT_SECONDS = 600;

    static final List<DeliveryMode> MODES =
            List.of(
                    DeliveryMode.AT_MOST_ONCE,
                    DeliveryMode.AT_LEAST_ONCE,
                    DeliveryMode.EXACTLY_ONCE);

    private final OrderRepository orders;
    private final ProcessedMessageRepository processedMessages;
    private final CounterRepository counters;
    private final BenchmarkRepository benchmarks;
    private final StoredOrderConverter converter;
    private final AuditWindows windows;
    private final Auditor auditor;
    private final TopicCatalog topics;
    private final ConsumerLagReader lagReader;
    private final QuerySettings settings;
    private final TransactionOperations<Connection> transactions;
    private final KeyConflictRepository keyConflicts;
    private final AuditWindowAnnouncement windowAnnouncement;
    private final AuditAdmission auditAdmission;

    public QueryGrpcService(
            OrderRepository orders,
            ProcessedMessageRepository processedMessages,
            CounterRepository counters,
            BenchmarkRepository benchmarks,
            StoredOrderConverter converter,
            AuditWindows windows,
            Auditor auditor,
            TopicCatalog topics,
            ConsumerLagReader lagReader,
            QuerySettings settings,
            TransactionOperations<Connection> transactions,
            KeyConflictRepository keyConflicts,
            AuditWindowAnnouncement windowAnnouncement,
            AuditAdmission auditAdmission) {
        this.auditAdmission = auditAdmission;
        this.windowAnnouncement = windowAnnouncement;
        this.transactions = transactions;
        this.keyConflicts = keyConflicts;
        this.orders = orders;
        this.processedMessages = processedMessages;
        this.counters = counters;
        this.benchmarks = benchmarks;
        this.converter = converter;
        this.windows = windows;
        this.auditor = auditor;
        this.topics = topics;
        this.lagReader = lagReader;
        this.settings = settings;
    }

    @Override
    public void getStats(GetStatsRequest request, StreamObserver<Stats> observer) {
        answerRead(
                observer,
                "GetStats",
                () -> {
                    OrderTotals totals = counters.totals();
                    ProcessedSpan span = counters.processedSpan();
                    Stats.Builder stats =
                            Stats.newBuilder()
                                    .setTotalOrders(totals.totalRows())
                                    .setDistinctOrders(totals.distinctOrders())
                                    .setDuplicateRows(totals.totalRows() - totals.distinctOrders())
                                    .setProcessedMessages(totals.processedMessages())
                                    .setOrdersPerSecondLastMinute(
                                            counters.storedInLastMinute() / 60.0)
                                    .setKeyConflicts(keyConflicts.count());
                    if (span.firstProcessedAt() != null) {
                        stats.setFirstProcessedAt(
                                StoredOrderConverter.timestamp(span.firstProcessedAt()));
                        stats.setLastProcessedAt(
                                StoredOrderConverter.timestamp(span.lastProcessedAt()));
                    }
                    return stats.build();
                });
    }

    @Override
    public void getDuplicateStats(
            GetDuplicateStatsRequest request, StreamObserver<DuplicateStats> observer) {
        answerRead(
                observer,
                "GetDuplicateStats",
                () -> {
                    int limit =
                            request.hasLimit()
                                    ? ArgumentChecks.limit("limit", request.getLimit())
                                    : DEFAULT_DUPLICATES;
                    DuplicateTotals totals = counters.duplicateTotals();
                    return DuplicateStats.newBuilder()
                            .setDuplicatedOrderIds(totals.duplicatedOrders())
                            .setExtraRows(totals.extraRows())
                            .addAllDuplicates(
                                    counters.mostDuplicated(limit).stream()
                                            .map(QueryGrpcService::duplicate)
                                            .toList())
                            .setExactlyOnceHolds(totals.duplicatedOrders() == 0)
                            .setKeyConflicts(keyConflicts.count())
                            .addAllConflicts(
                                    keyConflicts.newest(limit).stream()
                                            .map(QueryGrpcService::keyConflict)
                                            .toList())
                            .build();
                });
    }

    @Override
    public void listOrders(ListOrdersRequest request, StreamObserver<ListOrdersResponse> observer) {
        answerRead(
                observer,
                "ListOrders",
                () -> {
                    int limit =
                            request.getLimit() == 0
                                    ? DEFAULT_PAGE
                                    : ArgumentChecks.limit("limit", request.getLimit());
                    long before;
                    try {
                        before = PageToken.decode(request.getPageToken());
                    } catch (IllegalArgumentException e) {
                        throw ArgumentChecks.invalid("page_token", e.getMessage());
                    }
                    if (request.hasCustomerId()) {
                        ArgumentChecks.id("customer_id", request.getCustomerId());
                    }
                    // one row more than asked tells whether there is a next page
                    List<OrderRow> rows =
                            request.hasCustomerId()
                                    ? orders.newestOfCustomerBefore(
                                            request.getCustomerId(), before, limit + 1)
                                    : orders.newestBefore(before, limit + 1);
                    ListOrdersResponse.Builder response = ListOrdersResponse.newBuilder();
                    rows.stream().limit(limit).map(converter::toProto).forEach(response::addOrders);
                    if (rows.size() > limit) {
                        response.setNextPageToken(PageToken.after(rows.get(limit - 1).id()));
                    }
                    return response.build();
                });
    }

    @Override
    public void getOrder(GetOrderRequest request, StreamObserver<GetOrderResponse> observer) {
        answerRead(
                observer,
                "GetOrder",
                () -> {
                    String orderId = ArgumentChecks.id("order_id", request.getOrderId());
                    List<StoredOrder> rows =
                            orders.rowsOf(orderId).stream().map(converter::toProto).toList();
                    if (rows.isEmpty()) {
                        throw Status.NOT_FOUND
                                .withDescription("order_id: no stored order " + orderId)
                                .asRuntimeException();
                    }
                    return GetOrderResponse.newBuilder()
                            .setOrderId(orderId)
                            .addAllRows(rows)
                            .addAllProcessedMessages(
                                    processedMessages.ofOrder(orderId).stream()
                                            .map(converter::toProto)
                                            .toList())
                            .build();
                });
    }

    @Override
    public void reset(ResetRequest request, StreamObserver<ResetResponse> observer) {
        answer(
                observer,
                "Reset",
                () -> {
                    AuditWindows.ResetOutcome outcome = windows.reset();
                    ResetResponse.Builder response =
                            ResetResponse.newBuilder()
                                    .setOrdersDeleted(outcome.ordersDeleted())
                                    .setProcessedMessagesDeleted(outcome.processedMessagesDeleted())
                                    .setResetAt(
                                            StoredOrderConverter.timestamp(
                                                    outcome.window().startedAt()));
                    outcome.window()
                            .start()
                            .forEach(
                                    o ->
                                            response.addAuditWindowStart(
                                                    PartitionOffset.newBuilder()
                                                            .setTopic(o.topic())
                                                            .setPartition(o.partition())
                                                            .setOffset(o.offset())));
                    windowAnnouncement.announce(response.build());
                    return response.build();
                });
    }

    @Override
    public void compareSemantics(
            CompareSemanticsRequest request, StreamObserver<CompareSemanticsResponse> observer) {
        answerRead(
                observer,
                "CompareSemantics",
                () -> {
                    List<BenchmarkRow> latest = benchmarks.latestPerModeAndWorkload();
                    CompareSemanticsResponse.Builder response =
                            CompareSemanticsResponse.newBuilder();
                    for (DeliveryMode mode : MODES) {
                        Guarantees guarantees = Guarantees.of(mode);
                        response.addModes(
                                ModeSemantics.newBuilder()
                                        .setMode(mode)
                                        .setLoss(guarantees.loss())
                                        .setDuplicates(guarantees.duplicates())
                                        .setOrdering(guarantees.ordering())
                                        // the producer's transactional.id is "order-producer-" +
                                        // its pod name
                                        .putAllProducerSettings(
                                                ProducerSemantics.kafkaSettings(
                                                        mode, "order-producer-<pod>"))
                                        .addAllConsumerSteps(
                                                ConsumerSemantics.steps(mode).stream()
                                                        .map(ConsumerSemantics.Step::description)
                                                        .toList())
                                        .addAllBillingSteps(
                                                BillingSemantics.steps(mode).stream()
                                                        .map(BillingSemantics.Step::description)
                                                        .toList())
                                        .addAllLatestBenchmarks(
                                                latest.stream()
                                                        .filter(b -> b.mode().equals(mode.name()))
                                                        .map(QueryGrpcService::figures)
                                                        .toList()));
                    }
                    return response.build();
                });
    }

    @Override
    public void recordBenchmark(
            RecordBenchmarkRequest request, StreamObserver<RecordBenchmarkResponse> observer) {
        answer(
                observer,
                "RecordBenchmark",
                () -> {
                    if (request.getFiguresCount() == 0 || request.getFiguresCount() > 100) {
                        throw ArgumentChecks.invalid(
                                "figures",
                                "must hold 1..100 results, has " + request.getFiguresCount());
                    }
                    for (int i = 0; i < request.getFiguresCount(); i++) {
                        validate("figures[" + i + "]", request.getFigures(i));
                    }
                    transactions.executeWrite(
                            status -> {
                                // all or nothing
                                for (BenchmarkFigures f : request.getFiguresList()) {
                                    benchmarks.record(
                                            f.getWorkload(),
                                            f.getMode().name(),
                                            f.getOrders(),
                                            f.getAcknowledgedPerSecond(),
                                            f.getStoredPerSecond(),
                                            f.getP50Ms(),
                                            f.getP95Ms(),
                                            f.getP99Ms(),
                                            f.getMaxMs(),
                                            f.getVerdict());
                                }
                                return null;
                            });
                    return RecordBenchmarkResponse.newBuilder()
                            .setStored(request.getFiguresCount())
                            .build();
                });
    }

    @Override
    public void listTopics(ListTopicsRequest request, StreamObserver<ListTopicsResponse> observer) {
        answerRead(observer, "ListTopics", topics::cluster);
    }

    @Override
    public void getConsumerLag(
            GetConsumerLagRequest request, StreamObserver<GetConsumerLagResponse> observer) {
        answerRead(
                observer,
                "GetConsumerLag",
                () -> {
                    String group = settings.consumerGroupId();
                    if (request.hasGroupId()) {
                        group = request.getGroupId().strip();
                        if (group.isEmpty() || group.length() > 255) {
                            throw ArgumentChecks.invalid(
                                    "group_id", "must be 1..255 characters when set");
                        }
                    }
                    return lagReader.lag(group);
                });
    }

    /**
     * At most {@code app.query.max-concurrent-audits} at once (RESOURCE_EXHAUSTED beyond, never
     * queued). The wait ends at one instant fixed here, so a read tried again on another connection
     * does not wait again.
     */
    @Override
    public void audit(AuditRequest request, StreamObserver<AuditResponse> observer) {
        answer(
                observer,
                "Audit",
                () -> {
                    int waitSeconds =
                            request.hasWaitSeconds()
                                    ? request.getWaitSeconds()
                                    : DEFAULT_AUDIT_WAIT_SECONDS;
                    if (waitSeconds < 0 || waitSeconds > MAX_AUDIT_WAIT_SECONDS) {
                        throw ArgumentChecks.invalid(
                                "wait_seconds",
                                "must be 0.." + MAX_AUDIT_WAIT_SECONDS + ", was " + waitSeconds);
                    }
                    if (request.hasAcknowledged() && request.getAcknowledged() < 0) {
                        throw ArgumentChecks.invalid(
                                "acknowledged", "must be >= 0, was " + request.getAcknowledged());
                    }
                    OptionalLong acknowledged =
                            request.hasAcknowledged()
                                    ? OptionalLong.of(request.getAcknowledged())
                                    : OptionalLong.empty();
                    long waitUntil = System.nanoTime() + Duration.ofSeconds(waitSeconds).toNanos();
                    try (AuditAdmission.Slot slot = auditAdmission.enter()) {
                        return LostConnection.readAgainIfLost(
                                "Audit", () -> auditor.audit(waitUntil, acknowledged));
                    }
                });
    }

    private static void validate(String field, BenchmarkFigures f) {
        if (f.getWorkload().isBlank() || f.getWorkload().length() > 100) {
            throw ArgumentChecks.invalid(field + ".workload", "must be 1..100 characters");
        }
        if (!MODES.contains(f.getMode())) {
            throw ArgumentChecks.invalid(
                    field + ".mode", "must be AT_MOST_ONCE, AT_LEAST_ONCE or EXACTLY_ONCE");
        }
        if (f.getOrders() < 0) {
            throw ArgumentChecks.invalid(field + ".orders", "must be >= 0");
        }
        double[] values = {
            f.getAcknowledgedPerSecond(),
            f.getStoredPerSecond(),
            f.getP50Ms(),
            f.getP95Ms(),
            f.getP99Ms(),
            f.getMaxMs()
        };
        String[] names = {
            "acknowledged_per_second", "stored_per_second", "p50_ms", "p95_ms", "p99_ms", "max_ms"
        };
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i]) || values[i] < 0) {
                throw ArgumentChecks.invalid(
                        field + "." + names[i], "must be finite and >= 0, was " + values[i]);
            }
        }
        if (f.getVerdict().length() > 200) {
            throw ArgumentChecks.invalid(field + ".verdict", "at most 200 characters");
        }
    }

    private static DuplicateOrder duplicate(OrderCount count) {
        DuplicateOrder.Builder duplicate =
                DuplicateOrder.newBuilder()
                        .setMessageId(count.messageId())
                        .setCount(count.rowCount());
        if (count.orderId() != null) {
            duplicate.setOrderId(count.orderId()).setCustomerId(count.customerId());
        }
        return duplicate.build();
    }

    private static KeyConflict keyConflict(KeyConflictRow row) {
        return KeyConflict.newBuilder()
                .setOrderId(row.orderId())
                .setMessageId(row.messageId())
                .setStoredFingerprint(row.storedFingerprint())
                .setOfferedFingerprint(row.offeredFingerprint())
                .setPartition(row.kafkaPartition())
                .setOffset(row.kafkaOffset())
                .setCustomerId(row.customerId())
                .setTotalAmount(row.totalAmount().doubleValue())
                .setDetectedAt(StoredOrderConverter.timestamp(row.detectedAt()))
                .build();
    }

    private static BenchmarkFigures figures(BenchmarkRow row) {
        return BenchmarkFigures.newBuilder()
                .setWorkload(row.workload())
                .setMode(DeliveryMode.valueOf(row.mode()))
                .setOrders(row.orders())
                .setAcknowledgedPerSecond(row.acknowledgedPerSecond())
                .setStoredPerSecond(row.storedPerSecond())
                .setP50Ms(row.p50Ms())
                .setP95Ms(row.p95Ms())
                .setP99Ms(row.p99Ms())
                .setMaxMs(row.maxMs())
                .setVerdict(row.verdict())
                .setMeasuredAt(StoredOrderConverter.timestamp(row.measuredAt()))
                .build();
    }
}

package dev.exactlyonce.query;

import dev.exactlyonce.grpc.v1.DuplicateOrder;
import dev.exactlyonce.grpc.v1.DuplicateStats;
import dev.exactlyonce.grpc.v1.GetDuplicateStatsRequest;
import dev.exactlyonce.grpc.v1.KeyConflict;
import dev.exactlyonce.grpc.v1.Stats;
import dev.exactlyonce.query.store.CounterRepository;
import dev.exactlyonce.query.store.DuplicateTotals;
import dev.exactlyonce.query.store.KeyConflictRepository;
import dev.exactlyonce.query.store.KeyConflictRow;
import dev.exactlyonce.query.store.OrderCount;
import dev.exactlyonce.query.store.OrderTotals;
import dev.exactlyonce.query.store.ProcessedSpan;
import jakarta.inject.Singleton;

/**
 * GetStats and GetDuplicateStats: how many orders were stored, how many twice, and which keys were
 * reused for another order. Read from the counters the consumer keeps per batch, so GetStats costs
 * the same at any size.
 */
@Singleton
class OrderStatistics {

    static final int DEFAULT_DUPLICATES = 100;

    private final CounterRepository counters;
    private final KeyConflictRepository keyConflicts;

    OrderStatistics(CounterRepository counters, KeyConflictRepository keyConflicts) {
        this.counters = counters;
        this.keyConflicts = keyConflicts;
    }

    Stats stats() {
        OrderTotals totals = counters.totals();
        ProcessedSpan span = counters.processedSpan();
        Stats.Builder stats =
                Stats.newBuilder()
                        .setTotalOrders(totals.totalRows())
                        .setDistinctOrders(totals.distinctOrders())
                        .setDuplicateRows(totals.totalRows() - totals.distinctOrders())
                        .setProcessedMessages(totals.processedMessages())
                        .setOrdersPerSecondLastMinute(counters.storedInLastMinute() / 60.0)
                        .setKeyConflicts(keyConflicts.count());
        if (span.firstProcessedAt() != null) {
            stats.setFirstProcessedAt(StoredOrderConverter.timestamp(span.firstProcessedAt()));
            stats.setLastProcessedAt(StoredOrderConverter.timestamp(span.lastProcessedAt()));
        }
        return stats.build();
    }

    /** The most duplicated orders and the newest key conflicts, {@code limit} of each. */
    DuplicateStats duplicates(GetDuplicateStatsRequest request) {
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
                                .map(OrderStatistics::duplicate)
                                .toList())
                .setExactlyOnceHolds(totals.duplicatedOrders() == 0)
                .setKeyConflicts(keyConflicts.count())
                .addAllConflicts(
                        keyConflicts.newest(limit).stream()
                                .map(OrderStatistics::keyConflict)
                                .toList())
                .build();
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
}

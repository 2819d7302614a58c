package dev.exactlyonce.query;

import static dev.exactlyonce.query.ArgumentChecks.invalid;

import dev.exactlyonce.grpc.v1.BenchmarkFigures;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.RecordBenchmarkRequest;
import dev.exactlyonce.grpc.v1.RecordBenchmarkResponse;
import dev.exactlyonce.query.store.BenchmarkRepository;
import dev.exactlyonce.query.store.BenchmarkRow;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.util.List;

/**
 * The measured benchmarks (benchmark_results): RecordBenchmark adds a run's figures, all or
 * nothing; CompareSemantics shows the newest of each mode and workload ({@link #latest}).
 */
@Singleton
class BenchmarkLog {

    static final int MAX_FIGURES = 100;

    /** The newest figures of each mode and workload, read once per call. */
    record Latest(List<BenchmarkRow> rows) {
        List<BenchmarkFigures> of(DeliveryMode mode) {
            return rows.stream()
                    .filter(b -> b.mode().equals(mode.name()))
                    .map(BenchmarkLog::figures)
                    .toList();
        }
    }

    private final BenchmarkRepository benchmarks;
    private final TransactionOperations<Connection> transactions;

    BenchmarkLog(BenchmarkRepository benchmarks, TransactionOperations<Connection> transactions) {
        this.benchmarks = benchmarks;
        this.transactions = transactions;
    }

    Latest latest() {
        return new Latest(benchmarks.latestPerModeAndWorkload());
    }

    /** Every figure is checked before any is written; then all are written in one transaction. */
    RecordBenchmarkResponse record(RecordBenchmarkRequest request) {
        if (request.getFiguresCount() == 0 || request.getFiguresCount() > MAX_FIGURES) {
            throw invalid(
                    "figures",
                    "must hold 1.." + MAX_FIGURES + " results, has " + request.getFiguresCount());
        }
        for (int i = 0; i < request.getFiguresCount(); i++) {
            check("figures[" + i + "]", request.getFigures(i));
        }
        transactions.executeWrite(
                status -> {
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
        return RecordBenchmarkResponse.newBuilder().setStored(request.getFiguresCount()).build();
    }

    private static void check(String field, BenchmarkFigures f) {
        if (f.getWorkload().isBlank() || f.getWorkload().length() > 100) {
            throw invalid(field + ".workload", "must be 1..100 characters");
        }
        if (!SemanticsComparison.MODES.contains(f.getMode())) {
            throw invalid(field + ".mode", "must be AT_MOST_ONCE, AT_LEAST_ONCE or EXACTLY_ONCE");
        }
        if (f.getOrders() < 0) {
            throw invalid(field + ".orders", "must be >= 0");
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
                throw invalid(field + "." + names[i], "must be finite and >= 0, was " + values[i]);
            }
        }
        if (f.getVerdict().length() > 200) {
            throw invalid(field + ".verdict", "at most 200 characters");
        }
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

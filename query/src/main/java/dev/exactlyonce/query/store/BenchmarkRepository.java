package dev.exactlyonce.query.store;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.List;

@JdbcRepository(dialect = Dialect.POSTGRES)
public interface BenchmarkRepository extends GenericRepository<BenchmarkRow, Long> {

    @Query(
            "INSERT INTO benchmark_results (workload, mode, orders, acknowledged_per_second, stored_per_second, "
                    + "p50_ms, p95_ms, p99_ms, max_ms, verdict) VALUES (:workload, :mode, :orders, :acknowledgedPerSecond, "
                    + ":storedPerSecond, :p50Ms, :p95Ms, :p99Ms, :maxMs, :verdict)")
    void record(
            String workload,
            String mode,
            long orders,
            double acknowledgedPerSecond,
            double storedPerSecond,
            double p50Ms,
            double p95Ms,
            double p99Ms,
            double maxMs,
            String verdict);

    /** The newest result of each (mode, workload). */
    @Query(
            "SELECT DISTINCT ON (mode, workload) id, measured_at, workload, mode, orders, acknowledged_per_second, "
                    + "stored_per_second, p50_ms, p95_ms, p99_ms, max_ms, verdict FROM benchmark_results "
                    + "ORDER BY mode, workload, measured_at DESC, id DESC")
    List<BenchmarkRow> latestPerModeAndWorkload();
}

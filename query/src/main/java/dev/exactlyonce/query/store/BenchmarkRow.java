package dev.exactlyonce.query.store;

import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** One row of {@code benchmark_results}, written by RecordBenchmark (the lab's bench). */
@MappedEntity("benchmark_results")
public record BenchmarkRow(
        @Id long id,
        Instant measuredAt,
        String workload,
        String mode,
        long orders,
        double acknowledgedPerSecond,
        double storedPerSecond,
        double p50Ms,
        double p95Ms,
        double p99Ms,
        double maxMs,
        String verdict) {}

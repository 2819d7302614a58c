package dev.exactlyonce.lab.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * One measured run. Throughputs are orders per second: acknowledged over the sending time, stored
 * (distinct orders in PostgreSQL) over the time until the last one was stored. Latency is per call:
 * one PlaceOrder, or one whole StreamOrders stream. CPU is per process, in percent of one core,
 * from the first order sent until the last one stored (see {@link
 * dev.exactlyonce.lab.runner.CpuAccount}). Retries are attempts sent again with the same order ids
 * after UNAVAILABLE, DEADLINE_EXCEEDED or ABORTED. The invoice leg runs beside it (billing reads
 * the same orders): invoiced per second is distinct committed invoices over the time until
 * billing's lag was seen at zero, from the first order sent. It is checked after the PostgreSQL leg
 * finished, so when billing finished first the rate is a lower bound.
 *
 * <p>{@code database} is the durability PostgreSQL reported (SHOW fsync, SHOW synchronous_commit)
 * in this run, {@code ceiling} the database's own rate for the same rows ({@link DatabaseCeiling});
 * against services the bench has no database connection to, "not read" and null. {@code
 * backgroundLoad} says what else ran on purpose beside the lab ({@link BackgroundLoad}): "none", or
 * how many busy threads.
 */
public record BenchResult(
        String mode,
        String workload,
        long acknowledged,
        long failed,
        long retries,
        double sendSeconds,
        double endToEndSeconds,
        double acknowledgedPerSecond,
        double storedPerSecond,
        double p50Ms,
        double p95Ms,
        double p99Ms,
        double maxMs,
        long storedRows,
        long storedDistinct,
        long lost,
        long duplicated,
        String verdict,
        double invoicedSeconds,
        double invoicedPerSecond,
        long invoicesDistinct,
        String invoiceVerdict,
        Map<String, Long> residentMemoryMiB,
        Map<String, Double> cpuPercentOfCore,
        String database,
        DatabaseCeiling.Result ceiling,
        String backgroundLoad) {

    /** Stored/s as a fraction of the ceiling; null without a ceiling. */
    @JsonProperty
    public Double storedOfCeiling() {
        return ceiling == null || ceiling.rowsPerSecond() <= 0
                ? null
                : storedPerSecond / ceiling.rowsPerSecond();
    }
}

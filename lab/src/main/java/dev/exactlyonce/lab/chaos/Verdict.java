package dev.exactlyonce.lab.chaos;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@link Checker}'s answer: totals, and per anomaly class its count, examples and PASS/FAIL.
 */
public record Verdict(DeliveryMode mode, Totals totals, Map<Anomaly, Count> counts) {

    /** Distinct order ids unless said otherwise. */
    public record Totals(
            long sent,
            long acknowledged,
            long failedCalls,
            long storedRows,
            long storedOrders,
            long invoices,
            long recordsSeenDuringRun,
            long faults) {}

    /**
     * @param passed zero, or a number the mode allows
     */
    public record Count(long count, List<String> examples, boolean passed) {}

    public boolean passed() {
        return counts.values().stream().allMatch(Count::passed);
    }

    public long count(Anomaly anomaly) {
        return counts.get(anomaly).count();
    }

    /** One row per anomaly class: class, count, PASS/FAIL, examples. */
    public List<List<String>> rows() {
        List<List<String>> rows = new ArrayList<>();
        counts.forEach(
                (anomaly, count) ->
                        rows.add(
                                List.of(
                                        anomaly.name(),
                                        Long.toString(count.count()),
                                        count.passed()
                                                ? (count.count() > 0 ? "PASS (allowed)" : "PASS")
                                                : "FAIL",
                                        String.join(", ", count.examples()))));
        return rows;
    }

    public String totalsLine() {
        return String.format(
                "%s: %d orders sent, %d acknowledged, %d failed calls; %d rows (%d orders) stored,"
                        + " %d invoices; %d records seen by the concurrent reader; %d faults",
                mode,
                totals.sent(),
                totals.acknowledged(),
                totals.failedCalls(),
                totals.storedRows(),
                totals.storedOrders(),
                totals.invoices(),
                totals.recordsSeenDuringRun(),
                totals.faults());
    }

    public String overall() {
        return passed() ? "PASS" : "FAIL";
    }

    static final List<String> HEADER = List.of("anomaly", "count", "verdict", "examples (<= 5)");
}

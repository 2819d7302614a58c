package dev.exactlyonce.lab.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The arithmetic of repeated bench runs: medians, spread, the per-run exactly-once ratio, and the
 * fraction of the database's ceiling.
 */
class BenchRepeatsTest {

    static final String DURABLE = "durable (fsync on, synchronous_commit on)";

    /** Every run's ceiling: 40,000 rows/s. */
    static final DatabaseCeiling.Result CEILING =
            new DatabaseCeiling.Result(20_000, 2_000, 0.5, 40_000);

    static BenchResult result(String mode, double storedPerSecond, double p99) {
        return new BenchResult(
                mode,
                "PlaceOrder x64 clients",
                1000,
                0,
                0,
                1,
                1,
                storedPerSecond,
                storedPerSecond,
                1,
                2,
                p99,
                p99,
                1000,
                1000,
                0,
                0,
                "EXACTLY_ONCE",
                1,
                storedPerSecond,
                1000,
                "EXACTLY_ONCE",
                Map.of(),
                Map.of(),
                DURABLE,
                CEILING,
                "none");
    }

    private static List<BenchResult> run(double atLeastOnce, double exactlyOnce) {
        return List.of(
                result("AT_LEAST_ONCE", atLeastOnce, 10), result("EXACTLY_ONCE", exactlyOnce, 20));
    }

    @Test
    void theRatioIsTheMedianOfEachRunsOwnRatioNotTheRatioOfMedians() {
        // run 2's at-least-once is an outlier: per-run ratios 0.9, 0.5, 0.95 → median 0.9
        BenchRepeats repeats =
                new BenchRepeats(
                        List.of(run(10_000, 9_000), run(20_000, 10_000), run(10_000, 9_500)));

        double[] ratio = repeats.exactlyOnceRatios().get("PlaceOrder x64 clients");

        assertThat(ratio[0]).isEqualTo(0.9, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(ratio[1]).isEqualTo(0.5, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(ratio[2]).isEqualTo(0.95, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void eachRowHasItsMedianAndSpread() {
        BenchRepeats repeats =
                new BenchRepeats(
                        List.of(run(10_000, 9_000), run(20_000, 10_000), run(12_000, 9_500)));

        List<List<String>> rows = repeats.rows();

        assertThat(rows).hasSize(2);
        assertThat(rows.get(0))
                .containsExactly(
                        "AT_LEAST_ONCE",
                        "PlaceOrder x64 clients",
                        "3",
                        "12,000",
                        "10,000–20,000",
                        "0.30",
                        "12,000",
                        "10.0",
                        "10.0–10.0",
                        "0",
                        "0");
        assertThat(BenchRepeats.medianOf(new double[] {1, 2, 3, 4})).isEqualTo(2.5);
    }

    @Test
    void theRepeatsNameTheDatabaseAndItsCeiling() {
        BenchRepeats repeats = new BenchRepeats(List.of(run(10_000, 9_000), run(20_000, 10_000)));

        assertThat(repeats.databaseLines())
                .containsExactly(
                        "database: " + DURABLE,
                        "ceiling: median 40,000 rows/s (40,000–40,000) over 2 runs ("
                                + CEILING.method()
                                + ")",
                        "background load: none");
    }
}

package dev.exactlyonce.lab.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPU-per-order table: a process's share of a core over the run, divided by the orders stored
 * in it.
 */
class BenchReportTest {

    @Test
    void cpuPerStoredOrderIsCoreSecondsOverDistinctOrders(@TempDir Path dir) throws Exception {
        Map<String, Double> cpu = new LinkedHashMap<>();
        cpu.put("producer-0", 50.0); // half a core for 10 s = 5 s of CPU
        cpu.put("postgresql", 20.0); // 2 s
        BenchResult run =
                new BenchResult(
                        "EXACTLY_ONCE",
                        "PlaceOrder x64 clients",
                        100_000,
                        0,
                        0,
                        10,
                        10,
                        10_000,
                        10_000,
                        1,
                        2,
                        3,
                        4,
                        100_000,
                        100_000,
                        0,
                        0,
                        "EXACTLY_ONCE",
                        10,
                        10_000,
                        100_000,
                        "EXACTLY_ONCE",
                        Map.of(),
                        cpu,
                        BenchRepeatsTest.DURABLE,
                        BenchRepeatsTest.CEILING,
                        BackgroundLoad.describe(2));

        new BenchReport(List.of(run)).write(dir);

        assertThat(Files.readAllLines(dir.resolve("cpu-per-order.md")))
                .contains(
                        "database: durable (fsync on, synchronous_commit on), as PostgreSQL"
                                + " reported it (SHOW fsync, SHOW synchronous_commit)",
                        "| mode | workload | producer-0 | postgresql | total |",
                        "| EXACTLY_ONCE | PlaceOrder x64 clients | 50.0 | 20.0 | 70.0 |",
                        "background load: 2 busy-loop thread(s) in a JVM of their own, normal"
                                + " priority");
        // the CSV names the database and the background load in every row, with the ceiling and
        // stored/s's fraction of it
        List<String> csv = Files.readAllLines(dir.resolve("bench.csv"));
        assertThat(csv.get(0))
                .endsWith(",database,ceiling_rows_per_second,stored_of_ceiling,background_load");
        assertThat(csv.get(1))
                .endsWith(
                        ",\"durable (fsync on, synchronous_commit on)\",40000.000,0.250,\"2 busy-loop"
                                + " thread(s) in a JVM of their own, normal priority\"");
    }

    @Test
    void thePrintedTableNamesTheDatabaseAndEachModesFractionOfTheCeiling() {
        BenchResult run =
                new BenchResult(
                        "AT_LEAST_ONCE",
                        "PlaceOrder x64 clients",
                        1000,
                        0,
                        0,
                        1,
                        1,
                        10_000,
                        30_000,
                        1,
                        2,
                        3,
                        4,
                        1000,
                        1000,
                        0,
                        0,
                        "EXACTLY_ONCE",
                        1,
                        10_000,
                        1000,
                        "EXACTLY_ONCE",
                        Map.of(),
                        Map.of(),
                        "unsafe-fast (fsync off, synchronous_commit off)",
                        BenchRepeatsTest.CEILING,
                        "none");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        new BenchReport(List.of(run)).print(new PrintStream(bytes, true, StandardCharsets.UTF_8));

        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines.get(0)).startsWith("database: unsafe-fast (fsync off");
        assertThat(lines.get(1)).startsWith("ceiling: 40,000 rows/s (COPY of 20,000 rows");
        assertThat(lines.get(2)).isEqualTo("background load: none");
        assertThat(lines.get(3)).contains("stored/s  of ceiling");
        assertThat(lines.get(4)).containsPattern("30,000 +0\\.75 ");
    }
}

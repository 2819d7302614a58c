package dev.exactlyonce.lab.bench;

import static org.assertj.core.api.Assertions.assertThat;

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
                        cpu);

        new BenchReport(List.of(run)).write(dir);

        assertThat(Files.readAllLines(dir.resolve("cpu-per-order.md")))
                .contains(
                        "| mode | workload | producer-0 | postgresql | total |",
                        "| EXACTLY_ONCE | PlaceOrder x64 clients | 50.0 | 20.0 | 70.0 |");
    }
}

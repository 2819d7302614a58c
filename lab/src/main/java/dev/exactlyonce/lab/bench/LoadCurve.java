package dev.exactlyonce.lab.bench;

import dev.exactlyonce.lab.runner.TextTable;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code lab bench --curve}: unary PlaceOrder at several load levels (concurrent clients), every
 * mode at each level in the same lab: throughput against latency, and exactly-once over
 * at-least-once per level. This is where a group commit shows whether it adapts: at low load a call
 * should not wait for a window, at high load transactions should grow instead of queueing.
 */
public final class LoadCurve {

    private final Map<Integer, List<BenchResult>> levels = new LinkedHashMap<>();

    public void add(int clients, List<BenchResult> results) {
        levels.put(clients, List.copyOf(results));
    }

    private static final List<String> HEADER =
            List.of(
                    "clients",
                    "mode",
                    "stored/s",
                    "acked/s",
                    "p50 ms",
                    "p99 ms",
                    "lost",
                    "duplicated",
                    "exactly-once / at-least-once");

    private List<List<String>> rows() {
        List<List<String>> rows = new ArrayList<>();
        levels.forEach(
                (clients, results) -> {
                    String ratio = ratio(results);
                    for (BenchResult r : results) {
                        rows.add(
                                List.of(
                                        Integer.toString(clients),
                                        r.mode(),
                                        String.format(Locale.ROOT, "%,.0f", r.storedPerSecond()),
                                        String.format(
                                                Locale.ROOT, "%,.0f", r.acknowledgedPerSecond()),
                                        String.format(Locale.ROOT, "%.1f", r.p50Ms()),
                                        String.format(Locale.ROOT, "%.1f", r.p99Ms()),
                                        Long.toString(r.lost()),
                                        Long.toString(r.duplicated()),
                                        r.mode().equals("EXACTLY_ONCE") ? ratio : ""));
                    }
                });
        return rows;
    }

    /** Exactly-once stored/s over at-least-once stored/s at one level, or "" without both. */
    private static String ratio(List<BenchResult> results) {
        Double exactlyOnce = stored(results, "EXACTLY_ONCE");
        Double atLeastOnce = stored(results, "AT_LEAST_ONCE");
        return exactlyOnce == null || atLeastOnce == null || atLeastOnce <= 0
                ? ""
                : String.format(Locale.ROOT, "%.2f", exactlyOnce / atLeastOnce);
    }

    private static Double stored(List<BenchResult> results, String mode) {
        return results.stream()
                .filter(r -> r.mode().equals(mode))
                .map(BenchResult::storedPerSecond)
                .findFirst()
                .orElse(null);
    }

    public void print(PrintStream out) {
        TextTable.print(out, HEADER, rows(), 2, 7);
    }

    /** curve.md (a Markdown table, with what ran) and curve.csv in {@code dir}. */
    public void write(Path dir, String setUp) throws IOException {
        Files.createDirectories(dir);
        StringBuilder md = new StringBuilder();
        md.append(setUp).append("\n\n");
        md.append("| ").append(String.join(" | ", HEADER)).append(" |\n");
        md.append("|").append(" --- |".repeat(HEADER.size())).append("\n");
        rows().forEach(row -> md.append("| ").append(String.join(" | ", row)).append(" |\n"));
        Files.writeString(dir.resolve("curve.md"), md.toString());
        String csv =
                rows().stream()
                        .map(row -> row.stream().map(c -> c.replace(",", "")).toList())
                        .map(row -> String.join(",", row))
                        .collect(Collectors.joining("\n"));
        Files.writeString(
                dir.resolve("curve.csv"),
                String.join(",", HEADER).replace(" ", "_") + "\n" + csv + "\n");
    }
}

package dev.exactlyonce.lab.bench;

import dev.exactlyonce.lab.runner.TextTable;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The same bench run N times in one lab: per mode and workload the median and the spread (min–max)
 * of stored and acknowledged orders/s and p99, and the median of each run's exactly-once ÷
 * at-least-once ratio. One run on a shared 2-core machine can swing by a third; a goal such as
 * "exactly-once ≥ 0.9 × at-least-once" is judged on the median of repeated runs. Each run measured
 * the database's ceiling too: its median, and each row's median fraction of its own run's ceiling.
 */
public record BenchRepeats(List<List<BenchResult>> runs) {

    static final List<String> HEADER =
            List.of(
                    "mode",
                    "workload",
                    "runs",
                    "stored/s median",
                    "stored/s min–max",
                    "of ceiling median",
                    "acked/s median",
                    "p99 ms median",
                    "p99 ms min–max",
                    "lost",
                    "duplicated");

    public List<List<String>> rows() {
        Map<String, List<BenchResult>> byRow = new LinkedHashMap<>();
        runs.forEach(
                run ->
                        run.forEach(
                                r ->
                                        byRow.computeIfAbsent(
                                                        r.mode() + "\t" + r.workload(),
                                                        k -> new ArrayList<>())
                                                .add(r)));
        List<List<String>> rows = new ArrayList<>();
        byRow.forEach(
                (key, results) -> {
                    String[] id = key.split("\t");
                    rows.add(
                            List.of(
                                    id[0],
                                    id[1],
                                    String.valueOf(results.size()),
                                    whole(median(results, BenchResult::storedPerSecond)),
                                    spread(results, BenchResult::storedPerSecond, "%,.0f"),
                                    ofCeiling(results),
                                    whole(median(results, BenchResult::acknowledgedPerSecond)),
                                    String.format(
                                            Locale.ROOT,
                                            "%.1f",
                                            median(results, BenchResult::p99Ms)),
                                    spread(results, BenchResult::p99Ms, "%.1f"),
                                    String.valueOf(
                                            results.stream().mapToLong(BenchResult::lost).sum()),
                                    String.valueOf(
                                            results.stream()
                                                    .mapToLong(BenchResult::duplicated)
                                                    .sum())));
                });
        return rows;
    }

    /**
     * Per workload: the median over runs of (exactly-once stored/s ÷ at-least-once stored/s) of the
     * same run.
     */
    public Map<String, double[]> exactlyOnceRatios() {
        Map<String, List<Double>> ratios = new LinkedHashMap<>();
        for (List<BenchResult> run : runs) {
            for (BenchResult eo : run) {
                if (!eo.mode().equals("EXACTLY_ONCE")) {
                    continue;
                }
                run.stream()
                        .filter(
                                r ->
                                        r.mode().equals("AT_LEAST_ONCE")
                                                && r.workload().equals(eo.workload()))
                        .findFirst()
                        .ifPresent(
                                alo ->
                                        ratios.computeIfAbsent(
                                                        eo.workload(), k -> new ArrayList<>())
                                                .add(
                                                        eo.storedPerSecond()
                                                                / Math.max(
                                                                        1, alo.storedPerSecond())));
            }
        }
        Map<String, double[]> summary = new LinkedHashMap<>();
        ratios.forEach(
                (workload, values) -> {
                    double[] sorted =
                            values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                    summary.put(
                            workload,
                            new double[] {medianOf(sorted), sorted[0], sorted[sorted.length - 1]});
                });
        return summary;
    }

    /** The median of each run's stored/s ÷ its own ceiling; "-" when a run had none. */
    private static String ofCeiling(List<BenchResult> results) {
        if (results.stream().anyMatch(r -> r.storedOfCeiling() == null)) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.2f", median(results, BenchResult::storedOfCeiling));
    }

    /** The database lines of every run (one line when they agree), and the ceiling's median. */
    public List<String> databaseLines() {
        List<BenchResult> all = runs.stream().flatMap(List::stream).toList();
        List<String> lines = new ArrayList<>();
        all.stream()
                .map(BenchResult::database)
                .distinct()
                .forEach(d -> lines.add("database: " + d));
        List<BenchResult> firstOfEachRun =
                runs.stream().filter(run -> !run.isEmpty()).map(run -> run.get(0)).toList();
        if (!firstOfEachRun.isEmpty()
                && firstOfEachRun.stream().allMatch(r -> r.ceiling() != null)) {
            lines.add(
                    String.format(
                            Locale.ROOT,
                            "ceiling: median %s rows/s (%s) over %d runs (%s)",
                            whole(median(firstOfEachRun, r -> r.ceiling().rowsPerSecond())),
                            spread(firstOfEachRun, r -> r.ceiling().rowsPerSecond(), "%,.0f"),
                            firstOfEachRun.size(),
                            firstOfEachRun.get(0).ceiling().method()));
        } else {
            lines.add("ceiling: not measured (no connection to the database)");
        }
        all.stream()
                .map(BenchResult::backgroundLoad)
                .distinct()
                .forEach(b -> lines.add("background load: " + b));
        return lines;
    }

    public void print(PrintStream out) {
        databaseLines().forEach(out::println);
        TextTable.print(out, HEADER, rows(), 2, HEADER.size() - 1);
        exactlyOnceRatios()
                .forEach(
                        (workload, r) ->
                                out.printf(
                                        Locale.ROOT,
                                        "exactly-once / at-least-once stored/s, %s: median %.2f (min %.2f, max %.2f)%n",
                                        workload,
                                        r[0],
                                        r[1],
                                        r[2]));
    }

    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        StringBuilder md = new StringBuilder();
        databaseLines().forEach(line -> md.append(line).append("\n\n"));
        md.append(
                "| "
                        + String.join(" | ", HEADER)
                        + " |\n|"
                        + " --- |".repeat(HEADER.size())
                        + "\n");
        rows().forEach(row -> md.append("| ").append(String.join(" | ", row)).append(" |\n"));
        md.append('\n');
        exactlyOnceRatios()
                .forEach(
                        (workload, r) ->
                                md.append(
                                        String.format(
                                                Locale.ROOT,
                                                "exactly-once / at-least-once stored/s, %s: median %.2f (min %.2f, max %.2f)%n%n",
                                                workload,
                                                r[0],
                                                r[1],
                                                r[2])));
        Files.writeString(dir.resolve("repeats.md"), md);
    }

    private static double median(List<BenchResult> results, ToDoubleFunction<BenchResult> value) {
        return medianOf(results.stream().mapToDouble(value).sorted().toArray());
    }

    static double medianOf(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static String spread(
            List<BenchResult> results, ToDoubleFunction<BenchResult> value, String format) {
        double[] values = results.stream().mapToDouble(value).toArray();
        return String.format(Locale.ROOT, format, Arrays.stream(values).min().orElse(0))
                + "–"
                + String.format(Locale.ROOT, format, Arrays.stream(values).max().orElse(0));
    }

    private static String whole(double value) {
        return String.format(Locale.ROOT, "%,.0f", value);
    }
}

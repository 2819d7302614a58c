package dev.exactlyonce.lab.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.exactlyonce.lab.runner.TextTable;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The bench table: printed, and written as bench.json, bench.csv and bench.png (throughput per
 * mode). Above the table, and in every row of the files: the database's durability as PostgreSQL
 * reported it, and its ceiling ({@link DatabaseCeiling}) with each stored/s as a fraction of it.
 */
public record BenchReport(List<BenchResult> results) {

    static final List<String> HEADER =
            List.of(
                    "mode",
                    "workload",
                    "acknowledged",
                    "retries",
                    "ack/s",
                    "stored/s",
                    "of ceiling",
                    "p50 ms",
                    "p95 ms",
                    "p99 ms",
                    "max ms",
                    "stored",
                    "distinct",
                    "lost",
                    "dup",
                    "verdict",
                    "invoiced/s",
                    "invoices verdict",
                    "peak RSS MiB");

    private static List<String> cells(BenchResult r) {
        return List.of(
                r.mode(),
                r.workload(),
                String.format(Locale.ROOT, "%,d", r.acknowledged()),
                String.format(Locale.ROOT, "%,d", r.retries()),
                String.format(Locale.ROOT, "%,.0f", r.acknowledgedPerSecond()),
                String.format(Locale.ROOT, "%,.0f", r.storedPerSecond()),
                ofCeiling(r),
                String.format(Locale.ROOT, "%.1f", r.p50Ms()),
                String.format(Locale.ROOT, "%.1f", r.p95Ms()),
                String.format(Locale.ROOT, "%.1f", r.p99Ms()),
                String.format(Locale.ROOT, "%.1f", r.maxMs()),
                String.valueOf(r.storedRows()),
                String.valueOf(r.storedDistinct()),
                String.valueOf(r.lost()),
                String.valueOf(r.duplicated()),
                r.verdict(),
                String.format(Locale.ROOT, "%,.0f", r.invoicedPerSecond()),
                r.invoiceVerdict(),
                r.residentMemoryMiB().entrySet().stream()
                        .map(e -> e.getKey() + " " + e.getValue())
                        .collect(Collectors.joining(", ")));
    }

    /** Stored/s as a fraction of the database's ceiling, e.g. "0.42"; "-" without a ceiling. */
    static String ofCeiling(BenchResult r) {
        Double fraction = r.storedOfCeiling();
        return fraction == null ? "-" : String.format(Locale.ROOT, "%.2f", fraction);
    }

    /**
     * "database: …" and "ceiling: …", one of each per distinct value (one run has one of each;
     * lines from runs that differ are all shown).
     */
    public List<String> databaseLines() {
        List<String> lines = new ArrayList<>();
        results.stream()
                .map(BenchResult::database)
                .distinct()
                .forEach(
                        d ->
                                lines.add(
                                        "database: "
                                                + d
                                                + ", as PostgreSQL reported it (SHOW fsync, SHOW"
                                                + " synchronous_commit)"));
        results.stream()
                .map(BenchResult::ceiling)
                .distinct()
                .forEach(
                        c ->
                                lines.add(
                                        "ceiling: "
                                                + (c == null
                                                        ? "not measured (no connection to the database)"
                                                        : c.describe())));
        results.stream()
                .map(BenchResult::backgroundLoad)
                .distinct()
                .forEach(b -> lines.add("background load: " + b));
        return lines;
    }

    public void print(PrintStream out) {
        databaseLines().forEach(out::println);
        TextTable.print(out, HEADER, results.stream().map(BenchReport::cells).toList(), 2, 14);
        out.println();
        out.printf(
                Locale.ROOT,
                "CPU from the first order sent to the last stored, %% of one core (this machine: %d cores = %d%%)%n",
                Runtime.getRuntime().availableProcessors(),
                100 * Runtime.getRuntime().availableProcessors());
        List<String> accounts = cpuAccounts();
        List<String> header = cpuHeader(accounts);
        List<List<String>> rows = new ArrayList<>();
        for (BenchResult r : results) {
            List<String> row = new ArrayList<>(List.of(r.mode(), r.workload()));
            accounts.forEach(account -> row.add(percent(r.cpuPercentOfCore().get(account))));
            row.add(
                    percent(
                            r.cpuPercentOfCore().values().stream()
                                    .mapToDouble(Double::doubleValue)
                                    .sum()));
            rows.add(row);
        }
        TextTable.print(out, header, rows, 2, header.size() - 1);
        out.println();
        out.println(
                "CPU per stored order, µs (the same CPU over the orders stored in that time; also cpu-per-order.md)");
        TextTable.print(out, header, cpuPerOrderRows(accounts), 2, header.size() - 1);
    }

    /** The processes the CPU tables have a column for, in the order the runs reported them. */
    private List<String> cpuAccounts() {
        return results.stream()
                .flatMap(r -> r.cpuPercentOfCore().keySet().stream())
                .distinct()
                .toList();
    }

    private static List<String> cpuHeader(List<String> accounts) {
        List<String> header = new ArrayList<>(List.of("mode", "workload"));
        header.addAll(accounts);
        header.add("total");
        return header;
    }

    /**
     * CPU time per stored order by process: % of one core × the run's seconds ÷ distinct orders
     * stored.
     */
    private List<List<String>> cpuPerOrderRows(List<String> accounts) {
        List<List<String>> rows = new ArrayList<>();
        for (BenchResult r : results) {
            List<String> row = new ArrayList<>(List.of(r.mode(), r.workload()));
            accounts.forEach(
                    account -> row.add(microsPerOrder(r, r.cpuPercentOfCore().get(account))));
            row.add(
                    microsPerOrder(
                            r,
                            r.cpuPercentOfCore().values().stream()
                                    .mapToDouble(Double::doubleValue)
                                    .sum()));
            rows.add(row);
        }
        return rows;
    }

    private static String microsPerOrder(BenchResult r, Double percentOfCore) {
        if (percentOfCore == null || r.storedDistinct() == 0) {
            return "-";
        }
        double cpuSeconds = percentOfCore / 100 * r.endToEndSeconds();
        return String.format(Locale.ROOT, "%.1f", cpuSeconds * 1e6 / r.storedDistinct());
    }

    static final List<String> REPLICATION_HEADER =
            List.of(
                    "mode",
                    "workload",
                    "stored/s 1 broker",
                    "stored/s 3 brokers",
                    "3 / 1",
                    "p99 ms 1 broker",
                    "p99 ms 3 brokers");

    /**
     * Per mode and workload: stored orders/s and p99 on one broker and on three, and the ratio;
     * printed and written as replication-cost.md.
     */
    public static void printReplicationCost(
            PrintStream out, BenchReport one, BenchReport three, Path dir) throws IOException {
        List<List<String>> rows = replicationCost(one, three);
        List<String> database = new ArrayList<>(one.databaseLines());
        three.databaseLines().stream().filter(l -> !database.contains(l)).forEach(database::add);
        database.forEach(out::println);
        TextTable.print(out, REPLICATION_HEADER, rows, 2, 6);
        StringBuilder md = new StringBuilder();
        database.forEach(line -> md.append(line).append("\n\n"));
        md.append(
                "| "
                        + String.join(" | ", REPLICATION_HEADER)
                        + " |\n|"
                        + " --- |".repeat(REPLICATION_HEADER.size())
                        + "\n");
        rows.forEach(row -> md.append("| ").append(String.join(" | ", row)).append(" |\n"));
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Files.writeString(dir.resolve("replication-cost.md"), md);
    }

    private static List<List<String>> replicationCost(BenchReport one, BenchReport three) {
        List<List<String>> rows = new ArrayList<>();
        for (BenchResult single : one.results()) {
            three.results().stream()
                    .filter(
                            r ->
                                    r.mode().equals(single.mode())
                                            && r.workload().equals(single.workload()))
                    .findFirst()
                    .ifPresent(
                            replicated ->
                                    rows.add(
                                            List.of(
                                                    single.mode(),
                                                    single.workload(),
                                                    String.format(
                                                            Locale.ROOT,
                                                            "%,.0f",
                                                            single.storedPerSecond()),
                                                    String.format(
                                                            Locale.ROOT,
                                                            "%,.0f",
                                                            replicated.storedPerSecond()),
                                                    String.format(
                                                            Locale.ROOT,
                                                            "%.2f",
                                                            replicated.storedPerSecond()
                                                                    / Math.max(
                                                                            1,
                                                                            single
                                                                                    .storedPerSecond())),
                                                    String.format(
                                                            Locale.ROOT, "%.1f", single.p99Ms()),
                                                    String.format(
                                                            Locale.ROOT,
                                                            "%.1f",
                                                            replicated.p99Ms()))));
        }
        return rows;
    }

    private static String percent(Double value) {
        return value == null ? "-" : String.format(Locale.ROOT, "%.0f%%", value);
    }

    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(dir.resolve("bench.json").toFile(), results);
        List<String> csv = new ArrayList<>();
        csv.add(
                "mode,workload,acknowledged,failed,retries,send_seconds,end_to_end_seconds,acknowledged_per_second,"
                        + "stored_per_second,p50_ms,p95_ms,p99_ms,max_ms,stored_rows,stored_distinct,lost,duplicated,verdict,"
                        + "invoiced_seconds,invoiced_per_second,invoices_distinct,invoice_verdict,rss_mib,cpu_percent_of_core,"
                        + "database,ceiling_rows_per_second,stored_of_ceiling,background_load");
        for (BenchResult r : results) {
            csv.add(
                    String.join(
                            ",",
                            r.mode(),
                            quoted(r.workload()),
                            String.valueOf(r.acknowledged()),
                            String.valueOf(r.failed()),
                            String.valueOf(r.retries()),
                            number(r.sendSeconds()),
                            number(r.endToEndSeconds()),
                            number(r.acknowledgedPerSecond()),
                            number(r.storedPerSecond()),
                            number(r.p50Ms()),
                            number(r.p95Ms()),
                            number(r.p99Ms()),
                            number(r.maxMs()),
                            String.valueOf(r.storedRows()),
                            String.valueOf(r.storedDistinct()),
                            String.valueOf(r.lost()),
                            String.valueOf(r.duplicated()),
                            quoted(r.verdict()),
                            number(r.invoicedSeconds()),
                            number(r.invoicedPerSecond()),
                            String.valueOf(r.invoicesDistinct()),
                            quoted(r.invoiceVerdict()),
                            quoted(r.residentMemoryMiB().toString()),
                            quoted(cpu(r)),
                            quoted(r.database()),
                            r.ceiling() == null ? "" : number(r.ceiling().rowsPerSecond()),
                            r.storedOfCeiling() == null ? "" : number(r.storedOfCeiling()),
                            quoted(r.backgroundLoad())));
        }
        Files.write(dir.resolve("bench.csv"), csv);
        List<String> accounts = cpuAccounts();
        List<String> header = cpuHeader(accounts);
        StringBuilder md = new StringBuilder();
        databaseLines().forEach(line -> md.append(line).append("\n\n"));
        md.append(
                "CPU per stored order, µs\n\n| "
                        + String.join(" | ", header)
                        + " |\n|"
                        + " --- |".repeat(header.size())
                        + "\n");
        cpuPerOrderRows(accounts)
                .forEach(row -> md.append("| ").append(String.join(" | ", row)).append(" |\n"));
        Files.writeString(dir.resolve("cpu-per-order.md"), md);
        BitmapEncoder.saveBitmap(
                chart(), dir.resolve("bench.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private CategoryChart chart() {
        CategoryChart chart =
                new CategoryChartBuilder()
                        .width(1200)
                        .height(600)
                        .title(
                                "Orders per second by delivery mode, database "
                                        + results.stream()
                                                .map(BenchResult::database)
                                                .distinct()
                                                .collect(Collectors.joining("; "))
                                        + ", background load "
                                        + results.stream()
                                                .map(BenchResult::backgroundLoad)
                                                .distinct()
                                                .collect(Collectors.joining("; ")))
                        .xAxisTitle("mode and workload")
                        .yAxisTitle("orders/s")
                        .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        List<String> categories =
                results.stream()
                        .map(r -> abbreviation(r.mode()) + " " + r.workload().split(" ")[0])
                        .toList();
        chart.addSeries(
                "acknowledged/s",
                categories,
                results.stream().map(BenchResult::acknowledgedPerSecond).toList());
        chart.addSeries(
                "stored/s (end to end)",
                categories,
                results.stream().map(BenchResult::storedPerSecond).toList());
        chart.addSeries(
                "invoiced/s (end to end)",
                categories,
                results.stream().map(BenchResult::invoicedPerSecond).toList());
        if (results.stream().allMatch(r -> r.ceiling() != null)) {
            chart.addSeries(
                    "database ceiling (COPY rows/s)",
                    categories,
                    results.stream().map(r -> r.ceiling().rowsPerSecond()).toList());
        }
        return chart;
    }

    /** Initials (AMO, ALO, EO): short enough for six bars side by side. */
    private static String abbreviation(String mode) {
        return java.util.Arrays.stream(mode.split("_"))
                .map(word -> word.substring(0, 1))
                .collect(Collectors.joining());
    }

    private static String cpu(BenchResult r) {
        return r.cpuPercentOfCore().entrySet().stream()
                .map(e -> e.getKey() + " " + String.format(Locale.ROOT, "%.1f", e.getValue()))
                .collect(Collectors.joining(", ", "{", "}"));
    }

    private static String number(double value) {
        return String.format(Locale.ROOT, "%.3f", value);
    }

    private static String quoted(String value) {
        return "\"" + value.replace("\"", "\"\"") + "\"";
    }
}

package dev.exactlyonce.lab.drill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.exactlyonce.lab.runner.TextTable;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** The drill table: printed, and written as drill.csv, drill.json and drill.md. */
public record DrillReport(List<DrillRow> rows) {

    static final List<String> HEADER =
            List.of(
                    "mode",
                    "fault",
                    "sent",
                    "acknowledged",
                    "stored",
                    "distinct",
                    "lost",
                    "duplicated",
                    "verdict",
                    "expected",
                    "ok");

    public boolean passed() {
        return !rows.isEmpty() && rows.stream().allMatch(DrillRow::passed);
    }

    private static List<String> cells(DrillRow r) {
        return List.of(
                r.mode(),
                r.fault(),
                String.valueOf(r.sent()),
                String.valueOf(r.acknowledged()),
                String.valueOf(r.stored()),
                String.valueOf(r.distinct()),
                String.valueOf(r.lost()),
                String.valueOf(r.duplicated()),
                r.verdict(),
                r.expected(),
                r.mark());
    }

    public void print(PrintStream out) {
        TextTable.print(out, HEADER, rows.stream().map(DrillReport::cells).toList(), 2, 7);
        out.println(
                passed()
                        ? "every row as the semantics predict"
                        : "SOME ROWS DIFFER from what the semantics predict");
    }

    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> csv = new ArrayList<>();
        csv.add(String.join(",", HEADER) + ",note");
        rows.forEach(
                r -> {
                    List<String> line = new ArrayList<>(cells(r));
                    line.set(line.size() - 1, String.valueOf(r.passed()));
                    line.add(r.note());
                    csv.add(
                            line.stream()
                                    .map(DrillReport::csvCell)
                                    .collect(Collectors.joining(",")));
                });
        Files.write(dir.resolve("drill.csv"), csv);
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(dir.resolve("drill.json").toFile(), rows);
        List<String> md = new ArrayList<>();
        md.add("| " + String.join(" | ", HEADER) + " |");
        md.add("|" + " --- |".repeat(HEADER.size()));
        rows.forEach(r -> md.add("| " + String.join(" | ", cells(r)) + " |"));
        Files.write(dir.resolve("drill.md"), md);
    }

    static String csvCell(String value) {
        return value.contains(",") || value.contains("\"")
                ? "\"" + value.replace("\"", "\"\"") + "\""
                : value;
    }
}

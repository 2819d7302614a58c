package dev.exactlyonce.lab.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
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

/**
 * Billing against Kafka Streams on the same backlog ({@link KafkaStreamsPeer}): one row per stage,
 * the ratio of their rates, the background load; printed, and written as kafka-streams-peer.md,
 * .csv and .json next to the bench's files.
 */
public record PeerResult(
        String backgroundLoad, InvoiceDrain.Result billing, InvoiceDrain.Result kafkaStreams) {

    static final List<String> HEADER =
            List.of(
                    "stage",
                    "orders",
                    "invoices",
                    "distinct",
                    "lost",
                    "dup",
                    "differing",
                    "counted",
                    "first→last s",
                    "invoices/s",
                    "CPU µs/invoice",
                    "2nd half invoices/s",
                    "2nd half CPU µs/invoice",
                    "check");

    /** Billing's rate over Kafka Streams' (above 1: billing drained faster). */
    @JsonProperty
    public double billingOverKafkaStreams() {
        return kafkaStreams.perSecond() <= 0 ? 0 : billing.perSecond() / kafkaStreams.perSecond();
    }

    /** The same over the second half of the backlog (both stages' JITs warmer). */
    @JsonProperty
    public double secondHalfBillingOverKafkaStreams() {
        return kafkaStreams.secondHalfPerSecond() <= 0
                ? 0
                : billing.secondHalfPerSecond() / kafkaStreams.secondHalfPerSecond();
    }

    private static List<String> cells(InvoiceDrain.Result r) {
        return List.of(
                r.stage(),
                String.format(Locale.ROOT, "%,d", r.orders()),
                String.format(Locale.ROOT, "%,d", r.records()),
                String.format(Locale.ROOT, "%,d", r.distinct()),
                String.valueOf(r.lost()),
                String.valueOf(r.duplicated()),
                String.valueOf(r.differing() + r.unexpected()),
                String.format(Locale.ROOT, "%,d", r.counted()),
                String.format(Locale.ROOT, "%.2f", r.seconds()),
                String.format(Locale.ROOT, "%,.0f", r.perSecond()),
                String.format(Locale.ROOT, "%.1f", r.cpuMicrosPerInvoice()),
                String.format(Locale.ROOT, "%,.0f", r.secondHalfPerSecond()),
                String.format(Locale.ROOT, "%.1f", r.secondHalfCpuMicrosPerInvoice()),
                r.exactlyOnce() ? "one invoice per order, as billing computes it" : "FAILED");
    }

    private List<List<String>> rows() {
        return List.of(cells(billing), cells(kafkaStreams));
    }

    private List<String> lines() {
        return List.of(
                "background load: " + backgroundLoad,
                String.format(
                        Locale.ROOT,
                        "billing ÷ Kafka Streams: %.2f (invoices/s); CPU per invoice %.1f µs against"
                                + " %.1f µs (each stage's own process)",
                        billingOverKafkaStreams(),
                        billing.cpuMicrosPerInvoice(),
                        kafkaStreams.cpuMicrosPerInvoice()),
                String.format(
                        Locale.ROOT,
                        "second half of the backlog: billing ÷ Kafka Streams %.2f (invoices/s); CPU"
                                + " per invoice %.1f µs against %.1f µs",
                        secondHalfBillingOverKafkaStreams(),
                        billing.secondHalfCpuMicrosPerInvoice(),
                        kafkaStreams.secondHalfCpuMicrosPerInvoice()));
    }

    public void print(PrintStream out) {
        out.println("background load: " + backgroundLoad);
        TextTable.print(out, HEADER, rows(), 1, 12);
        out.println(lines().get(1));
        out.println(lines().get(2));
    }

    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(dir.resolve("kafka-streams-peer.json").toFile(), this);
        List<String> csv = new ArrayList<>();
        csv.add(
                "stage,orders,invoices,distinct,lost,duplicated,unexpected,differing,counted,seconds,"
                        + "invoices_per_second,cpu_micros_per_invoice,second_half_invoices_per_second,"
                        + "second_half_cpu_micros_per_invoice,background_load");
        for (InvoiceDrain.Result r : List.of(billing, kafkaStreams)) {
            csv.add(
                    String.join(
                            ",",
                            "\"" + r.stage() + "\"",
                            String.valueOf(r.orders()),
                            String.valueOf(r.records()),
                            String.valueOf(r.distinct()),
                            String.valueOf(r.lost()),
                            String.valueOf(r.duplicated()),
                            String.valueOf(r.unexpected()),
                            String.valueOf(r.differing()),
                            String.valueOf(r.counted()),
                            String.format(Locale.ROOT, "%.3f", r.seconds()),
                            String.format(Locale.ROOT, "%.3f", r.perSecond()),
                            String.format(Locale.ROOT, "%.3f", r.cpuMicrosPerInvoice()),
                            String.format(Locale.ROOT, "%.3f", r.secondHalfPerSecond()),
                            String.format(Locale.ROOT, "%.3f", r.secondHalfCpuMicrosPerInvoice()),
                            "\"" + backgroundLoad + "\""));
        }
        Files.write(dir.resolve("kafka-streams-peer.csv"), csv);
        StringBuilder md = new StringBuilder();
        md.append(lines().get(0)).append("\n\n");
        md.append("| ").append(String.join(" | ", HEADER)).append(" |\n|");
        md.append(" --- |".repeat(HEADER.size())).append("\n");
        rows().forEach(row -> md.append("| ").append(String.join(" | ", row)).append(" |\n"));
        md.append("\n").append(lines().get(1)).append("\n\n");
        md.append(lines().get(2)).append("\n");
        Files.writeString(dir.resolve("kafka-streams-peer.md"), md);
    }
}

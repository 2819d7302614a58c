package dev.exactlyonce.lab.chaos;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.lab.chaos.History.Event;
import dev.exactlyonce.lab.chaos.Reads.LogRecord;
import dev.exactlyonce.lab.chaos.Reads.StoredRow;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The Jepsen-style check of a whole chaos run: a pure function of the {@link History} (what the
 * clients sent and were told, what the nemesis did) and the {@link Reads} (what the database and
 * the committed logs hold at the end, what a read_committed reader saw on the way). Each {@link
 * Anomaly} is counted with up to {@link #EXAMPLES} examples; the mode decides which counts must be
 * zero.
 */
public final class Checker {

    public static final int EXAMPLES = 5;

    private Checker() {}

    public static Verdict check(DeliveryMode mode, List<Event> history, Reads reads) {
        // what the clients did, per order id
        Set<String> sent = new HashSet<>();
        Set<String> acknowledged = new HashSet<>();
        Set<String> failed = new HashSet<>();
        int faults = 0;
        for (Event e : history) {
            switch (e.type()) {
                case invoke -> sent.add(e.orderId());
                case ok -> acknowledged.add(e.orderId());
                case fail -> failed.add(e.orderId());
                case fault_start -> faults++;
                default -> {}
            }
        }
        failed.removeAll(
                acknowledged); // a call is failed only if no attempt of it was acknowledged

        Map<String, Long> rowsPerOrder = countBy(reads.rows(), StoredRow::orderId);
        Map<String, Long> invoicesPerOrder = countBy(reads.committedInvoices(), LogRecord::key);

        Map<Anomaly, List<String>> found = new EnumMap<>(Anomaly.class);
        for (Anomaly a : Anomaly.values()) {
            found.put(a, new ArrayList<>());
        }
        for (String order : sorted(acknowledged)) {
            if (!rowsPerOrder.containsKey(order)) {
                found.get(Anomaly.LOST).add(order);
            }
        }
        rowsPerOrder.forEach(
                (order, rows) -> {
                    if (rows > 1) {
                        found.get(Anomaly.DUPLICATED).add(order + " (" + rows + " rows)");
                    }
                    if (!sent.contains(order)) {
                        found.get(Anomaly.STORED_NEVER_SENT).add(order);
                    } else if (failed.contains(order)) {
                        found.get(Anomaly.STORED_AFTER_FAILED_CALL).add(order);
                    }
                    if (!invoicesPerOrder.containsKey(order)) {
                        found.get(Anomaly.INVOICE_MISSING).add(order);
                    }
                });
        invoicesPerOrder.forEach(
                (order, invoices) -> {
                    if (invoices > 1) {
                        found.get(Anomaly.DUPLICATE_INVOICE)
                                .add(order + " (" + invoices + " invoices)");
                    }
                    if (!rowsPerOrder.containsKey(order)) {
                        found.get(Anomaly.INVOICE_WITHOUT_ORDER).add(order);
                    }
                });

        // the concurrent reader: nothing it saw may be missing from the committed log ...
        Set<LogRecord> committed = new HashSet<>(reads.committedOrders());
        committed.addAll(reads.committedInvoices());
        // ... and within a partition it must have seen offsets only going up
        Map<String, Long> lastOffset = new HashMap<>();
        for (LogRecord r : reads.seenDuringRun()) {
            if (!committed.contains(r)) {
                found.get(Anomaly.ABORTED_READ).add(r.position() + " key " + r.key());
            }
            String partition = r.topic() + "-" + r.partition();
            Long last = lastOffset.put(partition, r.offset());
            if (last != null && r.offset() <= last) {
                found.get(Anomaly.NON_MONOTONIC)
                        .add(partition + ": offset " + r.offset() + " after " + last);
            }
        }

        // a leg that never caught up stopped or fell behind, whatever the mode lets it lose
        found.get(Anomaly.NOT_DRAINED).addAll(reads.notDrained());

        Map<Anomaly, Verdict.Count> counts = new LinkedHashMap<>();
        found.forEach(
                (anomaly, examples) ->
                        counts.put(
                                anomaly,
                                new Verdict.Count(
                                        examples.size(),
                                        List.copyOf(
                                                examples.subList(
                                                        0, Math.min(EXAMPLES, examples.size()))),
                                        examples.isEmpty() || anomaly.allowedIn(mode))));
        long invoicesTotal =
                reads.committedInvoices().stream()
                        .filter(r -> r.topic().equals(Topics.INVOICES))
                        .count();
        return new Verdict(
                mode,
                new Verdict.Totals(
                        sent.size(),
                        acknowledged.size(),
                        failed.size(),
                        reads.rows().size(),
                        rowsPerOrder.size(),
                        invoicesTotal,
                        reads.seenDuringRun().size(),
                        faults),
                counts);
    }

    private static <T> Map<String, Long> countBy(List<T> items, Function<T, String> key) {
        return items.stream()
                .collect(Collectors.groupingBy(key, TreeMap::new, Collectors.counting()));
    }

    private static List<String> sorted(Set<String> ids) {
        return ids.stream().sorted().toList();
    }
}

package dev.exactlyonce.lab.chaos;

import java.util.List;

/**
 * What was read once the run was over and the pipeline drained (or the drain timeout ran out), plus
 * what the concurrent reader saw during the run: the {@link Checker}'s second input, next to the
 * {@link History}.
 *
 * @param rows the PostgreSQL order rows of this run (one element per row)
 * @param committedOrders the {@code orders} topic from the beginning, read_committed, after the run
 * @param committedInvoices likewise {@code invoices}
 * @param seenDuringRun what a read_committed reader of both topics received while the run went on,
 *     in the order it received it
 * @param notDrained the legs the audit still found behind when the drain timeout ran out, each with
 *     its words (e.g. "orders (database leg): NOT_DRAINED (107968 in flight)"); empty when both
 *     drained
 */
public record Reads(
        List<StoredRow> rows,
        List<LogRecord> committedOrders,
        List<LogRecord> committedInvoices,
        List<LogRecord> seenDuringRun,
        List<String> notDrained) {

    /** One row of the {@code orders} table. */
    public record StoredRow(String orderId, String messageId, String customerId) {}

    /** One Kafka record; both topics are keyed by order_id. */
    public record LogRecord(String topic, int partition, long offset, String key) {

        public String position() {
            return topic + "-" + partition + "@" + offset;
        }
    }
}

package dev.exactlyonce.lab.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.lab.chaos.History.Event;
import dev.exactlyonce.lab.chaos.Reads.LogRecord;
import dev.exactlyonce.lab.chaos.Reads.StoredRow;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The checker without a lab: a clean history passes, and each doctored history shows exactly the
 * anomaly it was given — the proof that the checker can fail.
 */
class CheckerTest {

    /** Orders o-0..o-(n-1), each sent once, acknowledged, stored once and invoiced once. */
    private static final class Run {
        final List<Event> history = new ArrayList<>();
        final List<StoredRow> rows = new ArrayList<>();
        final List<LogRecord> orders = new ArrayList<>();
        final List<LogRecord> invoices = new ArrayList<>();
        final List<LogRecord> seen = new ArrayList<>();
        final List<String> notDrained = new ArrayList<>();

        Run(int n) {
            history.add(Event.faultStart(0, "pause", "pause kafka-1 for 11 s"));
            for (int i = 0; i < n; i++) {
                String id = "o-" + i;
                int p = i % 3;
                long offset = i / 3;
                history.add(Event.invoke(i, "client-0", id));
                history.add(Event.ok(i, "client-0", id, "m-" + i, p, offset));
                rows.add(new StoredRow(id, "m-" + i, "cust-" + i));
                LogRecord order = new LogRecord("orders", p, offset, id);
                LogRecord invoice = new LogRecord("invoices", p, offset, id);
                orders.add(order);
                invoices.add(invoice);
                seen.add(order);
                seen.add(invoice);
            }
            history.add(Event.faultEnd(100, "pause", "pause kafka-1 for 11 s → kill -CONT"));
        }

        Verdict check(DeliveryMode mode) {
            return Checker.check(
                    mode, history, new Reads(rows, orders, invoices, seen, notDrained));
        }
    }

    @Test
    void aCleanRunPassesInEveryMode() {
        for (DeliveryMode mode :
                List.of(
                        DeliveryMode.EXACTLY_ONCE,
                        DeliveryMode.AT_LEAST_ONCE,
                        DeliveryMode.AT_MOST_ONCE)) {
            Verdict verdict = new Run(10).check(mode);
            assertThat(verdict.passed()).as(mode.name()).isTrue();
            assertThat(verdict.counts().values()).allMatch(c -> c.count() == 0);
            assertThat(verdict.totals().acknowledged()).isEqualTo(10);
            assertThat(verdict.totals().faults()).isEqualTo(1);
        }
    }

    @Test
    void anAcknowledgedOrderNeverStoredIsLost() {
        Run run = new Run(10);
        run.rows.removeIf(r -> r.orderId().equals("o-3"));
        run.invoices.removeIf(r -> r.key().equals("o-3"));
        run.seen.removeIf(r -> r.key().equals("o-3") && r.topic().equals("invoices"));
        Verdict verdict = run.check(DeliveryMode.EXACTLY_ONCE);
        assertOnly(verdict, Anomaly.LOST);
        assertThat(verdict.counts().get(Anomaly.LOST).examples()).containsExactly("o-3");
        // at-most-once allows it, at-least-once does not
        assertThat(run.check(DeliveryMode.AT_MOST_ONCE).passed()).isTrue();
        assertThat(run.check(DeliveryMode.AT_LEAST_ONCE).passed()).isFalse();
    }

    @Test
    void anOrderStoredTwiceIsDuplicated() {
        Run run = new Run(10);
        run.rows.add(new StoredRow("o-4", "m-4", "cust-4"));
        Verdict verdict = run.check(DeliveryMode.EXACTLY_ONCE);
        assertOnly(verdict, Anomaly.DUPLICATED);
        assertThat(verdict.counts().get(Anomaly.DUPLICATED).examples())
                .containsExactly("o-4 (2 rows)");
        assertThat(run.check(DeliveryMode.AT_LEAST_ONCE).passed()).isTrue();
        assertThat(run.check(DeliveryMode.AT_MOST_ONCE).passed()).isFalse();
    }

    @Test
    void anOrderInvoicedTwiceIsADuplicateInvoice() {
        Run run = new Run(10);
        run.invoices.add(new LogRecord("invoices", 2, 100, "o-5"));
        assertOnly(run.check(DeliveryMode.EXACTLY_ONCE), Anomaly.DUPLICATE_INVOICE);
    }

    @Test
    void anOrderStoredAfterAFailedCallIsCountedButAllowed() {
        Run run = new Run(10);
        run.history.replaceAll(
                e ->
                        e.type() == History.Type.ok && e.orderId().equals("o-6")
                                ? Event.fail(e.millis(), "client-0", "o-6", "DEADLINE_EXCEEDED")
                                : e);
        Verdict verdict = run.check(DeliveryMode.EXACTLY_ONCE);
        assertThat(verdict.count(Anomaly.STORED_AFTER_FAILED_CALL)).isEqualTo(1);
        assertThat(verdict.passed()).isTrue();
        assertThat(verdict.totals().failedCalls()).isEqualTo(1);
    }

    @Test
    void aRowNoCallSentIsStoredNeverSent() {
        Run run = new Run(10);
        run.rows.add(new StoredRow("o-ghost", "m-ghost", "cust-x"));
        run.invoices.add(new LogRecord("invoices", 0, 50, "o-ghost"));
        assertOnly(run.check(DeliveryMode.EXACTLY_ONCE), Anomaly.STORED_NEVER_SENT);
    }

    @Test
    void aStoredOrderWithoutInvoiceIsInvoiceMissing() {
        Run run = new Run(10);
        run.invoices.removeIf(r -> r.key().equals("o-7"));
        run.seen.removeIf(r -> r.key().equals("o-7") && r.topic().equals("invoices"));
        assertOnly(run.check(DeliveryMode.EXACTLY_ONCE), Anomaly.INVOICE_MISSING);
    }

    @Test
    void anInvoiceOfAnOrderNotStoredIsInvoiceWithoutOrder() {
        Run run = new Run(10);
        run.history.add(Event.invoke(200, "client-1", "o-failed"));
        run.history.add(Event.fail(201, "client-1", "o-failed", "UNAVAILABLE"));
        run.invoices.add(new LogRecord("invoices", 1, 60, "o-failed"));
        assertOnly(run.check(DeliveryMode.EXACTLY_ONCE), Anomaly.INVOICE_WITHOUT_ORDER);
    }

    @Test
    void aRecordSeenButNotInTheCommittedLogIsAnAbortedRead() {
        Run run = new Run(10);
        // the reader saw offset 10 of orders-0, which the committed log does not have (aborted)
        run.seen.add(new LogRecord("orders", 0, 10, "o-0"));
        Verdict verdict = run.check(DeliveryMode.EXACTLY_ONCE);
        assertOnly(verdict, Anomaly.ABORTED_READ);
        assertThat(verdict.counts().get(Anomaly.ABORTED_READ).examples())
                .containsExactly("orders-0@10 key o-0");
    }

    @Test
    void offsetsGoingBackInAPartitionAreNonMonotonic() {
        Run run = new Run(10);
        // o-0 (orders-0@0) and o-3 (orders-0@1) seen the other way round
        int a = run.seen.indexOf(new LogRecord("orders", 0, 0, "o-0"));
        int b = run.seen.indexOf(new LogRecord("orders", 0, 1, "o-3"));
        LogRecord first = run.seen.get(a);
        run.seen.set(a, run.seen.get(b));
        run.seen.set(b, first);
        Verdict verdict = run.check(DeliveryMode.EXACTLY_ONCE);
        assertOnly(verdict, Anomaly.NON_MONOTONIC);
        assertThat(verdict.counts().get(Anomaly.NON_MONOTONIC).examples())
                .containsExactly("orders-0: offset 0 after 1");
    }

    @Test
    void aLegThatNeverDrainedFailsInEveryModeEvenWhereItsLossesAreAllowed() {
        for (DeliveryMode mode :
                List.of(
                        DeliveryMode.EXACTLY_ONCE,
                        DeliveryMode.AT_LEAST_ONCE,
                        DeliveryMode.AT_MOST_ONCE)) {
            Run run = new Run(10);
            // what lab chaos seed 7401 met: the consumer stopped, the orders stayed in the topic
            run.notDrained.add("orders (database leg): NOT_DRAINED (107968 in flight)");
            Verdict verdict = run.check(mode);
            assertOnly(verdict, Anomaly.NOT_DRAINED);
            assertThat(verdict.counts().get(Anomaly.NOT_DRAINED).examples())
                    .containsExactly("orders (database leg): NOT_DRAINED (107968 in flight)");
        }
    }

    @Test
    void examplesStopAtFive() {
        Run run = new Run(20);
        run.rows.clear();
        run.invoices.clear();
        run.seen.removeIf(r -> r.topic().equals("invoices"));
        Verdict verdict = run.check(DeliveryMode.EXACTLY_ONCE);
        assertThat(verdict.count(Anomaly.LOST)).isEqualTo(20);
        assertThat(verdict.counts().get(Anomaly.LOST).examples()).hasSize(Checker.EXAMPLES);
        assertThat(verdict.overall()).isEqualTo("FAIL");
    }

    private static void assertOnly(Verdict verdict, Anomaly anomaly) {
        assertThat(verdict.count(anomaly)).as(anomaly.name()).isEqualTo(1);
        assertThat(verdict.counts().get(anomaly).passed()).isFalse();
        assertThat(verdict.passed()).isFalse();
        assertThat(
                        Arrays.stream(Anomaly.values())
                                .filter(a -> a != anomaly)
                                .filter(a -> verdict.count(a) != 0))
                .as("other anomalies")
                .isEmpty();
    }
}

package dev.exactlyonce.lab.drill;

import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import java.util.function.Predicate;

/**
 * What the semantics table of ARCHITECTURE.md predicts for a mode under a fault, and the check of
 * an audit.
 */
public record ExpectedOutcome(
        String description, Predicate<AuditResponse> check, boolean invoiceLeg) {

    ExpectedOutcome(String description, Predicate<AuditResponse> check) {
        this(description, check, false);
    }

    /**
     * Exactly-once, as Kafka's own transaction system test checks it: input set == output set, in
     * order per partition.
     */
    private static final ExpectedOutcome EXACTLY_ONCE_IN_ORDER =
            new ExpectedOutcome(
                    "0 lost, 0 duplicated, in order",
                    a -> a.getLost() == 0 && a.getDuplicated() == 0 && a.getOutOfKafkaOrder() == 0);

    /**
     * Exactly-once end to end: every fault is also judged on the invoice leg, which billing runs in
     * the same mode — a client's retry or a broker failure must not invoice an order twice either.
     */
    private static final ExpectedOutcome EXACTLY_ONCE_BOTH_LEGS =
            new ExpectedOutcome(
                    "0 lost, 0 duplicated, in order; invoices: 0 lost, 0 duplicated",
                    a ->
                            EXACTLY_ONCE_IN_ORDER.check().test(a)
                                    && a.getInvoices().getLost() == 0
                                    && a.getInvoices().getDuplicated() == 0,
                    true);

    private static final ExpectedOutcome NOTHING_LOST_NOTHING_TWICE =
            new ExpectedOutcome(
                    "0 lost, 0 duplicated", a -> a.getLost() == 0 && a.getDuplicated() == 0);
    private static final ExpectedOutcome DUPLICATES_NO_LOSS =
            new ExpectedOutcome(
                    "duplicated > 0, 0 lost", a -> a.getDuplicated() > 0 && a.getLost() == 0);
    private static final ExpectedOutcome LOSSES_NO_DUPLICATES =
            new ExpectedOutcome(
                    "lost > 0, 0 duplicated", a -> a.getLost() > 0 && a.getDuplicated() == 0);
    private static final ExpectedOutcome NO_LOSS =
            new ExpectedOutcome("0 lost", a -> a.getLost() == 0);
    private static final ExpectedOutcome NO_DUPLICATES =
            new ExpectedOutcome("0 duplicated", a -> a.getDuplicated() == 0);

    // billing's rows are judged on the invoice leg: orders against committed invoices
    private static final ExpectedOutcome INVOICES_EXACT =
            new ExpectedOutcome(
                    "invoices: 0 lost, 0 duplicated",
                    a -> a.getInvoices().getLost() == 0 && a.getInvoices().getDuplicated() == 0,
                    true);
    private static final ExpectedOutcome INVOICES_DUPLICATED =
            new ExpectedOutcome(
                    "invoices: duplicated > 0, 0 lost",
                    a -> a.getInvoices().getDuplicated() > 0 && a.getInvoices().getLost() == 0,
                    true);
    private static final ExpectedOutcome INVOICES_LOST =
            new ExpectedOutcome(
                    "invoices: lost > 0, 0 duplicated",
                    a -> a.getInvoices().getLost() > 0 && a.getInvoices().getDuplicated() == 0,
                    true);
    private static final ExpectedOutcome INVOICES_NO_LOSS =
            new ExpectedOutcome("invoices: 0 lost", a -> a.getInvoices().getLost() == 0, true);
    private static final ExpectedOutcome INVOICES_NO_DUPLICATES =
            new ExpectedOutcome(
                    "invoices: 0 duplicated", a -> a.getInvoices().getDuplicated() == 0, true);

    /**
     * A poison order mid-stream, in every mode: it is dead-lettered alone on both legs, named by
     * the audit, and it changes nothing else: every mode keeps exactly what it keeps without it.
     */
    private static ExpectedOutcome poison(DeliveryMode mode) {
        ExpectedOutcome rest =
                switch (mode) {
                    case EXACTLY_ONCE -> EXACTLY_ONCE_BOTH_LEGS;
                    case AT_LEAST_ONCE -> NO_LOSS;
                    case AT_MOST_ONCE -> NO_DUPLICATES;
                    default -> throw new IllegalArgumentException("no expectation for " + mode);
                };
        return new ExpectedOutcome(
                "1 dead-lettered on each leg, named; " + rest.description(),
                a ->
                        a.getDeadLettered() == 1
                                && a.getInvoices().getDeadLettered() == 1
                                && a.getVerdict().contains("1 dead-lettered")
                                && rest.check().test(a),
                true);
    }

    /**
     * A crash drill halts between two steps of the mode (see ConsumerSemantics), so its outcome is
     * exact; an external fault strikes anywhere, so only the mode's guarantee is checked.
     */
    public static ExpectedOutcome of(DeliveryMode mode, Fault fault) {
        if (fault.isBillingFault()) {
            return billing(mode, fault);
        }
        if (fault == Fault.POISON_ORDER) {
            return poison(mode);
        }
        return switch (mode) {
            case EXACTLY_ONCE -> EXACTLY_ONCE_BOTH_LEGS;
            // steps: write rows, commit offsets
            case AT_LEAST_ONCE ->
                    switch (fault) {
                        // between the two steps: the committed batch is replayed
                        case CRASH_AFTER_DB_COMMIT -> DUPLICATES_NO_LOSS;
                        // the rows rolled back, or both steps were done: nothing to show
                        case CRASH_BEFORE_DB_COMMIT, CRASH_AFTER_OFFSET_COMMIT ->
                                NOTHING_LOST_NOTHING_TWICE;
                        default -> NO_LOSS;
                    };
            // steps: commit offsets, write rows
            case AT_MOST_ONCE ->
                    switch (fault) {
                        // the offsets were committed, the rows never were: the batch is skipped
                        case CRASH_AFTER_OFFSET_COMMIT, CRASH_BEFORE_DB_COMMIT ->
                                LOSSES_NO_DUPLICATES;
                        // both steps were done
                        case CRASH_AFTER_DB_COMMIT -> NOTHING_LOST_NOTHING_TWICE;
                        default -> NO_DUPLICATES;
                    };
            default -> throw new IllegalArgumentException("no expectation for " + mode);
        };
    }

    /**
     * Billing's steps (BillingStage): at-most-once commit → send, at-least-once send → commit,
     * exactly-once one transaction.
     */
    private static ExpectedOutcome billing(DeliveryMode mode, Fault fault) {
        return switch (mode) {
            case EXACTLY_ONCE -> INVOICES_EXACT;
            case AT_LEAST_ONCE ->
                    switch (fault) {
                        // sent and acknowledged, offsets not committed: the batch is billed again
                        case BILLING_CRASH_AFTER_SEND, BILLING_CRASH_BEFORE_COMMIT ->
                                INVOICES_DUPLICATED;
                        case BILLING_CRASH_AFTER_COMMIT -> INVOICES_EXACT;
                        default -> INVOICES_NO_LOSS;
                    };
            case AT_MOST_ONCE ->
                    switch (fault) {
                        // offsets committed, invoices never sent: the batch is skipped
                        case BILLING_CRASH_AFTER_COMMIT -> INVOICES_LOST;
                        // nothing done yet
                        case BILLING_CRASH_BEFORE_COMMIT -> INVOICES_EXACT;
                        // sent without waiting, then the halt: what was still in the producer's
                        // buffer is lost
                        default -> INVOICES_NO_DUPLICATES;
                    };
            default -> throw new IllegalArgumentException("no expectation for " + mode);
        };
    }

    /** A verdict only counts on a drained pipeline: in-flight orders would look lost. */
    public boolean holds(AuditResponse audit) {
        return audit.getDrained()
                && (!invoiceLeg || audit.getInvoices().getDrained())
                && check.test(audit);
    }
}

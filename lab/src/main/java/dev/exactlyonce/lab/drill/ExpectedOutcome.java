package dev.exactlyonce.lab.drill;

import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import java.util.function.Predicate;

/** What the semantics table of ARCHITECTURE.md predicts for a mode under a fault, and the check of an audit. */
public record ExpectedOutcome(String description, Predicate<AuditResponse> check) {

    private static final ExpectedOutcome NOTHING_LOST_NOTHING_TWICE =
            new ExpectedOutcome("0 lost, 0 duplicated", a -> a.getLost() == 0 && a.getDuplicated() == 0);
    private static final ExpectedOutcome DUPLICATES_NO_LOSS =
            new ExpectedOutcome("duplicated > 0, 0 lost", a -> a.getDuplicated() > 0 && a.getLost() == 0);
    private static final ExpectedOutcome LOSSES_NO_DUPLICATES =
            new ExpectedOutcome("lost > 0, 0 duplicated", a -> a.getLost() > 0 && a.getDuplicated() == 0);
    private static final ExpectedOutcome NO_LOSS = new ExpectedOutcome("0 lost", a -> a.getLost() == 0);
    private static final ExpectedOutcome NO_DUPLICATES = new ExpectedOutcome("0 duplicated", a -> a.getDuplicated() == 0);

    public static ExpectedOutcome of(DeliveryMode mode, Fault fault) {
        return switch (mode) {
            case EXACTLY_ONCE -> NOTHING_LOST_NOTHING_TWICE;
            // the crash lands between "write rows" and "commit offsets": the batch is replayed
            case AT_LEAST_ONCE -> fault == Fault.CRASH_AFTER_DB_COMMIT ? DUPLICATES_NO_LOSS : NO_LOSS;
            // the crash lands between "commit offsets" and "write rows": the batch is skipped
            case AT_MOST_ONCE -> fault == Fault.CRASH_AFTER_OFFSET_COMMIT ? LOSSES_NO_DUPLICATES : NO_DUPLICATES;
            default -> throw new IllegalArgumentException("no expectation for " + mode);
        };
    }

    /** A verdict only counts on a drained pipeline: in-flight orders would look lost. */
    public boolean holds(AuditResponse audit) {
        return audit.getDrained() && check.test(audit);
    }
}

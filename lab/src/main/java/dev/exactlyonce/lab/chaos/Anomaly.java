package dev.exactlyonce.lab.chaos;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import java.util.EnumSet;
import java.util.Set;

/** The classes of anomaly the {@link Checker} looks for, and which a delivery mode allows. */
public enum Anomaly {
    LOST("lost: acknowledged, never stored"),
    DUPLICATED("duplicated: stored more than once"),
    DUPLICATE_INVOICE("invoiced more than once"),
    STORED_AFTER_FAILED_CALL("stored after a failed call (allowed: the outcome was unknown)"),
    STORED_NEVER_SENT("stored, but no call ever sent that order_id"),
    INVOICE_MISSING("stored, no invoice"),
    INVOICE_WITHOUT_ORDER("invoice of an order that is not stored"),
    ABORTED_READ("seen by a read_committed reader, absent from the committed log"),
    NON_MONOTONIC("offsets out of order in a partition, as the reader saw them"),
    NOT_DRAINED("a leg still had orders to work through when the drain timeout ran out");

    private final String description;

    Anomaly(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    /**
     * Whether {@code mode} allows any number of this anomaly. Exactly-once allows none (a call that
     * failed may still have stored its order: that is never an anomaly); at-least-once allows
     * duplicates; at-most-once allows losses, and so a stored order's missing invoice or an invoice
     * of an order the consumer lost. No mode allows a leg that stopped: at-most-once may lose an
     * order, not the whole stream after it.
     */
    public boolean allowedIn(DeliveryMode mode) {
        Set<Anomaly> allowed =
                switch (mode) {
                    case AT_LEAST_ONCE -> EnumSet.of(DUPLICATED, DUPLICATE_INVOICE);
                    case AT_MOST_ONCE -> EnumSet.of(LOST, INVOICE_MISSING, INVOICE_WITHOUT_ORDER);
                    default -> EnumSet.noneOf(Anomaly.class);
                };
        return this == STORED_AFTER_FAILED_CALL || allowed.contains(this);
    }
}

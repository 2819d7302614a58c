package dev.exactlyonce.lab.drill;

import dev.exactlyonce.grpc.v1.BillingCrashPoint;
import dev.exactlyonce.grpc.v1.CrashPoint;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import java.util.List;

/**
 * What a drill does to the pipeline while orders flow. The crash faults are the consumer's (or
 * billing's) own one-shot crash drill (it halts between two steps of its mode). The external faults
 * strike at a random moment of the stream: SIGKILL is what {@code kill -9} / {@code kubectl delete
 * pod --grace-period=0 --force} does; a pause is {@code kill -STOP}, then {@code kill -CONT} after
 * longer than the group's session timeout and billing's transaction timeout (a GC pause or a frozen
 * VM: the classic zombie, which wakes up to a group and a coordinator that have moved on); a
 * restart stops the database and starts it again; the broker faults aim at the Kafka node that
 * matters at that moment (the leader of an {@code orders} partition, the producer's transaction
 * coordinator, the consumer group's coordinator), bounce every node cleanly one after the other, or
 * keep two of three nodes down (below {@code min.insync.replicas}); a hanging transaction holds
 * every read_committed reader back until an abort through the Admin API ends it.
 */
public enum Fault {
    CRASH_BEFORE_DB_COMMIT(CrashPoint.BEFORE_DB_COMMIT),
    CRASH_AFTER_DB_COMMIT(CrashPoint.AFTER_DB_COMMIT),
    CRASH_AFTER_OFFSET_COMMIT(CrashPoint.AFTER_OFFSET_COMMIT),
    // billing's own one-shot crash drill, between the steps of its mode (see BillingStage); judged
    // on the invoice leg
    BILLING_CRASH_AFTER_SEND(BillingCrashPoint.AFTER_SEND),
    BILLING_CRASH_BEFORE_COMMIT(BillingCrashPoint.BEFORE_COMMIT),
    BILLING_CRASH_AFTER_COMMIT(BillingCrashPoint.AFTER_COMMIT),
    SIGKILL_CONSUMER,
    SIGKILL_BILLING,
    SIGKILL_PRODUCER,
    PAUSE_CONSUMER,
    PAUSE_BILLING,
    RESTART_POSTGRES,
    SIGKILL_PARTITION_LEADER,
    SIGKILL_TRANSACTION_COORDINATOR,
    SIGKILL_GROUP_COORDINATOR,
    ROLLING_RESTART_KAFKA,
    TWO_BROKERS_DOWN,
    NET_CUT_PRODUCER_KAFKA,
    NET_LOST_REPLIES,
    NET_COMMIT_UNKNOWN_POSTGRES,
    NET_PARTITION_CONSUMER_KAFKA,
    NET_CUT_QUERY,
    NET_SLOW_POSTGRES,
    NET_SLOW_KAFKA,
    // an order that breaks the order contract, written to topic orders by a foreign writer (see
    // PoisonOrder)
    POISON_ORDER,
    // a foreign transaction left open on every partition of orders, then aborted through the Admin
    // API (see HangingTransaction)
    HANGING_TRANSACTION;

    /**
     * Network faults: each needs the lab's fault proxies (--network-faults; the drill turns them
     * on).
     */
    public static final List<Fault> NETWORK =
            List.of(
                    NET_CUT_PRODUCER_KAFKA,
                    NET_LOST_REPLIES,
                    NET_COMMIT_UNKNOWN_POSTGRES,
                    NET_PARTITION_CONSUMER_KAFKA,
                    NET_CUT_QUERY,
                    NET_SLOW_POSTGRES,
                    NET_SLOW_KAFKA);

    public static final List<Fault> BROKER =
            List.of(
                    SIGKILL_PARTITION_LEADER,
                    SIGKILL_TRANSACTION_COORDINATOR,
                    SIGKILL_GROUP_COORDINATOR,
                    ROLLING_RESTART_KAFKA,
                    TWO_BROKERS_DOWN);
    public static final List<Fault> EXTERNAL =
            List.of(
                    SIGKILL_CONSUMER,
                    SIGKILL_BILLING,
                    SIGKILL_PRODUCER,
                    PAUSE_CONSUMER,
                    PAUSE_BILLING,
                    RESTART_POSTGRES,
                    SIGKILL_PARTITION_LEADER,
                    SIGKILL_TRANSACTION_COORDINATOR,
                    SIGKILL_GROUP_COORDINATOR,
                    ROLLING_RESTART_KAFKA,
                    TWO_BROKERS_DOWN,
                    NET_CUT_PRODUCER_KAFKA,
                    NET_LOST_REPLIES,
                    NET_COMMIT_UNKNOWN_POSTGRES,
                    NET_PARTITION_CONSUMER_KAFKA,
                    NET_CUT_QUERY,
                    NET_SLOW_POSTGRES,
                    NET_SLOW_KAFKA,
                    POISON_ORDER,
                    HANGING_TRANSACTION);
    public static final List<Fault> CRASHES =
            List.of(CRASH_BEFORE_DB_COMMIT, CRASH_AFTER_DB_COMMIT, CRASH_AFTER_OFFSET_COMMIT);
    public static final List<Fault> BILLING_CRASHES =
            List.of(
                    BILLING_CRASH_AFTER_SEND,
                    BILLING_CRASH_BEFORE_COMMIT,
                    BILLING_CRASH_AFTER_COMMIT);

    private final CrashPoint crashPoint;
    private final BillingCrashPoint billingCrashPoint;

    /** An external fault: no crash point. */
    Fault() {
        this.crashPoint = null;
        this.billingCrashPoint = null;
    }

    Fault(CrashPoint crashPoint) {
        this.crashPoint = crashPoint;
        this.billingCrashPoint = null;
    }

    Fault(BillingCrashPoint billingCrashPoint) {
        this.crashPoint = null;
        this.billingCrashPoint = billingCrashPoint;
    }

    /** Judged on the audit's invoice leg (orders against committed invoices), not on PostgreSQL. */
    public boolean isBillingFault() {
        return billingCrashPoint != null || this == SIGKILL_BILLING || this == PAUSE_BILLING;
    }

    public BillingCrashPoint billingCrashPoint() {
        return billingCrashPoint;
    }

    /** Needs a replicated cluster (3 brokers): with one, two cannot be down. */
    public boolean needsThreeBrokers() {
        return this == TWO_BROKERS_DOWN;
    }

    public boolean isCrashDrill() {
        return crashPoint != null || billingCrashPoint != null;
    }

    public CrashPoint crashPoint() {
        return crashPoint;
    }

    public String label(int times) {
        return switch (this) {
            case SIGKILL_CONSUMER -> "SIGKILL consumer x" + times;
            case SIGKILL_BILLING -> "SIGKILL billing x" + times;
            case BILLING_CRASH_AFTER_SEND,
                    BILLING_CRASH_BEFORE_COMMIT,
                    BILLING_CRASH_AFTER_COMMIT ->
                    "billing crash " + billingCrashPoint.name();
            case SIGKILL_PRODUCER -> "SIGKILL producer x" + times;
            case PAUSE_CONSUMER -> "pause consumer x" + times;
            case PAUSE_BILLING -> "pause billing x" + times;
            case RESTART_POSTGRES -> "restart PostgreSQL x" + times;
            case SIGKILL_PARTITION_LEADER -> "SIGKILL orders leader x" + times;
            case SIGKILL_TRANSACTION_COORDINATOR -> "SIGKILL txn coordinator x" + times;
            case SIGKILL_GROUP_COORDINATOR -> "SIGKILL group coordinator x" + times;
            case ROLLING_RESTART_KAFKA -> "rolling restart Kafka x" + times;
            case TWO_BROKERS_DOWN -> "2 of 3 brokers down x" + times;
            case NET_CUT_PRODUCER_KAFKA -> "cut producer-Kafka x" + times;
            case NET_LOST_REPLIES -> "lost replies x" + times;
            case NET_COMMIT_UNKNOWN_POSTGRES -> "cut PG during COMMIT x" + times;
            case NET_PARTITION_CONSUMER_KAFKA -> "partition consumer-Kafka x" + times;
            case NET_CUT_QUERY -> "cut query-PG/Kafka x" + times;
            case NET_SLOW_POSTGRES -> "+200 ms PostgreSQL x" + times;
            case NET_SLOW_KAFKA -> "+200 ms Kafka x" + times;
            case POISON_ORDER -> "poison order x" + times;
            case HANGING_TRANSACTION -> "hanging transaction x" + times;
            default -> "crash " + crashPoint.name();
        };
    }

    /**
     * The faults that show each mode's character: at-most-once loses the batch whose offsets were
     * committed before the write; at-least-once writes twice the batch whose offsets were not
     * committed yet; exactly-once survives a crash at every point.
     */
    public static List<Fault> crashesFor(DeliveryMode mode) {
        return switch (mode) {
            case AT_MOST_ONCE -> List.of(CRASH_AFTER_OFFSET_COMMIT);
            case AT_LEAST_ONCE -> List.of(CRASH_AFTER_DB_COMMIT);
            case EXACTLY_ONCE -> CRASHES;
            default -> throw new IllegalArgumentException("no drill for " + mode);
        };
    }

    /**
     * Billing's telling crashes: at-most-once loses the batch whose offsets it committed before
     * sending; at-least-once invoices twice the batch it sent before committing; exactly-once
     * survives every point.
     */
    public static List<Fault> billingCrashesFor(DeliveryMode mode) {
        return switch (mode) {
            case AT_MOST_ONCE -> List.of(BILLING_CRASH_AFTER_COMMIT);
            case AT_LEAST_ONCE -> List.of(BILLING_CRASH_AFTER_SEND);
            case EXACTLY_ONCE -> BILLING_CRASHES;
            default -> throw new IllegalArgumentException("no drill for " + mode);
        };
    }
}

package dev.exactlyonce.lab.drill;

import dev.exactlyonce.grpc.v1.CrashPoint;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import java.util.List;

/**
 * What a drill does to the pipeline while orders flow. The crash faults are the consumer's own
 * one-shot crash drill (it halts between two steps of its mode). The external faults strike at a
 * random moment of the stream: SIGKILL is what {@code kill -9} / {@code kubectl delete pod
 * --grace-period=0 --force} does; a restart stops the broker or the database and starts it again.
 */
public enum Fault {
    CRASH_BEFORE_DB_COMMIT(CrashPoint.BEFORE_DB_COMMIT),
    CRASH_AFTER_DB_COMMIT(CrashPoint.AFTER_DB_COMMIT),
    CRASH_AFTER_OFFSET_COMMIT(CrashPoint.AFTER_OFFSET_COMMIT),
    SIGKILL_CONSUMER(null),
    SIGKILL_PRODUCER(null),
    RESTART_KAFKA(null),
    RESTART_POSTGRES(null);

    public static final List<Fault> EXTERNAL = List.of(SIGKILL_CONSUMER, SIGKILL_PRODUCER, RESTART_KAFKA, RESTART_POSTGRES);
    public static final List<Fault> CRASHES = List.of(CRASH_BEFORE_DB_COMMIT, CRASH_AFTER_DB_COMMIT, CRASH_AFTER_OFFSET_COMMIT);

    private final CrashPoint crashPoint;

    Fault(CrashPoint crashPoint) {
        this.crashPoint = crashPoint;
    }

    public boolean isCrashDrill() {
        return crashPoint != null;
    }

    public CrashPoint crashPoint() {
        return crashPoint;
    }

    public String label(int times) {
        return switch (this) {
            case SIGKILL_CONSUMER -> "SIGKILL consumer x" + times;
            case SIGKILL_PRODUCER -> "SIGKILL producer x" + times;
            case RESTART_KAFKA -> "restart Kafka x" + times;
            case RESTART_POSTGRES -> "restart PostgreSQL x" + times;
            default -> "crash " + crashPoint.name();
        };
    }

    /**
     * The faults that show each mode's character: at-most-once loses the batch whose offsets were
     * committed before the write; at-least-once writes twice the batch whose offsets were not committed
     * yet; exactly-once survives a crash at every point.
     */
    public static List<Fault> crashesFor(DeliveryMode mode) {
        return switch (mode) {
            case AT_MOST_ONCE -> List.of(CRASH_AFTER_OFFSET_COMMIT);
            case AT_LEAST_ONCE -> List.of(CRASH_AFTER_DB_COMMIT);
            case EXACTLY_ONCE -> CRASHES;
            default -> throw new IllegalArgumentException("no drill for " + mode);
        };
    }
}

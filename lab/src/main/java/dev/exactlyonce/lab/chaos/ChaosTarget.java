package dev.exactlyonce.lab.chaos;

import dev.exactlyonce.lab.chaos.Reads.StoredRow;
import dev.exactlyonce.lab.runner.Lab;
import dev.exactlyonce.lab.runner.Progress;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * What a chaos run strikes and reads: a lab this process started ({@link #of(Lab)}), or the pods of
 * a kind cluster ({@link KindChaosTarget}, {@code lab chaos --against}).
 */
interface ChaosTarget extends AutoCloseable {

    /**
     * The faults of this target, ready for these classes (refused here when one cannot be done).
     */
    Strikes strikes(Set<FaultClass> classes, Progress progress) throws Exception;

    /** A read_committed reader of both topics, for the records whose keys start with prefix. */
    TopicReader reader(String prefix);

    /** The PostgreSQL rows of the orders whose ids start with prefix, once the run drained. */
    List<StoredRow> storedRows(String prefix) throws Exception;

    /** Waits until every service serves again after the nemesis (bounded by timeout). */
    void awaitServing(Duration timeout) throws Exception;

    /** Removes what the target set up for the run; the pipeline stays as it is. */
    @Override
    default void close() throws Exception {}

    static ChaosTarget of(Lab lab) {
        return new LabChaosTarget(lab);
    }
}

package dev.exactlyonce.query.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The audit's arithmetic and its verdict, kept pure so that it can be read and tested on its own.
 * It counts distinct orders (message ids), never calls or records.
 *
 * <ul>
 *   <li>lost: orders that should have been stored but were not. Committed ids are matched one by
 *       one ({@link AuditCounts#committedNotStored()}); acknowledged orders are only a count, so at
 *       least {@code acknowledged - stored - dead-lettered - in flight - skipped by retention (-
 *       key conflicts the caller counted)} of them are missing (this catches at-most-once sends
 *       that never reached Kafka). The larger of the two is the lower bound reported.
 *   <li>duplicated: rows beyond one per message id.
 *   <li>drained: the leg's reader has no committed record left to read and no order of the window
 *       is in flight.
 * </ul>
 *
 * <p>The verdict: {@value #EXACTLY_ONCE} only when drained and every acknowledged order is stored
 * exactly once (nothing lost, duplicated, dead-lettered, key-conflicting or skipped by retention).
 * Otherwise one term per kind of problem, in this order, separated by {@code ", "}:
 *
 * <pre>
 *   NOT_DRAINED (n in flight)           orders of the window not read yet (or: NOT_DRAINED (n records behind)
 *                                       when only records of older windows or replays of stored orders are left)
 *   AT_LEAST_ONCE (n duplicated)
 *   AT_MOST_ONCE (n lost)
 *   STORED_ONCE_EXCEPT (a dead-lettered, b key conflicts, c skipped by retention)
 *                                       the orders set aside, each part only when non-zero; the keyword is
 *                                       NOT_STORED instead when orders were also lost or duplicated
 * </pre>
 *
 * e.g. {@code NOT_DRAINED (12 in flight), AT_MOST_ONCE (2 lost)}. Counts are plural-agreed ("1 key
 * conflict").
 */
public record AuditVerdict(boolean drained, long lost, long duplicated, String verdict) {

    public static final String EXACTLY_ONCE = "EXACTLY_ONCE";
    public static final String NOT_DRAINED = "NOT_DRAINED";
    public static final String AT_LEAST_ONCE = "AT_LEAST_ONCE";
    public static final String AT_MOST_ONCE = "AT_MOST_ONCE";
    public static final String STORED_ONCE_EXCEPT = "STORED_ONCE_EXCEPT";
    public static final String NOT_STORED = "NOT_STORED";

    /**
     * What the audit knows of a leg beyond its ledger counts.
     *
     * @param recordsBehind committed records after the leg's reader's position (its lag)
     * @param keyConflicts distinct orders refused as reused keys
     * @param keyConflictsAcknowledged how many of those {@code acknowledged} counts as orders of
     *     their own: the caller's count does (it placed two orders), the producer's does not (one
     *     message id)
     * @param retentionSkipped offsets deleted by retention before the reader got to them (an upper
     *     bound on orders: the ranges also hold transaction markers)
     */
    public record Progress(
            long recordsBehind,
            long keyConflicts,
            long keyConflictsAcknowledged,
            long retentionSkipped) {

        public static Progress behind(long recordsBehind) {
            return new Progress(recordsBehind, 0, 0, 0);
        }
    }

    /**
     * @param acknowledged orders acknowledged in the window, when known
     */
    public static AuditVerdict judge(
            AuditCounts counts, OptionalLong acknowledged, Progress progress) {
        long accountedFor =
                counts.storedDistinct()
                        + counts.deadLettered()
                        + counts.inFlight()
                        + progress.retentionSkipped()
                        + progress.keyConflictsAcknowledged();
        long acknowledgedMissing =
                acknowledged.isPresent() ? acknowledged.getAsLong() - accountedFor : 0;
        long lost = Math.max(0, Math.max(counts.committedNotStored(), acknowledgedMissing));
        long duplicated = Math.max(0, counts.storedRows() - counts.storedDistinct());
        boolean drained = progress.recordsBehind() == 0 && counts.inFlight() == 0;
        String verdict =
                verdict(
                        counts.inFlight(),
                        progress.recordsBehind(),
                        duplicated,
                        lost,
                        counts.deadLettered() + counts.unidentifiedDeadLetters(),
                        progress.keyConflicts(),
                        progress.retentionSkipped());
        return new AuditVerdict(drained, lost, duplicated, verdict);
    }

    static String verdict(
            long inFlight,
            long recordsBehind,
            long duplicated,
            long lost,
            long deadLettered,
            long keyConflicts,
            long retentionSkipped) {
        List<String> terms = new ArrayList<>();
        if (inFlight > 0) {
            terms.add(NOT_DRAINED + " (" + inFlight + " in flight)");
        } else if (recordsBehind > 0) {
            terms.add(NOT_DRAINED + " (" + count(recordsBehind, "record", "records") + " behind)");
        }
        if (duplicated > 0) {
            terms.add(AT_LEAST_ONCE + " (" + duplicated + " duplicated)");
        }
        if (lost > 0) {
            terms.add(AT_MOST_ONCE + " (" + lost + " lost)");
        }
        List<String> setAside = new ArrayList<>();
        if (deadLettered > 0) {
            setAside.add(deadLettered + " dead-lettered");
        }
        if (keyConflicts > 0) {
            setAside.add(count(keyConflicts, "key conflict", "key conflicts"));
        }
        if (retentionSkipped > 0) {
            setAside.add(retentionSkipped + " skipped by retention");
        }
        if (!setAside.isEmpty()) {
            String keyword = duplicated == 0 && lost == 0 ? STORED_ONCE_EXCEPT : NOT_STORED;
            terms.add(keyword + " (" + String.join(", ", setAside) + ")");
        }
        return terms.isEmpty() ? EXACTLY_ONCE : String.join(", ", terms);
    }

    private static String count(long n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }
}

package dev.exactlyonce.query.audit;

import java.util.OptionalLong;

/**
 * The audit's arithmetic, kept pure so that it can be read and tested on its own.
 *
 * <ul>
 *   <li>lost: message ids that should have been stored but were not. Committed ids are matched one by
 *   one ({@link AuditCounts#committedNotStored()}); acknowledged orders are only a count, so at least
 *   {@code acknowledged - (stored or dead-lettered ids) - in flight} of them are missing (this catches
 *   at-most-once sends that never reached Kafka). The larger of the two is the lower bound we report.</li>
 *   <li>duplicated: rows beyond one per message id.</li>
 * </ul>
 */
public record AuditVerdict(long lost, long duplicated, String verdict) {

    public static final String EXACTLY_ONCE = "EXACTLY_ONCE";

    /**
     * @param acknowledged orders the producer acknowledged in the window, when known
     * @param inFlight     committed records the consumer has not reached yet (not judged)
     */
    public static AuditVerdict judge(AuditCounts counts, OptionalLong acknowledged, long inFlight) {
        return judge(counts, acknowledged, inFlight, 0);
    }

    /**
     * @param refusedOffers distinct orders refused as reused keys (order_conflicts): acknowledged and
     *                      accounted for, like dead letters, though never stored under their key
     */
    public static AuditVerdict judge(AuditCounts counts, OptionalLong acknowledged, long inFlight, long refusedOffers) {
        long accountedFor = counts.storedDistinct() + counts.deadLetteredNotStored() + refusedOffers;
        long acknowledgedMissing = acknowledged.isPresent()
                ? acknowledged.getAsLong() - accountedFor - inFlight
                : 0;
        long lost = Math.max(0, Math.max(counts.committedNotStored(), acknowledgedMissing));
        long duplicated = Math.max(0, counts.storedRows() - counts.storedDistinct());
        return new AuditVerdict(lost, duplicated, verdict(lost, duplicated));
    }

    static String verdict(long lost, long duplicated) {
        if (lost == 0 && duplicated == 0) {
            return EXACTLY_ONCE;
        }
        String atLeastOnce = "AT_LEAST_ONCE (" + duplicated + " duplicated)";
        String atMostOnce = "AT_MOST_ONCE (" + lost + " lost)";
        if (lost == 0) {
            return atLeastOnce;
        }
        return duplicated == 0 ? atMostOnce : atLeastOnce + ", " + atMostOnce;
    }
}

package dev.exactlyonce.semantics;

import dev.exactlyonce.grpc.v1.DeliveryMode;

/**
 * What each delivery mode promises about loss, duplicates and ordering, in words that follow from
 * {@link ProducerSemantics} and {@link ConsumerSemantics}. QueryService.CompareSemantics shows them
 * next to the settings and steps they come from.
 */
public record Guarantees(DeliveryMode mode, String loss, String duplicates, String ordering) {

    public static Guarantees of(DeliveryMode mode) {
        return switch (mode) {
            case AT_MOST_ONCE ->
                    new Guarantees(
                            mode,
                            "Yes: the producer does not wait for the broker (acks=0, no retries), and the consumer "
                                    + "commits the offset before it writes, so a crash between the two loses the batch.",
                            "No: nothing is ever retried or replayed.",
                            "Per partition (key = order_id), but a lost record leaves a gap.");
            case AT_LEAST_ONCE ->
                    new Guarantees(
                            mode,
                            "No: the producer waits for acks=all and retries; the consumer commits only after the "
                                    + "database commit.",
                            "Yes: a producer retry after a lost acknowledgement writes the record twice, and a crash "
                                    + "after the database commit but before the offset commit replays the batch.",
                            "Per partition, except that non-idempotent retries with several requests in flight can "
                                    + "reorder records.");
            case EXACTLY_ONCE ->
                    new Guarantees(
                            mode,
                            "No: transactional producer with acks=all; rows and the next offsets commit in one "
                                    + "database transaction.",
                            "No: the idempotent producer lets the broker drop retried batches, readers see only "
                                    + "committed transactions, and a replayed record finds its message_id in "
                                    + "processed_messages (same database transaction as the row).",
                            "Per partition: the idempotent producer keeps order across retries.");
            default -> throw new IllegalArgumentException("no guarantees for " + mode);
        };
    }
}

package dev.exactlyonce.semantics;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import java.util.List;

/**
 * The consumer side of each delivery mode: the order of steps for one poll batch. The consumer's
 * listener runs exactly these steps in this order, and QueryService.CompareSemantics shows them, so
 * what a learner reads is what runs. A crash between two steps is what makes the difference.
 */
public final class ConsumerSemantics {

    /** One step of processing a poll batch. */
    public enum Step {
        COMMIT_KAFKA_OFFSETS("commit the batch's Kafka offsets"),
        WRITE_ROWS(
                "write the order rows in a database transaction and commit it (with enable_idempotency, "
                        + "the same transaction skips message ids already in processed_messages)"),
        WRITE_ROWS_WITH_DB_OFFSETS(
                "in ONE database transaction: dedup insert into processed_messages, "
                        + "order rows, and the next offsets in kafka_offsets (checked against the expected previous "
                        + "offset: a zombie's batch rolls back); commit"),
        COMMIT_KAFKA_OFFSETS_FOR_LAG(
                "commit the Kafka offsets too, at most once a second, only so that "
                        + "lag is visible to Kafka's own tools (on assignment the consumer seeks to the database offsets; "
                        + "GetConsumerLag reads those)");

        private final String description;

        Step(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    private ConsumerSemantics() {}

    public static List<Step> steps(DeliveryMode mode) {
        return switch (mode) {
            // a crash after the commit and before the write loses the batch
            case AT_MOST_ONCE -> List.of(Step.COMMIT_KAFKA_OFFSETS, Step.WRITE_ROWS);
            // a crash after the write and before the commit replays the batch: duplicates
            case AT_LEAST_ONCE -> List.of(Step.WRITE_ROWS, Step.COMMIT_KAFKA_OFFSETS);
            // rows and offsets commit together or not at all
            case EXACTLY_ONCE ->
                    List.of(Step.WRITE_ROWS_WITH_DB_OFFSETS, Step.COMMIT_KAFKA_OFFSETS_FOR_LAG);
            default -> throw new IllegalArgumentException("no consumer semantics for " + mode);
        };
    }
}

package dev.exactlyonce.semantics;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import java.util.List;

/**
 * Billing's side of each delivery mode (Kafka to Kafka: orders in, invoices out): the order of
 * steps for one poll batch, as {@code billing/.../BillingStage.java} runs them, shown by
 * QueryService.CompareSemantics. The crash points (AFTER_SEND, BEFORE_COMMIT, AFTER_COMMIT) sit
 * between them.
 */
public final class BillingSemantics {

    /** One step of billing a poll batch. */
    public enum Step {
        COMMIT_INPUT_OFFSETS("commit the batch's input offsets (consumer.commitSync)"),
        SEND_INVOICES_NO_WAIT(
                "send one invoice per order to topic invoices, without waiting for acks"),
        SEND_INVOICES_AND_WAIT(
                "send one invoice per order to topic invoices and wait for every ack"),
        TRANSACTION(
                "in ONE Kafka transaction (transactional.id billing-<pod>): send the invoices, "
                        + "sendOffsetsToTransaction(offsets, consumer.groupMetadata()) (a zombie's old generation is "
                        + "rejected), commit; on abort seek back to the batch's first offsets");

        private final String description;

        Step(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    private BillingSemantics() {}

    public static List<Step> steps(DeliveryMode mode) {
        return switch (mode) {
            // a crash after the commit and before the send loses the batch's invoices
            case AT_MOST_ONCE -> List.of(Step.COMMIT_INPUT_OFFSETS, Step.SEND_INVOICES_NO_WAIT);
            // a crash after the send and before the commit invoices the batch twice
            case AT_LEAST_ONCE -> List.of(Step.SEND_INVOICES_AND_WAIT, Step.COMMIT_INPUT_OFFSETS);
            // invoices and offsets commit together or not at all
            case EXACTLY_ONCE -> List.of(Step.TRANSACTION);
            default -> throw new IllegalArgumentException("no billing semantics for " + mode);
        };
    }
}

package dev.exactlyonce.producer;

import dev.exactlyonce.contract.OrderContract.Violation;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.ProducerConfig;
import dev.exactlyonce.grpc.v1.UpdateProducerConfigRequest;

/** UpdateProducerConfig's rules: only the fields that are set change, each within its range. */
final class ProducerConfigRules {

    static final int MAX_GROUP_COMMIT_RECORDS = 10_000;
    static final int MAX_GROUP_COMMIT_MS = 10_000;
    static final int MAX_LINGER_MS = 1_000;
    static final int MAX_BATCH_SIZE = 16 * 1024 * 1024;

    private ProducerConfigRules() {}

    /** The stored settings with the update applied; throws INVALID_ARGUMENT naming the field. */
    static ProducerConfig merge(ProducerConfig stored, UpdateProducerConfigRequest update) {
        Violation broken = check(update);
        if (broken != null) {
            throw broken.asException();
        }
        ProducerConfig.Builder merged = stored.toBuilder();
        if (update.hasDeliveryMode()) {
            merged.setDeliveryMode(update.getDeliveryMode());
        }
        if (update.hasEnableTransactions()) {
            merged.setEnableTransactions(update.getEnableTransactions());
        }
        if (update.hasGroupCommitMaxRecords()) {
            merged.setGroupCommitMaxRecords(update.getGroupCommitMaxRecords());
        }
        if (update.hasGroupCommitMaxMs()) {
            merged.setGroupCommitMaxMs(update.getGroupCommitMaxMs());
        }
        if (update.hasLingerMs()) {
            merged.setLingerMs(update.getLingerMs());
        }
        if (update.hasBatchSize()) {
            merged.setBatchSize(update.getBatchSize());
        }
        return merged.build();
    }

    /**
     * A stored value read back from the settings topic: throws IllegalArgumentException naming a
     * broken field.
     */
    static void checkStored(ProducerConfig stored) {
        Violation broken =
                check(
                        UpdateProducerConfigRequest.newBuilder()
                                .setDeliveryMode(stored.getDeliveryMode())
                                .setGroupCommitMaxRecords(stored.getGroupCommitMaxRecords())
                                .setGroupCommitMaxMs(stored.getGroupCommitMaxMs())
                                .setLingerMs(stored.getLingerMs())
                                .setBatchSize(stored.getBatchSize())
                                .build());
        if (broken != null) {
            throw new IllegalArgumentException(broken.toString());
        }
    }

    static Violation check(UpdateProducerConfigRequest update) {
        if (update.hasDeliveryMode() && !isMode(update.getDeliveryMode())) {
            return new Violation(
                    "delivery_mode",
                    "must be AT_MOST_ONCE, AT_LEAST_ONCE or EXACTLY_ONCE, got "
                            + (update.getDeliveryMode() == DeliveryMode.UNRECOGNIZED
                                    ? String.valueOf(update.getDeliveryModeValue())
                                    : update.getDeliveryMode().name()));
        }
        if (update.hasGroupCommitMaxRecords()) {
            Violation broken =
                    range(
                            "group_commit_max_records",
                            update.getGroupCommitMaxRecords(),
                            1,
                            MAX_GROUP_COMMIT_RECORDS);
            if (broken != null) {
                return broken;
            }
        }
        if (update.hasGroupCommitMaxMs()) {
            Violation broken =
                    range(
                            "group_commit_max_ms",
                            update.getGroupCommitMaxMs(),
                            0,
                            MAX_GROUP_COMMIT_MS);
            if (broken != null) {
                return broken;
            }
        }
        if (update.hasLingerMs()) {
            Violation broken = range("linger_ms", update.getLingerMs(), 0, MAX_LINGER_MS);
            if (broken != null) {
                return broken;
            }
        }
        if (update.hasBatchSize()) {
            return range("batch_size", update.getBatchSize(), 0, MAX_BATCH_SIZE);
        }
        return null;
    }

    static boolean isMode(DeliveryMode mode) {
        return mode == DeliveryMode.AT_MOST_ONCE
                || mode == DeliveryMode.AT_LEAST_ONCE
                || mode == DeliveryMode.EXACTLY_ONCE;
    }

    private static Violation range(String field, int value, int min, int max) {
        return value < min || value > max
                ? new Violation(field, "must be " + min + ".." + max + ", got " + value)
                : null;
    }
}

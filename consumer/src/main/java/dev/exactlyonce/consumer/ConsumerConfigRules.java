package dev.exactlyonce.consumer;

import dev.exactlyonce.grpc.v1.ConsumerConfig;
import dev.exactlyonce.grpc.v1.CrashPoint;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.UpdateConsumerConfigRequest;

/** Validates an UpdateConsumerConfig request and merges it into the current settings. */
final class ConsumerConfigRules {

    static final int MAX_ATTEMPTS_LIMIT = 100;
    static final int MAX_PROCESSING_DELAY_MS = 60_000;

    /** A setting that was refused: the field and why. */
    static final class InvalidSetting extends IllegalArgumentException {
        InvalidSetting(String field, String reason) {
            super(field + ": " + reason);
        }
    }

    private ConsumerConfigRules() {
    }

    /** The new settings: {@code current} with every field that is set in {@code update}; throws InvalidSetting. */
    static ConsumerConfig merge(ConsumerConfig current, UpdateConsumerConfigRequest update) {
        ConsumerConfig.Builder next = current.toBuilder();
        if (update.hasProcessingMode()) {
            DeliveryMode mode = update.getProcessingMode();
            if (mode == DeliveryMode.DELIVERY_MODE_UNSPECIFIED || mode == DeliveryMode.UNRECOGNIZED) {
                throw new InvalidSetting("processing_mode", "must be AT_MOST_ONCE, AT_LEAST_ONCE or EXACTLY_ONCE");
            }
            next.setProcessingMode(mode);
        }
        if (update.hasEnableIdempotency()) {
            next.setEnableIdempotency(update.getEnableIdempotency());
        }
        if (update.hasCrashAfterMessages()) {
            if (update.getCrashAfterMessages() < 0) {
                throw new InvalidSetting("crash_after_messages", "must be >= 0 (0 disarms), was "
                        + update.getCrashAfterMessages());
            }
            next.setCrashAfterMessages(update.getCrashAfterMessages());
        }
        if (update.hasCrashPoint()) {
            CrashPoint point = update.getCrashPoint();
            if (point == CrashPoint.CRASH_POINT_UNSPECIFIED || point == CrashPoint.UNRECOGNIZED) {
                throw new InvalidSetting("crash_point",
                        "must be BEFORE_DB_COMMIT, AFTER_DB_COMMIT or AFTER_OFFSET_COMMIT");
            }
            next.setCrashPoint(point);
        }
        if (update.hasFailureRate()) {
            double rate = update.getFailureRate();
            if (!(rate >= 0 && rate <= 1)) {
                throw new InvalidSetting("failure_rate", "must be between 0 and 1, was " + rate);
            }
            next.setFailureRate(rate);
        }
        if (update.hasMaxAttempts()) {
            int attempts = update.getMaxAttempts();
            if (attempts < 1 || attempts > MAX_ATTEMPTS_LIMIT) {
                throw new InvalidSetting("max_attempts", "must be between 1 and " + MAX_ATTEMPTS_LIMIT
                        + ", was " + attempts);
            }
            next.setMaxAttempts(attempts);
        }
        if (update.hasProcessingDelayMs()) {
            int delay = update.getProcessingDelayMs();
            if (delay < 0 || delay > MAX_PROCESSING_DELAY_MS) {
                throw new InvalidSetting("processing_delay_ms", "must be between 0 and " + MAX_PROCESSING_DELAY_MS
                        + ", was " + delay);
            }
            next.setProcessingDelayMs(delay);
        }
        return next.build();
    }
}

package dev.exactlyonce.billing;

import dev.exactlyonce.grpc.v1.BillingConfig;
import dev.exactlyonce.grpc.v1.BillingCrashPoint;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.UpdateBillingConfigRequest;

/** Validates an UpdateBillingConfig request and merges it into the current settings. */
final class BillingConfigRules {

    static final int MAX_ATTEMPTS_LIMIT = 100;

    /** A setting that was refused: the field and why (answered as INVALID_ARGUMENT). */
    static final class InvalidSetting extends IllegalArgumentException {
        InvalidSetting(String field, String reason) {
            super(field + ": " + reason);
        }
    }

    private BillingConfigRules() {
    }

    /** {@code current} with every field that is set in {@code update}; throws InvalidSetting. */
    static BillingConfig merge(BillingConfig current, UpdateBillingConfigRequest update) {
        BillingConfig.Builder next = current.toBuilder();
        if (update.hasProcessingMode()) {
            DeliveryMode mode = update.getProcessingMode();
            if (mode == DeliveryMode.DELIVERY_MODE_UNSPECIFIED || mode == DeliveryMode.UNRECOGNIZED) {
                throw new InvalidSetting("processing_mode", "must be AT_MOST_ONCE, AT_LEAST_ONCE or EXACTLY_ONCE");
            }
            next.setProcessingMode(mode);
        }
        if (update.hasCrashAfterMessages()) {
            if (update.getCrashAfterMessages() < 0) {
                throw new InvalidSetting("crash_after_messages", "must be >= 0 (0 disarms), was "
                        + update.getCrashAfterMessages());
            }
            next.setCrashAfterMessages(update.getCrashAfterMessages());
        }
        if (update.hasCrashPoint()) {
            BillingCrashPoint point = update.getCrashPoint();
            if (point == BillingCrashPoint.BILLING_CRASH_POINT_UNSPECIFIED || point == BillingCrashPoint.UNRECOGNIZED) {
                throw new InvalidSetting("crash_point", "must be AFTER_SEND, BEFORE_COMMIT or AFTER_COMMIT");
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
        return next.build();
    }
}

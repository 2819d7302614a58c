package dev.exactlyonce.billing;

import dev.exactlyonce.grpc.v1.BillingConfig;
import dev.exactlyonce.grpc.v1.BillingCrashPoint;
import dev.exactlyonce.grpc.v1.UpdateBillingConfigRequest;
import dev.exactlyonce.kafka.SharedConfig;
import dev.exactlyonce.server.SettingRules;

/**
 * Validates an UpdateBillingConfig request (the shared {@link SettingRules}) and merges it into the
 * current settings.
 */
final class BillingConfigRules
        implements SharedConfig.Rules<BillingConfig, UpdateBillingConfigRequest> {

    /**
     * A stored value read back from the settings topic: every field must pass the rules; throws
     * InvalidSetting.
     */
    @Override
    public void check(BillingConfig stored) {
        merge(
                stored,
                UpdateBillingConfigRequest.newBuilder()
                        .setProcessingMode(stored.getProcessingMode())
                        .setCrashAfterMessages(stored.getCrashAfterMessages())
                        .setCrashPoint(stored.getCrashPoint())
                        .setFailureRate(stored.getFailureRate())
                        .setMaxAttempts(stored.getMaxAttempts())
                        .build());
    }

    /**
     * {@code current} with every field that is set in {@code update}; throws
     * SettingRules.InvalidSetting.
     */
    @Override
    public BillingConfig merge(BillingConfig current, UpdateBillingConfigRequest update) {
        BillingConfig.Builder next = current.toBuilder();
        if (update.hasProcessingMode()) {
            next.setProcessingMode(SettingRules.processingMode(update.getProcessingMode()));
        }
        if (update.hasCrashAfterMessages()) {
            next.setCrashAfterMessages(
                    SettingRules.crashAfterMessages(update.getCrashAfterMessages()));
        }
        if (update.hasCrashPoint()) {
            next.setCrashPoint(
                    SettingRules.crashPoint(
                            update.getCrashPoint(),
                            BillingCrashPoint.BILLING_CRASH_POINT_UNSPECIFIED,
                            "AFTER_SEND, BEFORE_COMMIT or AFTER_COMMIT"));
        }
        if (update.hasFailureRate()) {
            next.setFailureRate(SettingRules.failureRate(update.getFailureRate()));
        }
        if (update.hasMaxAttempts()) {
            next.setMaxAttempts(SettingRules.maxAttempts(update.getMaxAttempts()));
        }
        return next.build();
    }
}

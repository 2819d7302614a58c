package dev.exactlyonce.consumer;

import dev.exactlyonce.grpc.v1.ConsumerConfig;
import dev.exactlyonce.grpc.v1.CrashPoint;
import dev.exactlyonce.grpc.v1.UpdateConsumerConfigRequest;
import dev.exactlyonce.kafka.SharedConfig;
import dev.exactlyonce.server.SettingRules;
import dev.exactlyonce.server.SettingRules.InvalidSetting;

/**
 * Validates an UpdateConsumerConfig request (the shared {@link SettingRules}) and merges it into
 * the current settings.
 */
final class ConsumerConfigRules
        implements SharedConfig.Rules<ConsumerConfig, UpdateConsumerConfigRequest> {

    static final int MAX_PROCESSING_DELAY_MS = 60_000;

    /**
     * A stored value read back from the settings topic: every field must pass the rules; throws
     * InvalidSetting.
     */
    @Override
    public void check(ConsumerConfig stored) {
        merge(
                stored,
                UpdateConsumerConfigRequest.newBuilder()
                        .setProcessingMode(stored.getProcessingMode())
                        .setCrashAfterMessages(stored.getCrashAfterMessages())
                        .setCrashPoint(stored.getCrashPoint())
                        .setFailureRate(stored.getFailureRate())
                        .setMaxAttempts(stored.getMaxAttempts())
                        .setProcessingDelayMs(stored.getProcessingDelayMs())
                        .build());
    }

    /**
     * The new settings: {@code current} with every field that is set in {@code update}; throws
     * InvalidSetting.
     */
    @Override
    public ConsumerConfig merge(ConsumerConfig current, UpdateConsumerConfigRequest update) {
        ConsumerConfig.Builder next = current.toBuilder();
        if (update.hasProcessingMode()) {
            next.setProcessingMode(SettingRules.processingMode(update.getProcessingMode()));
        }
        if (update.hasEnableIdempotency()) {
            next.setEnableIdempotency(update.getEnableIdempotency());
        }
        if (update.hasCrashAfterMessages()) {
            next.setCrashAfterMessages(
                    SettingRules.crashAfterMessages(update.getCrashAfterMessages()));
        }
        if (update.hasCrashPoint()) {
            next.setCrashPoint(
                    SettingRules.crashPoint(
                            update.getCrashPoint(),
                            CrashPoint.CRASH_POINT_UNSPECIFIED,
                            "BEFORE_DB_COMMIT, AFTER_DB_COMMIT or AFTER_OFFSET_COMMIT"));
        }
        if (update.hasFailureRate()) {
            next.setFailureRate(SettingRules.failureRate(update.getFailureRate()));
        }
        if (update.hasMaxAttempts()) {
            next.setMaxAttempts(SettingRules.maxAttempts(update.getMaxAttempts()));
        }
        if (update.hasProcessingDelayMs()) {
            int delay = update.getProcessingDelayMs();
            if (delay < 0 || delay > MAX_PROCESSING_DELAY_MS) {
                throw new InvalidSetting(
                        "processing_delay_ms",
                        "must be between 0 and " + MAX_PROCESSING_DELAY_MS + ", was " + delay);
            }
            next.setProcessingDelayMs(delay);
        }
        return next.build();
    }
}

package dev.exactlyonce.server;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.kafka.Topics;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/**
 * The rules the consumer's and billing's settings share (UpdateConsumerConfig,
 * UpdateBillingConfig): each check returns the value or throws {@link InvalidSetting} naming the
 * field and the reason, which {@link #answerUpdate} turns into INVALID_ARGUMENT.
 */
public final class SettingRules {

    public static final int MAX_ATTEMPTS_LIMIT = 100;

    /** A setting that was refused: the field and why. */
    public static final class InvalidSetting extends IllegalArgumentException {
        public InvalidSetting(String field, String reason) {
            super(field + ": " + reason);
        }
    }

    /** Stores new settings (in exactly-once.settings) and returns them as they now apply. */
    @FunctionalInterface
    public interface SettingsUpdate<T> {
        T apply() throws Exception;
    }

    private SettingRules() {}

    public static DeliveryMode processingMode(DeliveryMode mode) {
        if (mode == DeliveryMode.DELIVERY_MODE_UNSPECIFIED || mode == DeliveryMode.UNRECOGNIZED) {
            throw new InvalidSetting(
                    "processing_mode", "must be AT_MOST_ONCE, AT_LEAST_ONCE or EXACTLY_ONCE");
        }
        return mode;
    }

    /**
     * {@code unspecified} and protobuf's UNRECOGNIZED are refused; {@code allowed} names the
     * others.
     */
    public static <P extends Enum<P>> P crashPoint(P point, P unspecified, String allowed) {
        if (point == unspecified || "UNRECOGNIZED".equals(point.name())) {
            throw new InvalidSetting("crash_point", "must be " + allowed);
        }
        return point;
    }

    public static int crashAfterMessages(int messages) {
        if (messages < 0) {
            throw new InvalidSetting(
                    "crash_after_messages", "must be >= 0 (0 disarms), was " + messages);
        }
        return messages;
    }

    public static double failureRate(double rate) {
        if (!(rate >= 0 && rate <= 1)) {
            throw new InvalidSetting("failure_rate", "must be between 0 and 1, was " + rate);
        }
        return rate;
    }

    public static int maxAttempts(int attempts) {
        if (attempts < 1 || attempts > MAX_ATTEMPTS_LIMIT) {
            throw new InvalidSetting(
                    "max_attempts",
                    "must be between 1 and " + MAX_ATTEMPTS_LIMIT + ", was " + attempts);
        }
        return attempts;
    }

    /**
     * Answers an Update…Config call: the settings as they now apply; INVALID_ARGUMENT with the
     * field and the reason; UNAVAILABLE when exactly-once.settings could not store them (nothing
     * changed then).
     */
    public static <T> void answerUpdate(StreamObserver<T> response, SettingsUpdate<T> update) {
        T updated;
        try {
            updated = update.apply();
        } catch (InvalidSetting e) {
            response.onError(
                    Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            response.onError(Status.CANCELLED.withDescription("interrupted").asRuntimeException());
            return;
        } catch (Exception e) {
            response.onError(
                    Status.UNAVAILABLE
                            .withDescription(
                                    "settings not stored in "
                                            + Topics.SETTINGS
                                            + ": "
                                            + e.getMessage())
                            .asRuntimeException());
            return;
        }
        response.onNext(updated);
        response.onCompleted();
    }
}

package dev.exactlyonce.consumer;

import dev.exactlyonce.grpc.v1.CrashPoint;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * {@code app.consumer.*}: the defaults of a fresh cluster (the runtime values live in
 * exactly-once.settings, see {@link SharedConsumerConfig}) and the Kafka client tuning of this
 * replica.
 */
@ConfigurationProperties("app.consumer")
public record ConsumerSettings(
        @Bindable(defaultValue = "orders-consumer") String groupId,
        @Bindable(defaultValue = "EXACTLY_ONCE") DeliveryMode processingMode,
        @Bindable(defaultValue = "true") boolean enableIdempotency,
        @Bindable(defaultValue = "5") int maxAttempts,
        @Bindable(defaultValue = "AFTER_DB_COMMIT") CrashPoint crashPoint,
        @Bindable(defaultValue = "0") double failureRate,
        @Bindable(defaultValue = "0") int processingDelayMs,
        @Bindable(defaultValue = "2000") int maxPollRecords,
        @Bindable(defaultValue = "10s") Duration sessionTimeout,
        @Bindable(defaultValue = "2s") Duration heartbeatInterval,
        @Bindable(defaultValue = "10ms") Duration retryInitialBackoff,
        @Bindable(defaultValue = "5s") Duration retryMaxBackoff,
        @Bindable(defaultValue = "60s") Duration stalledAfter) {}

package dev.exactlyonce.billing;

import dev.exactlyonce.grpc.v1.BillingCrashPoint;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * {@code app.billing.*}: the defaults of a fresh cluster (the runtime values live in
 * exactly-once.settings, see {@link SharedBillingConfig}) and this replica's own settings:
 * backoffs, stall bound, commit retries, dedup window. The Kafka consumer's own settings
 * (max-poll-records, session and heartbeat) are read by {@link OrderListener}'s annotation.
 */
@ConfigurationProperties("app.billing")
public record BillingSettings(
        @Bindable(defaultValue = "orders-billing") String groupId,
        @Bindable(defaultValue = "EXACTLY_ONCE") DeliveryMode processingMode,
        @Bindable(defaultValue = "AFTER_SEND") BillingCrashPoint crashPoint,
        @Bindable(defaultValue = "0") double failureRate,
        @Bindable(defaultValue = "5") int maxAttempts,
        // between the attempts of a simulated failure, and between the reads of a batch whose
        // steps failed (BillingRecovery#notBilled)
        @Bindable(defaultValue = "10ms") Duration retryInitialBackoff,
        @Bindable(defaultValue = "5s") Duration retryMaxBackoff,
        // a batch read again for this long without being billed: readiness NOT_SERVING
        // (BillingLoopWatch)
        @Bindable(defaultValue = "60s") Duration stalledAfter,
        // exactly-once: how long commitTransaction is retried while its outcome is unknown (a
        // timeout) before the producer is closed and the group coordinator is asked how far the
        // group got
        @Bindable(defaultValue = "30s") Duration commitRetryTimeout,
        // exactly-once: how many committed invoices per partition are remembered to recognise a
        // retried order
        @Bindable(defaultValue = "100000") int dedupWindow,
        // exactly-once group commit: after a full poll (a backlog) a transaction takes the poll
        // batches the consumer has fetched already until it is this old or holds this many orders
        // (BillingStage#moreOrders)
        @Bindable(defaultValue = "100ms") Duration transactionMaxTime,
        @Bindable(defaultValue = "5000") int transactionMaxRecords,
        // the consumer's max.poll.records (OrderListener's annotation reads the same property): a
        // poll this full means a backlog
        @Bindable(defaultValue = "500") int maxPollRecords) {}

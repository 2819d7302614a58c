package dev.exactlyonce.producer;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * The producer's defaults for a fresh cluster ({@code app.producer.*}, e.g. env {@code
 * APP_PRODUCER_DELIVERY_MODE}). Once someone calls UpdateProducerConfig, the value stored in
 * exactly-once.settings wins over these on every replica.
 *
 * @param deliveryMode AT_MOST_ONCE, AT_LEAST_ONCE or EXACTLY_ONCE
 * @param enableTransactions exactly-once with Kafka transactions (false: idempotent producer only)
 * @param groupCommitMaxRecords a group-commit transaction closes after this many records...
 * @param groupCommitMaxMs ...or this many milliseconds after it opened, whichever comes first
 * @param groupCommitAdaptive exactly-once: a transaction takes calls while another lane commits and
 *     closes as soon as none does (bounded by the two above), instead of for the whole window
 * @param lingerMs Kafka linger.ms
 * @param batchSize Kafka batch.size
 * @param sendTimeout how long a call may wait for Kafka before it fails with UNAVAILABLE
 * @param transactionLanes exactly-once: transactional producers committing in turn (1..8); lane 0
 *     uses transactional.id order-producer-POD, lane k adds "-k"
 */
@ConfigurationProperties("app.producer")
public record ProducerSettings(
        @Bindable(defaultValue = "EXACTLY_ONCE") DeliveryMode deliveryMode,
        @Bindable(defaultValue = "true") boolean enableTransactions,
        @Bindable(defaultValue = "1000") int groupCommitMaxRecords,
        @Bindable(defaultValue = "1") int groupCommitMaxMs,
        @Bindable(defaultValue = "false") boolean groupCommitAdaptive,
        @Bindable(defaultValue = "2") int lingerMs,
        @Bindable(defaultValue = "131072") int batchSize,
        @Bindable(defaultValue = "5s") Duration sendTimeout,
        @Bindable(defaultValue = "2") int transactionLanes) {

    public ProducerSettings {
        if (transactionLanes < 1 || transactionLanes > 8) {
            throw new IllegalArgumentException(
                    "app.producer.transaction-lanes must be 1..8, got " + transactionLanes);
        }
    }
}

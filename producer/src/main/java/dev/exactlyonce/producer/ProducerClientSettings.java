package dev.exactlyonce.producer;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.semantics.ProducerSemantics;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The Kafka client settings of the producer's KafkaProducer: the mode's semantics ({@link
 * ProducerSemantics}, the map QueryService.CompareSemantics shows) plus batching and the time
 * limits that bound every call. The one class of the producer that speaks Kafka's {@link
 * ProducerConfig}; the rest reads the contract's {@code ProducerConfig} (the runtime config).
 */
final class ProducerClientSettings {

    private ProducerClientSettings() {}

    static Map<String, String> of(
            dev.exactlyonce.grpc.v1.ProducerConfig config,
            String transactionalId,
            String podName,
            Duration sendTimeout) {
        DeliveryMode mode = config.getDeliveryMode();
        Map<String, String> settings =
                new LinkedHashMap<>(ProducerSemantics.kafkaSettings(mode, transactionalId));
        settings.put(
                ProducerConfig.CLIENT_ID_CONFIG,
                "order-producer-" + podName + "-" + mode.name().toLowerCase());
        settings.put(ProducerConfig.LINGER_MS_CONFIG, String.valueOf(config.getLingerMs()));
        settings.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(config.getBatchSize()));
        // an unreachable Kafka fails a call after send-timeout instead of hanging it: send() blocks
        // for metadata at most max.block.ms, a record is given up after delivery.timeout.ms
        long timeoutMs = sendTimeout.toMillis();
        settings.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(timeoutMs));
        settings.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(timeoutMs));
        settings.put(
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                String.valueOf(Math.max(1, timeoutMs - config.getLingerMs())));
        settings.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
        if (transactionalId != null) {
            // back-to-back transactions: the first AddPartitionsToTxn of the next transaction often
            // meets CONCURRENT_TRANSACTIONS while the coordinator still writes the previous
            // commit's markers, and waits min(20, retry.backoff.ms) before retrying (KAFKA-5477):
            // 20 ms per transaction
            settings.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "2");
            settings.put(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "20");
        }
        return Collections.unmodifiableMap(settings);
    }
}

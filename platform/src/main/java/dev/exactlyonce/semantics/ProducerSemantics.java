package dev.exactlyonce.semantics;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The producer side of each delivery mode, as Kafka producer settings. The producer builds its
 * KafkaProducer from exactly this map, and QueryService.CompareSemantics shows exactly this map, so
 * what a learner reads is what runs.
 */
public final class ProducerSemantics {

    private ProducerSemantics() {}

    /**
     * @param transactionalId the pod's transactional.id, or null when transactions are disabled
     *     (exactly-once then degrades to an idempotent producer)
     */
    public static Map<String, String> kafkaSettings(DeliveryMode mode, String transactionalId) {
        Map<String, String> settings = new LinkedHashMap<>();
        switch (mode) {
            case AT_MOST_ONCE -> {
                // fire and forget: no broker acknowledgement, no retry; a failed send is simply
                // gone
                settings.put(ProducerConfig.ACKS_CONFIG, "0");
                settings.put(ProducerConfig.RETRIES_CONFIG, "0");
                settings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
            }
            case AT_LEAST_ONCE -> {
                // wait for all in-sync replicas and retry; a retry after a lost ack writes a
                // duplicate
                settings.put(ProducerConfig.ACKS_CONFIG, "all");
                settings.put(ProducerConfig.RETRIES_CONFIG, String.valueOf(Integer.MAX_VALUE));
                settings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
            }
            case EXACTLY_ONCE -> {
                // idempotent (broker drops retried duplicates) and transactional (all or nothing,
                // zombie producers with the same transactional.id are fenced)
                settings.put(ProducerConfig.ACKS_CONFIG, "all");
                settings.put(ProducerConfig.RETRIES_CONFIG, String.valueOf(Integer.MAX_VALUE));
                settings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
                settings.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
                if (transactionalId != null) {
                    settings.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
                    // an open transaction holds back read_committed readers (the LSO) until it
                    // ends: if the producer dies and no successor fences it, the broker aborts it
                    // after this long
                    settings.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "10000");
                }
            }
            default -> throw new IllegalArgumentException("no producer semantics for " + mode);
        }
        return settings;
    }

    /** Whether PlaceOrder waits for the broker before it answers. */
    public static boolean waitsForAcknowledgement(DeliveryMode mode) {
        return mode != DeliveryMode.AT_MOST_ONCE;
    }
}

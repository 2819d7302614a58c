package dev.exactlyonce.consumer;

import java.math.BigDecimal;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One decoded, valid order record, ready to be stored; {@code source} is kept for the DLQ, {@code
 * fingerprint} ({@link OrderFingerprint}) is kept beside the dedup row to tell a retry from a
 * reused key.
 */
record OrderRow(
        ConsumerRecord<String, byte[]> source,
        String orderId,
        String messageId,
        String customerId,
        String itemsJson,
        BigDecimal totalAmount,
        Instant producedAt,
        byte[] fingerprint) {

    int partition() {
        return source.partition();
    }

    long offset() {
        return source.offset();
    }
}

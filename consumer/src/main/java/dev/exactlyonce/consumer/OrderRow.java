package dev.exactlyonce.consumer;

import java.math.BigDecimal;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** One decoded, valid order record, ready to be stored; {@code source} is kept for the DLQ. */
record OrderRow(
        ConsumerRecord<String, byte[]> source,
        String orderId,
        String messageId,
        String customerId,
        String itemsJson,
        BigDecimal totalAmount,
        Instant producedAt) {

    int partition() {
        return source.partition();
    }

    long offset() {
        return source.offset();
    }
}

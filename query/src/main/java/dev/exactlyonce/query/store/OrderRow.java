package dev.exactlyonce.query.store;

import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.math.BigDecimal;
import java.time.Instant;

/** One row of {@code orders}; items is the JSONB column read as text. */
@MappedEntity("orders")
public record OrderRow(
        @Id long id,
        String orderId,
        String messageId,
        String customerId,
        String items,
        BigDecimal totalAmount,
        int kafkaPartition,
        long kafkaOffset,
        Instant producedAt,
        Instant processedAt,
        String processingMode,
        String consumerId) {}

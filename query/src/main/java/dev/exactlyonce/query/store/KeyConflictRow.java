package dev.exactlyonce.query.store;

import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.math.BigDecimal;
import java.time.Instant;

/**
 * One row of {@code order_conflicts}: a record refused as a reused key; fingerprints read as hex.
 */
@MappedEntity("order_conflicts")
public record KeyConflictRow(
        @Id long id,
        String orderId,
        String messageId,
        String storedFingerprint,
        String offeredFingerprint,
        int kafkaPartition,
        long kafkaOffset,
        String customerId,
        BigDecimal totalAmount,
        Instant detectedAt) {}

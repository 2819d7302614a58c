package dev.exactlyonce.query.store;

import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** One row of {@code processed_messages}: the dedup record of one message id. */
@MappedEntity("processed_messages")
public record ProcessedMessageRow(
        @Id String messageId,
        String orderId,
        int kafkaPartition,
        long kafkaOffset,
        Instant processedAt) {}

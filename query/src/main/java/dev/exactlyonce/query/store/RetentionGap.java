package dev.exactlyonce.query.store;

import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/**
 * One row of {@code retention_gaps}: records of [fromOffset, toOffset) were deleted by retention
 * before the consumer group read them; the consumer recorded the gap and resumed at the log start.
 */
@MappedEntity("retention_gaps")
public record RetentionGap(
        @Id long id,
        String consumerGroup,
        int kafkaPartition,
        long fromOffset,
        long toOffset,
        Instant detectedAt) {}

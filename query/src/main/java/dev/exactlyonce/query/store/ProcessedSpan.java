package dev.exactlyonce.query.store;

import io.micronaut.core.annotation.Introspected;
import io.micronaut.core.annotation.Nullable;
import java.time.Instant;

/** First and last processed_at in orders; both null when orders is empty. */
@Introspected
public record ProcessedSpan(
        @Nullable Instant firstProcessedAt, @Nullable Instant lastProcessedAt) {}

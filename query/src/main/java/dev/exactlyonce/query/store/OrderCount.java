package dev.exactlyonce.query.store;

import io.micronaut.core.annotation.Introspected;
import io.micronaut.core.annotation.Nullable;

/**
 * One order stored more than once: its message id and rows (order_counts, keyed by message id since
 * V5), with the order_id and customer_id read from one of its rows (null when the rows went
 * meanwhile).
 */
@Introspected
public record OrderCount(
        String messageId, int rowCount, @Nullable String orderId, @Nullable String customerId) {}

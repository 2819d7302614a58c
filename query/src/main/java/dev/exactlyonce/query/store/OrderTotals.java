package dev.exactlyonce.query.store;

import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;

/**
 * The single row of {@code order_totals}, kept current by the consumer in each batch's transaction
 * (count_stored_batch).
 */
@MappedEntity("order_totals")
public record OrderTotals(
        @Id int id, long totalRows, long distinctOrders, long processedMessages) {}

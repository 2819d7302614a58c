package dev.exactlyonce.query.store;

import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;

/** One row of {@code order_counts}: rows stored per order id. */
@MappedEntity("order_counts")
public record OrderCount(@Id String orderId, int rowCount) {
}

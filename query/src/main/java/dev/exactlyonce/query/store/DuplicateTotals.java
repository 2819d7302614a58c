package dev.exactlyonce.query.store;

import io.micronaut.core.annotation.Introspected;

/** Orders (message ids) stored more than once, and the rows beyond the first of each. */
@Introspected
public record DuplicateTotals(long duplicatedOrders, long extraRows) {}

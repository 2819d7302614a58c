package dev.exactlyonce.query.store;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.List;

/**
 * The counters the consumer moves once per batch, in the batch's transaction (count_stored_batch),
 * so that stats cost the same at a thousand rows and at millions: no query here scans orders.
 */
@JdbcRepository(dialect = Dialect.POSTGRES)
public interface CounterRepository extends GenericRepository<OrderTotals, Integer> {

    @Query(
            "SELECT id, total_rows, distinct_orders, processed_messages FROM order_totals WHERE id = 1")
    OrderTotals totals();

    /** Rows stored in the last 60 whole seconds (one primary-key range over orders_per_second). */
    @Query(
            "SELECT coalesce(sum(rows), 0) FROM orders_per_second "
                    + "WHERE second >= date_trunc('second', clock_timestamp()) - interval '60 seconds'")
    long storedInLastMinute();

    /** min/max through the processed_at index: two index lookups. */
    @Query(
            "SELECT (SELECT min(processed_at) FROM orders) AS first_processed_at, "
                    + "(SELECT max(processed_at) FROM orders) AS last_processed_at")
    ProcessedSpan processedSpan();

    /** Reads the partial index order_counts_duplicated_idx (row_count > 1) only. */
    @Query(
            "SELECT count(*) AS duplicated_orders, coalesce(sum(row_count - 1), 0) AS extra_rows "
                    + "FROM order_counts WHERE row_count > 1")
    DuplicateTotals duplicateTotals();

    /**
     * The most duplicated orders, each with the order_id and customer_id of one of its rows: at
     * most {@code limit} lookups of one row each through orders_message_id_idx.
     */
    @Query(
            "SELECT c.message_id, c.row_count, o.order_id, o.customer_id FROM "
                    + "(SELECT message_id, row_count FROM order_counts WHERE row_count > 1 "
                    + "ORDER BY row_count DESC, message_id LIMIT :limit) c "
                    + "LEFT JOIN LATERAL (SELECT order_id, customer_id FROM orders WHERE orders.message_id = c.message_id LIMIT 1) o "
                    + "ON true ORDER BY c.row_count DESC, c.message_id")
    List<OrderCount> mostDuplicated(int limit);
}

package dev.exactlyonce.query.store;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.List;

/**
 * Reads {@code orders}. Pages are keyset pages (newest first, {@code id < before}), so a page costs
 * one index range scan however deep it is, and rows inserted meanwhile never shift later pages.
 */
@JdbcRepository(dialect = Dialect.POSTGRES)
public interface OrderRepository extends GenericRepository<OrderRow, Long> {

    String COLUMNS =
            "SELECT id, order_id, message_id, customer_id, items::text AS items, total_amount, "
                    + "kafka_partition, kafka_offset, produced_at, processed_at, processing_mode, consumer_id FROM orders";

    @Query(COLUMNS + " WHERE id < :before ORDER BY id DESC LIMIT :limit")
    List<OrderRow> newestBefore(long before, int limit);

    @Query(
            COLUMNS
                    + " WHERE customer_id = :customerId AND id < :before ORDER BY id DESC LIMIT :limit")
    List<OrderRow> newestOfCustomerBefore(String customerId, long before, int limit);

    /**
     * Rows stored after a row of a later offset of their partition (insertion order is id order):
     * the audit's ordering check. One pass over the window's rows (Reset empties the table).
     */
    @Query(
            value =
                    "SELECT count(*) FROM (SELECT kafka_offset < lag(kafka_offset) OVER (PARTITION BY kafka_partition ORDER BY id)"
                            + " AS back FROM orders) o WHERE back",
            nativeQuery = true)
    long countOutOfKafkaOrder();

    /** Every stored row of one order id, oldest first. */
    @Query(COLUMNS + " WHERE order_id = :orderId ORDER BY id")
    List<OrderRow> rowsOf(String orderId);
}

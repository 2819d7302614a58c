package dev.exactlyonce.query.store;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.List;

@JdbcRepository(dialect = Dialect.POSTGRES)
public interface ProcessedMessageRepository extends GenericRepository<ProcessedMessageRow, String> {

    /**
     * The dedup records of one order. processed_messages has no index on order_id; its rows are
     * written in the same transaction as the order rows, so they are found through the orders'
     * message ids (primary key).
     */
    @Query(
            "SELECT message_id, order_id, kafka_partition, kafka_offset, processed_at FROM processed_messages "
                    + "WHERE message_id IN (SELECT message_id FROM orders WHERE order_id = :orderId) ORDER BY processed_at")
    List<ProcessedMessageRow> ofOrder(String orderId);
}

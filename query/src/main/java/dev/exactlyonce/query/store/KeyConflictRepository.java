package dev.exactlyonce.query.store;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.List;

/**
 * The consumer's {@code order_conflicts}: records refused because their key was reused for another
 * order. A conflict is a client's mistake, rare by nature, so counting the table is cheap (it is
 * not orders).
 */
@JdbcRepository(dialect = Dialect.POSTGRES)
public interface KeyConflictRepository extends GenericRepository<KeyConflictRow, Long> {

    @Query("SELECT count(*) FROM order_conflicts")
    long count();

    /**
     * Distinct refused orders: a refused order replayed or retried under its own new positions is
     * one order the client placed, as the audit's acknowledged count sees it.
     */
    @Query(
            "SELECT count(*) FROM (SELECT 1 FROM order_conflicts GROUP BY message_id, offered_fingerprint) offers")
    long distinctOffers();

    @Query(
            "SELECT id, order_id, message_id, encode(stored_fingerprint, 'hex') AS stored_fingerprint, "
                    + "encode(offered_fingerprint, 'hex') AS offered_fingerprint, kafka_partition, kafka_offset, customer_id, "
                    + "total_amount, detected_at FROM order_conflicts ORDER BY id DESC LIMIT :limit")
    List<KeyConflictRow> newest(int limit);
}

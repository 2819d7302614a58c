package dev.exactlyonce.query.store;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.Optional;

/**
 * Empties what the consumer stored and opens a new audit window. kafka_offsets is left alone on
 * purpose: the exactly-once consumer resumes from it.
 */
@JdbcRepository(dialect = Dialect.POSTGRES)
public interface StoreReset extends GenericRepository<AuditWindow, Long> {

    /**
     * Stops new writes until commit, so that the counts read next are the counts truncated.
     * processed_messages first: the consumer writes it before orders, so both take the locks in the
     * same order and a Reset during traffic waits instead of deadlocking.
     */
    @Query("LOCK TABLE processed_messages, orders IN ACCESS EXCLUSIVE MODE")
    void lockStoredOrders();

    @Query("TRUNCATE processed_messages, orders, order_counts, orders_per_second")
    void truncateStoredOrders();

    @Query("UPDATE order_totals SET total_rows = 0, distinct_orders = 0, processed_messages = 0 WHERE id = 1")
    void zeroTotals();

    @Query("INSERT INTO audit_windows (start_offsets) VALUES (CAST(:startOffsets AS jsonb))")
    void openWindow(String startOffsets);

    @Query("SELECT id, started_at, start_offsets::text AS start_offsets FROM audit_windows ORDER BY id DESC LIMIT 1")
    Optional<AuditWindow> latestWindow();
}

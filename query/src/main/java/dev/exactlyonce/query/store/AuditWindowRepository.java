package dev.exactlyonce.query.store;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.Optional;

/**
 * Audit windows and the counters Reset zeroes. The LOCK and TRUNCATE of a Reset are in
 * AuditWindows: a repository method runs them as queries and fails, because they return no result
 * set.
 */
@JdbcRepository(dialect = Dialect.POSTGRES)
public interface AuditWindowRepository extends GenericRepository<AuditWindow, Long> {

    @Query(
            "UPDATE order_totals SET total_rows = 0, distinct_orders = 0, processed_messages = 0 WHERE id = 1")
    void zeroTotals();

    @Query("INSERT INTO audit_windows (start_offsets) VALUES (CAST(:startOffsets AS jsonb))")
    void openWindow(String startOffsets);

    @Query(
            "SELECT id, started_at, start_offsets::text AS start_offsets FROM audit_windows ORDER BY id DESC LIMIT 1")
    Optional<AuditWindow> latestWindow();
}

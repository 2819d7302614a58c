package dev.exactlyonce.query.store;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;

/**
 * Reads the consumer's {@code retention_gaps} (a gap is rare: the table stays small; Reset empties
 * it).
 */
@JdbcRepository(dialect = Dialect.POSTGRES)
public interface RetentionGapRepository extends GenericRepository<RetentionGap, Long> {

    /**
     * Offsets of topic orders a group never read because retention deleted them first: an upper
     * bound on the orders skipped (the ranges also hold transaction markers and aborted records).
     */
    @Query(
            "SELECT coalesce(sum(to_offset - from_offset), 0) FROM retention_gaps WHERE consumer_group = :group")
    long skippedOffsets(String group);
}

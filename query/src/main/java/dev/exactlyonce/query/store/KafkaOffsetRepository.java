package dev.exactlyonce.query.store;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.List;

/** Reads kafka_offsets (the consumer writes it; the query service never does). */
@JdbcRepository(dialect = Dialect.POSTGRES)
public interface KafkaOffsetRepository extends GenericRepository<DbOffset, Integer> {

    @Query(
            "SELECT kafka_partition, next_offset FROM kafka_offsets WHERE consumer_group = :group AND topic = :topic")
    List<DbOffset> offsetsOf(String group, String topic);
}

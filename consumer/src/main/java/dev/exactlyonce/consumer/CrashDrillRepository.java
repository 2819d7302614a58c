package dev.exactlyonce.consumer;

import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.CrudRepository;

/** The durable crash counter. */
@JdbcRepository(dialect = Dialect.POSTGRES)
interface CrashDrillRepository extends CrudRepository<CrashDrillFired, Long> {

    long countByConsumerGroup(String consumerGroup);
}

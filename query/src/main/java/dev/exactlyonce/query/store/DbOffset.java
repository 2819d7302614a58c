package dev.exactlyonce.query.store;

import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;

/**
 * The next offset of one partition that the exactly-once consumer stored in kafka_offsets.
 * Read-only view of the table for one (consumer_group, topic), hence the partition as its id.
 */
@MappedEntity("kafka_offsets")
public record DbOffset(@Id int kafkaPartition, long nextOffset) {}

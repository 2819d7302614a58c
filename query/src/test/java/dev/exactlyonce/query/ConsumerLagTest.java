package dev.exactlyonce.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.GetConsumerLagRequest;
import dev.exactlyonce.grpc.v1.GetConsumerLagResponse;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.PartitionLag;
import dev.exactlyonce.kafka.Topics;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Lag of a group, against the position the consumer really resumes from, in committed records. */
@MicronautTest(transactional = false)
class ConsumerLagTest extends QueryTestSupport {

    private static final TopicPartition P0 = new TopicPartition(Topics.ORDERS, 0);

    @BeforeEach
    void empty() throws Exception {
        emptyDatabase();
    }

    @Test
    void groupWithKafkaCommittedOffsets() throws Exception {
        produce(List.of("lag-k-1", "lag-k-2", "lag-k-3"));
        Map<TopicPartition, Long> ends = endOffsets(Topics.ORDERS);
        Map<TopicPartition, Long> committed = new HashMap<>(ends);
        committed.put(P0, ends.get(P0) - 2);
        commitGroupOffsets("lag-kafka-group", committed);

        GetConsumerLagResponse lag = lag("lag-kafka-group");

        assertThat(lag.getPositionSource()).isEqualTo("kafka");
        assertThat(lag.getTotalLag()).isEqualTo(2);
        PartitionLag p0 = lag.getPartitions(0);
        assertThat(p0.getKafkaCommittedOffset()).isEqualTo(ends.get(P0) - 2);
        assertThat(p0.getDbOffset()).isEqualTo(-1);
        assertThat(p0.getEffectivePosition()).isEqualTo(ends.get(P0) - 2);
        assertThat(p0.getEndOffset()).isEqualTo(ends.get(P0));
        assertThat(p0.getLag()).isEqualTo(2);
    }

    @Test
    void groupUsingDatabaseOffsets() throws Exception {
        produce(List.of("lag-d-1", "lag-d-2", "lag-d-3", "lag-d-4", "lag-d-5", "lag-d-6"));
        Map<TopicPartition, Long> ends = endOffsets(Topics.ORDERS);
        // Kafka's offsets trail (they are committed after the database commit, only to show lag);
        // the consumer resumes from PostgreSQL
        Map<TopicPartition, Long> kafka = new HashMap<>();
        ends.forEach((tp, end) -> kafka.put(tp, Math.max(0, end - 5)));
        commitGroupOffsets("lag-db-group", kafka);
        for (var entry : ends.entrySet()) {
            long dbOffset = entry.getKey().equals(P0) ? entry.getValue() - 1 : entry.getValue();
            insertDbOffset("lag-db-group", entry.getKey().partition(), dbOffset);
        }

        GetConsumerLagResponse lag = lag("lag-db-group");

        assertThat(lag.getPositionSource()).isEqualTo("database");
        assertThat(lag.getTotalLag()).isEqualTo(1);
        PartitionLag p0 = lag.getPartitions(0);
        assertThat(p0.getDbOffset()).isEqualTo(ends.get(P0) - 1);
        assertThat(p0.getEffectivePosition()).isEqualTo(ends.get(P0) - 1);
        assertThat(p0.getKafkaCommittedOffset()).isEqualTo(kafka.get(P0));
        assertThat(p0.getLag()).isEqualTo(1);
    }

    @Test
    void kafkaOffsetsAheadOfTheDatabaseAfterAnAtLeastOncePeriodWin() throws Exception {
        produce(List.of("lag-s-1", "lag-s-2", "lag-s-3", "lag-s-4", "lag-s-5", "lag-s-6"));
        Map<TopicPartition, Long> ends = endOffsets(Topics.ORDERS);
        // exactly-once stored offsets long ago, then at-least-once consumed to the end (Kafka
        // offsets only):
        // the consumer seeks to the larger of the two, so the stale database offsets are not lag
        commitGroupOffsets("lag-stale-group", ends);
        for (var entry : ends.entrySet()) {
            insertDbOffset(
                    "lag-stale-group",
                    entry.getKey().partition(),
                    Math.max(0, entry.getValue() - 4));
        }

        GetConsumerLagResponse lag = lag("lag-stale-group");

        assertThat(lag.getPositionSource()).isEqualTo("database");
        assertThat(lag.getTotalLag()).isZero();
        assertThat(lag.getPartitions(0).getEffectivePosition()).isEqualTo(ends.get(P0));
    }

    @Test
    void drainedTopicWhoseLastRecordsWereTransactionalHasNoLag() throws Exception {
        Properties properties = producerProperties();
        properties.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "lag-test-tx");
        long lastCommittedOffset;
        try (KafkaProducer<String, OrderEvent> producer = orderProducer(properties)) {
            producer.initTransactions();
            // an aborted transaction: its records and its marker are not lag
            producer.beginTransaction();
            for (int i = 0; i < 3; i++) {
                producer.send(
                        new ProducerRecord<>(
                                Topics.ORDERS,
                                0,
                                "k",
                                orderRecord(Topics.ORDERS, "tx-a", "tx-a-" + i).value()));
            }
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            RecordMetadata last = null;
            for (int i = 0; i < 2; i++) {
                last =
                        producer.send(
                                        new ProducerRecord<>(
                                                Topics.ORDERS,
                                                0,
                                                "k",
                                                orderRecord(Topics.ORDERS, "tx-c", "tx-c-" + i)
                                                        .value()))
                                .get();
            }
            producer.commitTransaction();
            lastCommittedOffset = last.offset();
        }
        Map<TopicPartition, Long> ends = endOffsets(Topics.ORDERS);
        Map<TopicPartition, Long> committed = new HashMap<>(ends);
        // what a consumer commits after the last record it received: the commit marker lies beyond
        committed.put(P0, lastCommittedOffset + 1);
        commitGroupOffsets("lag-tx-group", committed);

        GetConsumerLagResponse lag = lag("lag-tx-group");

        PartitionLag p0 = lag.getPartitions(0);
        assertThat(p0.getEndOffset()).isGreaterThan(p0.getEffectivePosition());
        assertThat(p0.getLag()).isZero();
        assertThat(lag.getTotalLag()).isZero();
    }

    private GetConsumerLagResponse lag(String group) {
        GetConsumerLagResponse lag =
                query().getConsumerLag(
                                GetConsumerLagRequest.newBuilder().setGroupId(group).build());
        assertThat(lag.getGroupId()).isEqualTo(group);
        assertThat(lag.getPartitionsList())
                .extracting(PartitionLag::getPartition)
                .containsExactly(0, 1, 2);
        return lag;
    }
}

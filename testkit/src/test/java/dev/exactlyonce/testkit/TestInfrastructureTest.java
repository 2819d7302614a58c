package dev.exactlyonce.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

class TestInfrastructureTest {

    private final Infrastructure infra = TestInfrastructure.shared();

    @Test
    void committedTransactionIsVisibleAndAbortedOneIsNot() throws Exception {
        String topic = "tx-probe-" + UUID.randomUUID();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", infra.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                infra.bootstrapServers(),
                                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                                "probe-" + topic),
                        new StringSerializer(),
                        new StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "committed"));
            producer.commitTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "aborted")).get();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "committed-after-abort"));
            producer.commitTransaction();
        }

        assertThat(readAll(topic, "read_committed"))
                .containsExactly("committed", "committed-after-abort");
        assertThat(readAll(topic, "read_uncommitted")).contains("aborted");
    }

    @Test
    void postgresAcceptsConnectionsAndAFlywayMigration() throws Exception {
        Flyway.configure()
                .dataSource(infra.jdbcUrl(), infra.jdbcUser(), infra.jdbcPassword())
                .locations("classpath:db/testmigration")
                .table("testkit_schema_history")
                .load()
                .migrate();
        try (Connection c =
                        DriverManager.getConnection(
                                infra.jdbcUrl(), infra.jdbcUser(), infra.jdbcPassword());
                ResultSet rs =
                        c.createStatement()
                                .executeQuery(
                                        "SELECT note, current_setting('server_version_num') FROM probe")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("migrated");
            assertThat(Integer.parseInt(rs.getString(2)) / 10000).isEqualTo(17);
        }
    }

    private List<String> readAll(String topic, String isolation) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(
                        Map.of(
                                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                infra.bootstrapServers(),
                                ConsumerConfig.GROUP_ID_CONFIG,
                                "probe-" + UUID.randomUUID(),
                                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                                "earliest",
                                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                                isolation),
                        new StringDeserializer(),
                        new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            // read until the consumer has reached the end of the (read_committed) log
            while (System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
                if (!consumer.assignment().isEmpty()) {
                    var end = consumer.endOffsets(consumer.assignment());
                    if (consumer.assignment().stream()
                            .allMatch(tp -> consumer.position(tp) >= end.get(tp))) {
                        break;
                    }
                }
            }
        }
        return values;
    }
}

package dev.exactlyonce.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.consumer.ConsumerMetrics.Total;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.UpdateConsumerConfigRequest;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.server.DependencyReadiness;
import dev.exactlyonce.testkit.DatabaseDurability;
import dev.exactlyonce.testkit.EmbeddedPostgresDatabase;
import io.micronaut.context.ApplicationContext;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/**
 * Restarts and outages: where a consumer resumes, and that it waits for PostgreSQL instead of
 * skipping.
 */
class RecoveryTest {

    @Test
    void restartedConsumerResumesFromTheDatabaseOffsetsNotFromEarlierKafkaOffsets()
            throws Exception {
        String group = Pipeline.unique("resume");
        String pod = Pipeline.unique("pod");
        String prefix = Pipeline.unique("resume");
        Pipeline.startGroupAtEnd(group);
        Map<TopicPartition, Long> before;
        try (Admin admin = Pipeline.admin()) {
            before = Pipeline.endOffsets(admin);
        }
        try (ApplicationContext first = Pipeline.startConsumer(group, pod)) {
            // idempotency off: a replay would show up as duplicate rows
            first.getBean(SharedConsumerConfig.class)
                    .update(
                            UpdateConsumerConfigRequest.newBuilder()
                                    .setProcessingMode(DeliveryMode.EXACTLY_ONCE)
                                    .setEnableIdempotency(false)
                                    .setFailureRate(0)
                                    .build());
            Pipeline.send(Pipeline.orders(prefix + "-old", 30));
            Pipeline.awaitCaughtUp(group);
        }
        // Kafka's committed offsets go back to before those 30 records (the group is empty after a
        // graceful stop)
        try (Admin admin = Pipeline.admin()) {
            Map<TopicPartition, OffsetAndMetadata> rewound = new HashMap<>();
            before.forEach((tp, offset) -> rewound.put(tp, new OffsetAndMetadata(offset)));
            admin.alterConsumerGroupOffsets(group, rewound).all().get();
        }
        Pipeline.send(Pipeline.orders(prefix + "-new", 10));
        try (ApplicationContext restarted = Pipeline.startConsumer(group, pod)) {
            Pipeline.awaitCaughtUp(group);
            assertThat(Pipeline.stored(prefix + "-old")).isEqualTo(new Pipeline.Stored(30, 30));
            assertThat(Pipeline.stored(prefix + "-new")).isEqualTo(new Pipeline.Stored(10, 10));
            assertThat(restarted.getBean(ConsumerMetrics.class).total(Total.RECEIVED))
                    .as("the old records were not even read again")
                    .isEqualTo(10);
        }
    }

    @Test
    void aConsumerFencedUnderItsOwnPodNameJoinsAgainAndGoesOnStoring() throws Exception {
        String group = Pipeline.unique("fenced");
        String pod = Pipeline.unique("pod");
        String prefix = Pipeline.unique("fenced");
        Pipeline.startGroupAtEnd(group);
        try (ApplicationContext service = Pipeline.startConsumer(group, pod)) {
            Pipeline.send(Pipeline.orders(prefix + "-before", 10));
            Pipeline.awaitCaughtUp(group);
            // another member id joins under the service's group.instance.id: the group hands it
            // the name and fences the service's member, as after a pause in lab chaos (seed 7401)
            Map<String, Object> sameName = new HashMap<>();
            sameName.put("bootstrap.servers", Pipeline.infra().bootstrapServers());
            sameName.put("group.id", group);
            sameName.put("group.instance.id", pod);
            sameName.put("enable.auto.commit", false);
            sameName.put("session.timeout.ms", 6_000);
            OrderConsumer loop = service.getBean(OrderConsumer.class);
            try (KafkaConsumer<byte[], byte[]> intruder =
                    new KafkaConsumer<>(
                            sameName, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                intruder.subscribe(List.of(Topics.ORDERS));
                // held until the service's loop has met the fence (its next heartbeat or commit)
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(20))
                        .until(
                                () -> {
                                    try {
                                        intruder.poll(Duration.ofMillis(20));
                                    } catch (FencedInstanceIdException tookItBack) {
                                        // the service joined again under its name
                                    }
                                    return !loop.isRunning();
                                });
            }
            Pipeline.send(Pipeline.orders(prefix + "-after", 10));
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> Pipeline.stored(prefix + "-after").rows() == 10);
            assertThat(Pipeline.stored(prefix + "-after")).isEqualTo(new Pipeline.Stored(10, 10));
            assertThat(loop.isRunning()).isTrue();
        }
    }

    @Test
    void aRetentionGapIsRecordedAndCountedNeverSkippedSilently() throws Exception {
        String group = Pipeline.unique("retention");
        String prefix = Pipeline.unique("retention");
        Pipeline.startGroupAtEnd(group);
        Map<TopicPartition, Long> start;
        try (Admin admin = Pipeline.admin()) {
            start = Pipeline.endOffsets(admin);
        }
        Pipeline.send(Pipeline.orders(prefix, 30));
        // retention deletes the first records of each partition before the group has read them
        Map<TopicPartition, RecordsToDelete> deleted = new HashMap<>();
        long deletedCount = 0;
        try (Admin admin = Pipeline.admin()) {
            Map<TopicPartition, Long> end = Pipeline.endOffsets(admin);
            for (TopicPartition tp : Pipeline.ORDER_PARTITIONS) {
                long gap = Math.min(2, end.get(tp) - start.get(tp));
                deleted.put(tp, RecordsToDelete.beforeOffset(start.get(tp) + gap));
                deletedCount += gap;
            }
            admin.deleteRecords(deleted).all().get();
        }
        assertThat(deletedCount).isPositive();

        try (ApplicationContext consumer = Pipeline.startConsumer(group, Pipeline.unique("pod"))) {
            Pipeline.awaitCaughtUp(group);
            assertThat(Pipeline.stored(prefix).rows()).isEqualTo(30 - deletedCount);
            assertThat(consumer.getBean(ConsumerMetrics.class).total(Total.RETENTION_SKIPPED))
                    .isEqualTo(deletedCount);
        }
        var infra = Pipeline.infra();
        try (Connection c =
                        DriverManager.getConnection(
                                infra.jdbcUrl(), infra.jdbcUser(), infra.jdbcPassword());
                PreparedStatement ps =
                        c.prepareStatement(
                                "SELECT kafka_partition, from_offset, to_offset FROM retention_gaps WHERE consumer_group = ?")) {
            ps.setString(1, group);
            Map<Integer, long[]> gaps = new HashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    gaps.put(rs.getInt(1), new long[] {rs.getLong(2), rs.getLong(3)});
                }
            }
            for (TopicPartition tp : Pipeline.ORDER_PARTITIONS) {
                long to = deleted.get(tp).beforeOffset();
                if (to > start.get(tp)) {
                    assertThat(gaps.get(tp.partition()))
                            .as("gap of %s", tp)
                            .containsExactly(start.get(tp), to);
                }
            }
        }
    }

    @Test
    void startsWithoutPostgresWaitsThroughAnOutageAndSkipsNothing() throws Exception {
        EmbeddedPostgresDatabase database =
                new EmbeddedPostgresDatabase(
                        0, Files.createTempDirectory("outage-pg"), DatabaseDurability.UNSAFE_FAST);
        String group = Pipeline.unique("outage");
        String prefix = Pipeline.unique("outage");
        Pipeline.startGroupAtEnd(group);
        Map<String, Object> properties = Pipeline.consumerProperties(group, Pipeline.unique("pod"));
        properties.put("datasources.default.url", database.jdbcUrl());
        properties.put("datasources.default.username", EmbeddedPostgresDatabase.USER);
        properties.put("datasources.default.password", EmbeddedPostgresDatabase.PASSWORD);
        properties.put("datasources.default.connection-timeout", 1000);
        try (ApplicationContext consumer =
                ApplicationContext.builder().environments("test").properties(properties).start()) {
            // started without PostgreSQL: alive, not ready, nothing consumed
            DependencyReadiness readiness = consumer.getBean(DependencyReadiness.class);
            OrderConsumer loop = consumer.getBean(OrderConsumer.class);
            Pipeline.send(Pipeline.orders(prefix + "-a", 20));
            await().during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> !readiness.isReady() && !loop.isRunning());

            database.start();
            await().atMost(Duration.ofSeconds(60)).until(readiness::isReady);
            Pipeline.awaitCaughtUp(group);
            assertThat(Pipeline.stored(database.jdbcUrl(), prefix + "-a"))
                    .isEqualTo(new Pipeline.Stored(20, 20));

            // an outage while running: the batch waits, paused, and is stored when PostgreSQL is
            // back
            database.stop();
            Pipeline.send(Pipeline.orders(prefix + "-b", 20));
            ConsumerMetrics metrics = consumer.getBean(ConsumerMetrics.class);
            // some of them reached the loop (the first poll may hold only some partitions' records)
            await().atMost(Duration.ofSeconds(30)).until(() -> metrics.total(Total.RECEIVED) > 20);
            await().during(Duration.ofSeconds(2))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> !readiness.isReady() && metrics.total(Total.PROCESSED) == 20);
            database.start();
            Pipeline.awaitCaughtUp(group);
            assertThat(Pipeline.stored(database.jdbcUrl(), prefix + "-b"))
                    .isEqualTo(new Pipeline.Stored(20, 20));
        } finally {
            database.stop();
        }
    }
}

package dev.exactlyonce.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactlyonce.grpc.v1.ListTopicsRequest;
import dev.exactlyonce.grpc.v1.ListTopicsResponse;
import dev.exactlyonce.grpc.v1.QueryServiceGrpc;
import dev.exactlyonce.grpc.v1.TopicInfo;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.testkit.DatabaseDurability;
import dev.exactlyonce.testkit.EmbeddedPostgresDatabase;
import dev.exactlyonce.testkit.HostsFile;
import dev.exactlyonce.testkit.KafkaComesLater;
import dev.exactlyonce.testkit.ServiceProbe;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micronaut.context.ApplicationContext;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import io.micronaut.runtime.server.EmbeddedServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The query service starts before its Kafka with the chart's bootstrap list and not one name of it
 * resolving yet: its Admin and its lag counter are held by beans created at start-up, and
 * kafka-clients refuse to construct either then. The process stays up, alive and not ready with the
 * reason, and a Kafka read says why it cannot answer; once the names resolve and the broker runs it
 * becomes ready and lists the topics, with no restart. PostgreSQL runs from the start; only Kafka
 * is late. Runs in the surefire execution hosts-file.
 */
@Tag(HostsFile.TAG)
class StartsBeforeKafkaTest {

    @Test
    void becomesReadyWhenNoKafkaNameResolvedAtStart() throws Exception {
        // before the first name lookup of this JVM (PostgreSQL's start makes one): failed lookups
        // must not be cached
        HostsFile.forThisJvm();
        Path dataDir = Files.createTempDirectory("query-before-kafka-dns-");
        try (EmbeddedPostgresDatabase postgres =
                new EmbeddedPostgresDatabase(0, dataDir, DatabaseDurability.UNSAFE_FAST).start()) {
            Flyway.configure()
                    .dataSource(
                            postgres.jdbcUrl(),
                            EmbeddedPostgresDatabase.USER,
                            EmbeddedPostgresDatabase.PASSWORD)
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();
            KafkaComesLater.verify(
                    bootstrap -> {
                        EmbeddedServer management =
                                ApplicationContext.run(
                                        EmbeddedServer.class,
                                        Map.of(
                                                "kafka.bootstrap.servers",
                                                bootstrap,
                                                "datasources.default.url",
                                                postgres.jdbcUrl(),
                                                "datasources.default.username",
                                                EmbeddedPostgresDatabase.USER,
                                                "datasources.default.password",
                                                EmbeddedPostgresDatabase.PASSWORD),
                                        "test");
                        return new KafkaComesLater.Started(
                                management
                                        .getApplicationContext()
                                        .getBean(GrpcEmbeddedServer.class)
                                        .getPort(),
                                management.getPort(),
                                management::isRunning,
                                management);
                    },
                    // a Kafka read says why it cannot answer
                    (probe, broker) ->
                            assertThatThrownBy(() -> listTopics(query(probe)))
                                    .isInstanceOfSatisfying(
                                            StatusRuntimeException.class,
                                            e -> {
                                                assertThat(e.getStatus().getCode())
                                                        .isEqualTo(Status.Code.UNAVAILABLE);
                                                assertThat(e.getStatus().getDescription())
                                                        .contains(
                                                                "no Kafka bootstrap name resolves");
                                            }),
                    (probe, broker) ->
                            assertThat(listTopics(query(probe)).getTopicsList())
                                    .filteredOn(topic -> topic.getName().equals(Topics.ORDERS))
                                    .singleElement()
                                    .extracting(TopicInfo::getPartitionCount)
                                    .isEqualTo(Topics.ORDERS_PARTITIONS));
        }
    }

    private static QueryServiceGrpc.QueryServiceBlockingStub query(ServiceProbe probe) {
        return QueryServiceGrpc.newBlockingStub(probe.channel());
    }

    private static ListTopicsResponse listTopics(QueryServiceGrpc.QueryServiceBlockingStub query) {
        return query.withDeadlineAfter(30, TimeUnit.SECONDS)
                .listTopics(ListTopicsRequest.getDefaultInstance());
    }
}

package dev.exactlyonce.consumer;

import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.kafka.OrderEventSerde;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.testkit.DatabaseDurability;
import dev.exactlyonce.testkit.EmbeddedKafkaBroker;
import dev.exactlyonce.testkit.EmbeddedPostgresDatabase;
import dev.exactlyonce.testkit.HostsFile;
import dev.exactlyonce.testkit.KafkaComesLater;
import io.micronaut.context.ApplicationContext;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import io.micronaut.runtime.server.EmbeddedServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The consumer starts before its Kafka with the chart's bootstrap list and not one name of it
 * resolving yet (the Service not created, the broker pod without an IP): kafka-clients refuse to
 * construct a client then. The process stays up, alive and not ready with the reason, and once the
 * names resolve and the broker runs it becomes ready and stores an order, with no restart.
 * PostgreSQL runs from the start; only Kafka is late. Runs in the surefire execution hosts-file.
 */
@Tag(HostsFile.TAG)
class StartsBeforeKafkaTest {

    @Test
    void becomesReadyWhenNoKafkaNameResolvedAtStart() throws Exception {
        // before the first name lookup of this JVM (PostgreSQL's start makes one): failed lookups
        // must not be cached
        HostsFile.forThisJvm();
        Path dataDir = Files.createTempDirectory("consumer-before-kafka-dns-");
        try (EmbeddedPostgresDatabase postgres =
                new EmbeddedPostgresDatabase(0, dataDir, DatabaseDurability.UNSAFE_FAST).start()) {
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
                                                EmbeddedPostgresDatabase.PASSWORD,
                                                "app.pod-name",
                                                "starts-before-kafka-dns"),
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
                    KafkaComesLater::nothing,
                    (probe, broker) -> {
                        send(broker, Pipeline.order("before-kafka-dns-1", "before-kafka-dns-1-m"));
                        await().atMost(Duration.ofSeconds(60))
                                .pollInterval(Duration.ofMillis(200))
                                .until(() -> storedOrders(postgres, "before-kafka-dns-%") == 1);
                    });
        }
    }

    private static void send(EmbeddedKafkaBroker broker, OrderEvent event) throws Exception {
        try (KafkaProducer<String, OrderEvent> producer =
                new KafkaProducer<>(
                        Map.of("bootstrap.servers", broker.bootstrapServers(), "acks", "all"),
                        new StringSerializer(),
                        new OrderEventSerde.OrderEventSerializer())) {
            ProducerRecord<String, OrderEvent> record =
                    new ProducerRecord<>(Topics.ORDERS, event.getOrderId(), event);
            record.headers()
                    .add(
                            Topics.HEADER_MESSAGE_ID,
                            event.getMessageId().getBytes(StandardCharsets.UTF_8));
            producer.send(record).get();
        }
    }

    private static long storedOrders(EmbeddedPostgresDatabase postgres, String orderIds)
            throws Exception {
        try (Connection c =
                        DriverManager.getConnection(
                                postgres.jdbcUrl(),
                                EmbeddedPostgresDatabase.USER,
                                EmbeddedPostgresDatabase.PASSWORD);
                PreparedStatement ps =
                        c.prepareStatement("SELECT count(*) FROM orders WHERE order_id LIKE ?")) {
            ps.setString(1, orderIds);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}

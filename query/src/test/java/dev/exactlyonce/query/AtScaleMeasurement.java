package dev.exactlyonce.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.AuditRequest;
import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.GetStatsRequest;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.Stats;
import dev.exactlyonce.kafka.Topics;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Measures GetStats and Audit at 1,000,000 stored orders (and as many committed Kafka records). Not
 * part of the default run (it takes minutes): {@code mvn -pl query verify -Dgroups=measurement}.
 * Prints the figures and writes them to target/measurement.txt; asserts only correctness, never
 * time.
 */
@Tag("measurement")
@MicronautTest(transactional = false)
class AtScaleMeasurement extends QueryTestSupport {

    private static final int ORDERS = 1_000_000;
    private static final AuditedGroups GROUPS = AuditedGroups.named("scale");

    @Override
    Map<String, String> extraProperties() {
        return GROUPS.properties();
    }

    @Test
    void statsAndAuditAtOneMillionOrders() throws Exception {
        freshWindow();

        long t0 = System.nanoTime();
        Properties p = producerProperties();
        p.put(ProducerConfig.ACKS_CONFIG, "1");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        try (KafkaProducer<String, OrderEvent> producer = orderProducer(p)) {
            for (int i = 0; i < ORDERS; i++) {
                String id = "scale-" + i;
                OrderEvent event =
                        OrderEvent.newBuilder()
                                .setOrderId("order-" + id)
                                .setMessageId(id)
                                .setCustomerId("cust-" + (i % 1000))
                                .setTotalAmount(39.98)
                                .build();
                var record = new ProducerRecord<>(Topics.ORDERS, "order-" + id, event);
                record.headers().add(Topics.HEADER_MESSAGE_ID, id.getBytes(StandardCharsets.UTF_8));
                producer.send(record);
            }
            producer.flush();
        }
        long produced = System.nanoTime();
        try (Connection c = database();
                Statement s = c.createStatement()) {
            s.execute(
                    "INSERT INTO orders (order_id, message_id, customer_id, items, total_amount, kafka_partition, "
                            + "kafka_offset, produced_at, processing_mode, consumer_id) "
                            + "SELECT 'order-scale-' || i, 'scale-' || i, 'cust-' || (i % 1000), "
                            + "'[{\"name\":\"Widget\",\"quantity\":2,\"price\":19.99}]', 39.98, i % 3, i / 3, now(), "
                            + "'EXACTLY_ONCE', 'scale' FROM generate_series(0, "
                            + (ORDERS - 1)
                            + ") AS i");
            s.execute(
                    "INSERT INTO processed_messages (message_id, order_id, kafka_partition, kafka_offset) "
                            + "SELECT 'scale-' || i, 'order-scale-' || i, i % 3, i / 3 FROM generate_series(0, "
                            + (ORDERS - 1)
                            + ") AS i");
            // the counters move as the consumer moves them (the schema has no triggers)
            s.execute(
                    "SELECT count_stored_batch(ARRAY(SELECT 'scale-' || i FROM generate_series(0, "
                            + (ORDERS - 1)
                            + ") AS i)::varchar[], "
                            + ORDERS
                            + ")");
            s.execute("ANALYZE orders");
        }
        long stored = System.nanoTime();
        caughtUp(GROUPS.consumer());

        for (int i = 0; i < 5; i++) {
            query().getStats(GetStatsRequest.getDefaultInstance());
        }
        long[] statsMicros = new long[50];
        Stats stats = null;
        for (int i = 0; i < statsMicros.length; i++) {
            long s = System.nanoTime();
            stats = query().getStats(GetStatsRequest.getDefaultInstance());
            statsMicros[i] = (System.nanoTime() - s) / 1_000;
        }
        Arrays.sort(statsMicros);
        long[] auditMillis = new long[3];
        AuditResponse audit = null;
        for (int i = 0; i < auditMillis.length; i++) {
            long s = System.nanoTime();
            audit = query().audit(AuditRequest.newBuilder().setWaitSeconds(5).build());
            auditMillis[i] = (System.nanoTime() - s) / 1_000_000;
        }

        assertThat(stats.getTotalOrders()).isEqualTo(ORDERS);
        assertThat(audit.getCommittedInKafka()).isEqualTo(ORDERS);
        assertThat(audit.getVerdict()).isEqualTo("EXACTLY_ONCE");
        String report =
                String.format(
                        """
                measurement at %,d stored orders and %,d committed Kafka records (%s infrastructure)
                  setup: produce %d ms, insert rows %d ms
                  GetStats over gRPC (50 calls): median %.2f ms, p90 %.2f ms, max %.2f ms
                  Audit over gRPC (3 calls): %s ms (verdict %s)
                """,
                        ORDERS,
                        audit.getCommittedInKafka(),
                        INFRA.kind(),
                        (produced - t0) / 1_000_000,
                        (stored - produced) / 1_000_000,
                        statsMicros[25] / 1000.0,
                        statsMicros[45] / 1000.0,
                        statsMicros[49] / 1000.0,
                        Arrays.toString(auditMillis),
                        audit.getVerdict());
        System.out.println(report);
        Files.writeString(Path.of("target", "measurement.txt"), report);
    }
}

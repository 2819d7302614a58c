package dev.exactlyonce.lab.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.Invoice;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.lab.runner.Progress;
import dev.exactlyonce.testkit.Infrastructure;
import dev.exactlyonce.testkit.TestInfrastructure;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka Streams peer, as {@code lab bench --peer kafka-streams} runs it (a JVM of its own,
 * exactly_once_v2), against a real broker: a backlog of committed orders and one aborted
 * transaction's orders; every committed order gets exactly one invoice, with the amounts billing's
 * own function gives, and the aborted ones none.
 */
class KafkaStreamsPeerTest {

    static final int ORDERS = 300;

    @Test
    void billsEveryCommittedOrderOnceWithBillingsArithmetic(@TempDir Path dir) throws Exception {
        Infrastructure kafka = TestInfrastructure.shared();
        String input = "peer-orders-" + System.nanoTime();
        String output = "peer-invoices-" + System.nanoTime();
        try (Admin admin =
                Admin.create(
                        Map.of(
                                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(input, 3, (short) 1))).all().get();
            var start = Backlog.committedEnds(admin, input);
            writeOrders(kafka.bootstrapServers(), input);
            Backlog backlog =
                    Backlog.read(
                            kafka.bootstrapServers(),
                            input,
                            start,
                            Backlog.committedEnds(admin, input));
            assertThat(backlog.orders()).as("committed orders only").isEqualTo(ORDERS);

            InvoiceDrain.Result drained =
                    KafkaStreamsPeer.drainWithKafkaStreams(
                            kafka.bootstrapServers(),
                            admin,
                            backlog,
                            output,
                            List.of("-Xmx256m", "-XX:+UseSerialGC"),
                            dir,
                            new Progress(System.out));

            assertThat(drained.records()).isEqualTo(ORDERS);
            assertThat(drained.distinct()).isEqualTo(ORDERS);
            assertThat(drained.lost()).isZero();
            assertThat(drained.duplicated()).isZero();
            assertThat(drained.unexpected()).as("no invoice for an aborted order").isZero();
            assertThat(drained.differing()).isZero();
            assertThat(drained.exactlyOnce()).isTrue();
            // the same amounts as billing's function gives for each order
            assertThat(drained.invoices())
                    .extracting(
                            Invoice::getOrderId,
                            Invoice::getNetCents,
                            Invoice::getTaxCents,
                            Invoice::getGrossCents)
                    .containsExactlyInAnyOrderElementsOf(
                            backlog.expected().values().stream()
                                    .map(
                                            i ->
                                                    Tuple.tuple(
                                                            i.getOrderId(),
                                                            i.getNetCents(),
                                                            i.getTaxCents(),
                                                            i.getGrossCents()))
                                    .toList());
        }
    }

    /** ORDERS orders in three committed transactions, and 10 more in an aborted one. */
    private static void writeOrders(String bootstrapServers, String topic) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "peer-test-" + System.nanoTime());
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            for (int t = 0; t < 3; t++) {
                producer.beginTransaction();
                for (int i = t * ORDERS / 3; i < (t + 1) * ORDERS / 3; i++) {
                    producer.send(order(topic, "peer-" + i, i));
                }
                producer.commitTransaction();
            }
            producer.beginTransaction();
            for (int i = 0; i < 10; i++) {
                producer.send(order(topic, "aborted-" + i, i));
            }
            producer.abortTransaction();
        }
    }

    private static ProducerRecord<String, byte[]> order(String topic, String orderId, int n) {
        long priceCents = 5 + (n * 7919L) % 100_000; // half-cent taxes among them
        int quantity = 1 + n % 3;
        OrderEvent order =
                OrderEvent.newBuilder()
                        .setOrderId(orderId)
                        .setMessageId("msg-" + orderId)
                        .setCustomerId("cust-" + n % 7)
                        .addItems(
                                OrderItem.newBuilder()
                                        .setName("item")
                                        .setQuantity(quantity)
                                        .setPrice(priceCents / 100.0))
                        .setTotalAmount(priceCents * quantity / 100.0)
                        .build();
        ProducerRecord<String, byte[]> record =
                new ProducerRecord<>(topic, orderId, order.toByteArray());
        record.headers()
                .add(
                        Topics.HEADER_MESSAGE_ID,
                        order.getMessageId().getBytes(StandardCharsets.UTF_8));
        return record;
    }
}

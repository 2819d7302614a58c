package dev.exactlyonce.lab.drill;

import com.google.protobuf.Timestamp;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.kafka.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The poison-order fault: one order that breaks the order contract (a NUL in an item name:
 * PostgreSQL's text and JSONB cannot hold it), written straight to topic orders as a foreign writer
 * would, since the producer refuses it at the edge. The consumer and billing must each dead-letter
 * it alone, with its reason, and store and invoice every other order; the audit names it.
 */
final class PoisonOrder {

    private PoisonOrder() {}

    /** The poison record's value: a well-formed OrderEvent with a NUL in its item name. */
    static OrderEvent event(String orderId) {
        Instant now = Instant.now();
        return OrderEvent.newBuilder()
                .setOrderId(orderId)
                .setMessageId(orderId + "-m")
                .setCustomerId("cust-poison")
                .addItems(OrderItem.newBuilder().setName("Wid\u0000get").setQuantity(1).setPrice(1))
                .setTotalAmount(1)
                .setProducedAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()))
                .setDeliveryMode(DeliveryMode.AT_LEAST_ONCE)
                .setProducerId("foreign-writer")
                .build();
    }

    /**
     * Writes one poison order to {@code bootstrapServers} and waits for the broker's
     * acknowledgement.
     */
    static String write(String bootstrapServers) throws Exception {
        String orderId = "poison-" + UUID.randomUUID();
        OrderEvent event = event(orderId);
        try (KafkaProducer<String, byte[]> writer =
                new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                bootstrapServers,
                                ProducerConfig.ACKS_CONFIG,
                                "all"),
                        new StringSerializer(),
                        new ByteArraySerializer())) {
            ProducerRecord<String, byte[]> record =
                    new ProducerRecord<>(Topics.ORDERS, orderId, event.toByteArray());
            record.headers()
                    .add(
                            Topics.HEADER_MESSAGE_ID,
                            event.getMessageId().getBytes(StandardCharsets.UTF_8));
            var written = writer.send(record).get();
            return "wrote poison order "
                    + orderId
                    + " (a NUL in an item name) to "
                    + Topics.ORDERS
                    + "-"
                    + written.partition()
                    + "@"
                    + written.offset();
        }
    }
}

package dev.exactlyonce.billing;

import dev.exactlyonce.kafka.Topics;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

/**
 * An order billing cannot invoice, as a billing.dlq record: the order record's key, value and
 * headers, plus where it came from and why (the {@code dlq.*} headers below). Billing has its own
 * DLQ so that each leg of the audit counts its own dead letters (the consumer's are rows of the
 * dead_letters table, see the consumer's {@code DeadLetter}). The stage sends them with the
 * invoices, so in exactly-once they commit in the same transaction as the input offsets: never
 * lost, never twice.
 */
final class DeadLetter {

    static final String ORIGINAL_TOPIC = "dlq.original.topic";
    static final String ORIGINAL_PARTITION = "dlq.original.partition";
    static final String ORIGINAL_OFFSET = "dlq.original.offset";
    static final String ERROR = "dlq.error";
    static final String ATTEMPTS = "dlq.attempts";
    static final String CONSUMER = "dlq.consumer";

    private DeadLetter() {}

    static ProducerRecord<String, byte[]> of(
            ConsumerRecord<String, byte[]> order, String error, int attempts, String pod) {
        ProducerRecord<String, byte[]> letter =
                new ProducerRecord<>(Topics.BILLING_DLQ, null, order.key(), order.value());
        for (Header header : order.headers()) {
            letter.headers().add(header);
        }
        letter.headers()
                .add(ORIGINAL_TOPIC, utf8(order.topic()))
                .add(ORIGINAL_PARTITION, utf8(String.valueOf(order.partition())))
                .add(ORIGINAL_OFFSET, utf8(String.valueOf(order.offset())))
                .add(ERROR, utf8(error))
                .add(ATTEMPTS, utf8(String.valueOf(attempts)))
                .add(CONSUMER, utf8("billing/" + pod));
        return letter;
    }

    private static byte[] utf8(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}

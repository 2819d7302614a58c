package dev.exactlyonce.billing;

import dev.exactlyonce.kafka.Topics;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * An order billing cannot invoice, as a billing.dlq record: the order record's key, value and
 * headers, plus where it came from and why (the {@code dlq.*} headers below). Billing has its own
 * DLQ so that each leg of the audit counts its own dead letters (the consumer's are rows of the
 * dead_letters table, see the consumer's {@code DeadLetter}). The stage sends them with the
 * invoices, so in exactly-once they commit in the same transaction as the input offsets: never
 * lost, never twice.
 *
 * <p>A dead letter is never larger than {@link #MAX_BYTES}. The orders topic takes records from
 * anyone up to the broker's limit (1 MiB by default), and a copy of such a record plus these
 * headers would be larger than the producer or the broker accepts: its send would fail at every
 * retry and stop the stage. Such a record is dead-lettered cut: its value cut to fit, its own
 * headers and an oversized key left out, its message id kept (the audit names a dead letter by it),
 * and {@link #CUT} says what was left out.
 */
final class DeadLetter {

    static final String ORIGINAL_TOPIC = "dlq.original.topic";
    static final String ORIGINAL_PARTITION = "dlq.original.partition";
    static final String ORIGINAL_OFFSET = "dlq.original.offset";
    static final String ERROR = "dlq.error";
    static final String ATTEMPTS = "dlq.attempts";
    static final String CONSUMER = "dlq.consumer";

    /** Only on a dead letter that does not hold its order whole: what was left out. */
    static final String CUT = "dlq.cut";

    /**
     * The most a dead letter holds, key, value and headers: under the producer's {@code
     * max.request.size} and the broker's {@code message.max.bytes} (both 1 MiB by default), with
     * room for the record batch around it.
     */
    static final int MAX_BYTES = 1_000_000;

    /** A key or message id longer than this is not an order's (those are at most 64 characters). */
    static final int MAX_NAME_BYTES = 1_024;

    /**
     * The reason is cut to this many characters (a protobuf or contract message is far shorter).
     */
    static final int MAX_ERROR_CHARS = 2_000;

    private DeadLetter() {}

    /**
     * @param messageId the message id the order carries (its value's, else its header's), or null
     */
    static ProducerRecord<String, byte[]> of(
            ConsumerRecord<String, byte[]> order,
            String error,
            String messageId,
            int attempts,
            String pod) {
        Headers why =
                new RecordHeaders()
                        .add(ORIGINAL_TOPIC, utf8(order.topic()))
                        .add(ORIGINAL_PARTITION, utf8(String.valueOf(order.partition())))
                        .add(ORIGINAL_OFFSET, utf8(String.valueOf(order.offset())))
                        .add(ERROR, utf8(cut(error)))
                        .add(ATTEMPTS, utf8(String.valueOf(attempts)))
                        .add(CONSUMER, utf8("billing/" + pod));
        byte[] key = order.key() == null ? null : utf8(order.key());
        long whole = length(key) + length(order.value()) + size(order.headers()) + size(why);
        if (whole <= MAX_BYTES) {
            ProducerRecord<String, byte[]> letter =
                    new ProducerRecord<>(Topics.BILLING_DLQ, null, order.key(), order.value());
            order.headers().forEach(letter.headers()::add);
            why.forEach(letter.headers()::add);
            return letter;
        }
        String keptKey = key != null && key.length <= MAX_NAME_BYTES ? order.key() : null;
        if (messageId != null && utf8(messageId).length <= MAX_NAME_BYTES) {
            why.add(Topics.HEADER_MESSAGE_ID, utf8(messageId));
        }
        // the cut header's own size is bounded by its text below (~200 bytes)
        long room = MAX_BYTES - length(keptKey == null ? null : key) - size(why) - 512;
        byte[] value =
                order.value() == null
                        ? null
                        : Arrays.copyOf(
                                order.value(),
                                (int) Math.max(0, Math.min(order.value().length, room)));
        why.add(
                CUT,
                utf8(
                        "the order record ("
                                + whole
                                + " bytes with these headers) is larger than a dead letter holds ("
                                + MAX_BYTES
                                + "): value cut to "
                                + length(value)
                                + " of "
                                + length(order.value())
                                + " bytes, its "
                                + order.headers().toArray().length
                                + " headers left out"
                                + (keptKey == null && key != null
                                        ? ", its key (" + key.length + " bytes) left out"
                                        : "")));
        ProducerRecord<String, byte[]> letter =
                new ProducerRecord<>(Topics.BILLING_DLQ, null, keptKey, value);
        why.forEach(letter.headers()::add);
        return letter;
    }

    private static String cut(String error) {
        return error.length() <= MAX_ERROR_CHARS
                ? error
                : error.substring(0, MAX_ERROR_CHARS) + "... (cut)";
    }

    /**
     * As the record format writes them: each header's key and value, and up to 10 bytes of lengths.
     */
    private static long size(Headers headers) {
        long size = 0;
        for (Header header : headers) {
            size += 10 + utf8(header.key()).length + length(header.value());
        }
        return size;
    }

    private static long length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    private static byte[] utf8(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}

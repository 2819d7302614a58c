package dev.exactlyonce.consumer;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.kafka.Topics;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.StringJoiner;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Raw bytes to {@link OrderRow}. The consumer reads byte[] and parses here, not in a Kafka
 * Deserializer: a record that is not an OrderEvent (a "poison pill") would make poll() throw for
 * the whole partition; here it becomes a {@link PoisonRecord} that goes to the DLQ, and the records
 * after it are processed.
 */
final class RecordDecoder {

    static final int MAX_ID_LENGTH = 64;
    /** NUMERIC(14, 2) in the orders table. */
    private static final BigDecimal MAX_AMOUNT = new BigDecimal("999999999999.99");
    private static final JsonFormat.Printer ITEM_JSON =
            JsonFormat.printer().includingDefaultValueFields().omittingInsignificantWhitespace();

    /** Why a record cannot be stored; it goes to the DLQ at once (retrying cannot help). */
    static final class PoisonRecord extends Exception {
        PoisonRecord(String reason) {
            super(reason, null, false, false);
        }
    }

    private RecordDecoder() {
    }

    static OrderRow decode(ConsumerRecord<String, byte[]> record) throws PoisonRecord {
        if (record.value() == null) {
            throw new PoisonRecord("empty value (tombstone)");
        }
        OrderEvent event;
        try {
            event = OrderEvent.parseFrom(record.value());
        } catch (InvalidProtocolBufferException e) {
            throw new PoisonRecord("not an OrderEvent: " + e.getMessage());
        }
        String messageId = !event.getMessageId().isEmpty() ? event.getMessageId() : header(record, Topics.HEADER_MESSAGE_ID);
        requireId("order_id", event.getOrderId());
        requireId("message_id", messageId);
        if (event.getCustomerId().length() > MAX_ID_LENGTH) {
            throw new PoisonRecord("customer_id: longer than " + MAX_ID_LENGTH + " characters");
        }
        if (!Double.isFinite(event.getTotalAmount())) {
            throw new PoisonRecord("total_amount: not a finite number");
        }
        BigDecimal amount = BigDecimal.valueOf(event.getTotalAmount()).setScale(2, RoundingMode.HALF_EVEN);
        if (amount.abs().compareTo(MAX_AMOUNT) > 0) {
            throw new PoisonRecord("total_amount: out of range " + amount);
        }
        Instant producedAt = event.hasProducedAt()
                ? Instant.ofEpochSecond(event.getProducedAt().getSeconds(), event.getProducedAt().getNanos())
                : Instant.ofEpochMilli(record.timestamp());
        return new OrderRow(record, event.getOrderId(), messageId, event.getCustomerId(), itemsJson(event),
                amount, producedAt, OrderFingerprint.of(event.getCustomerId(), event.getItemsList(), amount));
    }

    private static void requireId(String field, String value) throws PoisonRecord {
        if (value == null || value.isEmpty()) {
            throw new PoisonRecord(field + ": missing");
        }
        if (value.length() > MAX_ID_LENGTH) {
            throw new PoisonRecord(field + ": longer than " + MAX_ID_LENGTH + " characters");
        }
    }

    private static String itemsJson(OrderEvent event) throws PoisonRecord {
        StringJoiner json = new StringJoiner(",", "[", "]");
        try {
            for (OrderItem item : event.getItemsList()) {
                json.add(ITEM_JSON.print(item));
            }
        } catch (InvalidProtocolBufferException e) {
            throw new PoisonRecord("items: " + e.getMessage());
        }
        return json.toString();
    }

    static String header(ConsumerRecord<?, ?> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}

package dev.exactlyonce.consumer;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.exactlyonce.contract.OrderContract;
import dev.exactlyonce.contract.OrderContract.Violation;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.kafka.Topics;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.StringJoiner;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Raw bytes to {@link OrderRow}. The consumer reads byte[] and parses here, not in a Kafka
 * Deserializer: a record that is not an OrderEvent (a "poison pill") would make poll() throw for
 * the whole partition; here it becomes a {@link PoisonRecord} that is dead-lettered, and the
 * records after it are processed. A record that decodes is checked against the order contract again
 * ({@link OrderContract}): the topic is open to any client with write access, not only our
 * producer.
 */
final class RecordDecoder {

    private static final JsonFormat.Printer ITEM_JSON =
            JsonFormat.printer().includingDefaultValueFields().omittingInsignificantWhitespace();

    /** Why a record cannot be stored; it is dead-lettered at once (retrying cannot help). */
    static final class PoisonRecord extends Exception {
        private final String messageId;

        PoisonRecord(String reason, String messageId) {
            super(reason, null, false, false);
            this.messageId = messageId;
        }

        /** The record's message id when it had a valid one, else null. */
        String messageId() {
            return messageId;
        }

        DeadLetter deadLetter(ConsumerRecord<String, byte[]> record) {
            return new DeadLetter(record, messageId, getMessage(), 1);
        }
    }

    private RecordDecoder() {}

    /** Decodes and re-checks the order contract (a record is untrusted, whoever wrote it). */
    static OrderRow decode(ConsumerRecord<String, byte[]> record) throws PoisonRecord {
        if (record.value() == null) {
            throw new PoisonRecord("empty value (tombstone)", null);
        }
        OrderEvent event;
        try {
            event = OrderEvent.parseFrom(record.value());
        } catch (InvalidProtocolBufferException e) {
            throw new PoisonRecord("not an OrderEvent: " + e.getMessage(), null);
        }
        String messageId = Topics.messageId(event, record.headers());
        Violation broken = OrderContract.check(event, messageId);
        if (broken != null) {
            boolean idValid =
                    !broken.field().equals("message_id") && !broken.field().equals("order_id");
            throw new PoisonRecord(
                    "breaks the order contract: " + broken, idValid ? messageId : null);
        }
        BigDecimal amount = BigDecimal.valueOf(OrderContract.cents(event.getTotalAmount()), 2);
        Instant producedAt =
                event.hasProducedAt()
                        ? Instant.ofEpochSecond(
                                event.getProducedAt().getSeconds(),
                                event.getProducedAt().getNanos())
                        : Instant.ofEpochMilli(record.timestamp());
        return new OrderRow(
                record,
                event.getOrderId(),
                messageId,
                event.getCustomerId(),
                itemsJson(event, messageId),
                amount,
                producedAt,
                OrderFingerprint.of(event.getCustomerId(), event.getItemsList(), amount));
    }

    private static String itemsJson(OrderEvent event, String messageId) throws PoisonRecord {
        StringJoiner json = new StringJoiner(",", "[", "]");
        try {
            for (OrderItem item : event.getItemsList()) {
                json.add(ITEM_JSON.print(item));
            }
        } catch (InvalidProtocolBufferException e) {
            throw new PoisonRecord("items: " + e.getMessage(), messageId);
        }
        return json.toString();
    }
}

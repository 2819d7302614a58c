package dev.exactlyonce.producer;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.kafka.Topics;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * One order on its way to topic "orders": the event still open for the two fields only the delivery
 * knows when it really sends (its mode and, in a transaction, the batch id), the record headers,
 * and the produce span that ends when the mode's guarantee holds or the send failed.
 */
public final class OutgoingOrder {

    private final String orderId;
    private final String messageId;
    private final OrderEvent.Builder event;
    private final byte[] traceparent;
    private final Span span;

    OutgoingOrder(
            String orderId,
            String messageId,
            OrderEvent.Builder event,
            String traceparent,
            Span span) {
        this.orderId = orderId;
        this.messageId = messageId;
        this.event = event;
        this.traceparent = traceparent.getBytes(StandardCharsets.US_ASCII);
        this.span = span;
    }

    public String orderId() {
        return orderId;
    }

    public String messageId() {
        return messageId;
    }

    public String traceId() {
        return span.getSpanContext().getTraceId();
    }

    /** The Kafka record: key order_id, value the OrderEvent, headers message-id and traceparent. */
    public ProducerRecord<String, OrderEvent> toRecord(DeliveryMode mode, String batchId) {
        OrderEvent value = event.setDeliveryMode(mode).setBatchId(batchId).build();
        RecordHeaders headers = new RecordHeaders();
        headers.add(Topics.HEADER_MESSAGE_ID, messageId.getBytes(StandardCharsets.US_ASCII));
        headers.add(Topics.HEADER_TRACEPARENT, traceparent);
        return new ProducerRecord<>(Topics.ORDERS, null, orderId, value, headers);
    }

    void succeeded(int partition, long offset) {
        if (partition >= 0) {
            span.setAttribute("messaging.destination.partition.id", String.valueOf(partition));
            span.setAttribute("messaging.kafka.offset", offset);
        }
        span.end();
    }

    void failed(Throwable cause) {
        span.setStatus(StatusCode.ERROR, String.valueOf(cause.getMessage()));
        span.end();
    }
}

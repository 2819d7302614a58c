package dev.exactlyonce.producer;

import com.google.protobuf.Timestamp;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.kafka.MessageIds;
import dev.exactlyonce.kafka.Topics;
import io.micronaut.context.annotation.Property;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Turns a validated request into an {@link OutgoingOrder}: ids, produced_at, producer id, and a
 * Kafka produce span (child of the gRPC server span) whose W3C traceparent travels in the record
 * header, so the consumer's span joins the same trace.
 */
@Singleton
public class OrderRecords {

    private final Tracer tracer;
    private final String podName;

    public OrderRecords(
            OpenTelemetry openTelemetry, @Property(name = "app.pod-name") String podName) {
        this.tracer = openTelemetry.getTracer("dev.exactlyonce.producer");
        this.podName = podName;
    }

    /**
     * A new attempt of an order. A client-supplied order id, scoped to its customer, is the
     * idempotency key: the message id is derived from both ({@link MessageIds#forClientKey}), so a
     * retry of the same order carries the same message id and the consumer's dedup stores it once,
     * while another customer's order with the same order id is another order. A generated order id
     * cannot be retried (the client never knew it), so its message id is random.
     */
    public OutgoingOrder prepare(PlaceOrderRequest request) {
        if (request.getOrderId().isEmpty()) {
            return prepare(request, randomId(), randomId());
        }
        return prepare(
                request,
                request.getOrderId(),
                MessageIds.forClientKey(request.getCustomerId(), request.getOrderId()));
    }

    /** Another record of the same message (SimulateDuplicate): same order id, same message id. */
    public OutgoingOrder prepare(PlaceOrderRequest request, String orderId, String messageId) {
        Instant now = Instant.now();
        OrderEvent.Builder event =
                OrderEvent.newBuilder()
                        .setOrderId(orderId)
                        .setCustomerId(request.getCustomerId())
                        .addAllItems(request.getItemsList())
                        .setTotalAmount(request.getTotalAmount())
                        .setMessageId(messageId)
                        .setProducedAt(
                                Timestamp.newBuilder()
                                        .setSeconds(now.getEpochSecond())
                                        .setNanos(now.getNano()))
                        .setProducerId(podName);
        Span span =
                tracer.spanBuilder(Topics.ORDERS + " publish")
                        .setSpanKind(SpanKind.PRODUCER)
                        .setAttribute("messaging.system", "kafka")
                        .setAttribute("messaging.destination.name", Topics.ORDERS)
                        .setAttribute("messaging.message.id", messageId)
                        .setAttribute("messaging.kafka.message.key", orderId)
                        .startSpan();
        return new OutgoingOrder(
                orderId, messageId, event, traceparent(span.getSpanContext()), span);
    }

    /** W3C trace context, version 00: {@code 00-<trace id>-<span id>-<flags>}. */
    static String traceparent(SpanContext context) {
        return "00-"
                + context.getTraceId()
                + "-"
                + context.getSpanId()
                + "-"
                + context.getTraceFlags().asHex();
    }

    /**
     * A random (version 4) UUID from ThreadLocalRandom: ids only need to be unique, not
     * unguessable, and UUID.randomUUID's shared SecureRandom is a point of contention at 50,000/s.
     */
    static String randomId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }
}

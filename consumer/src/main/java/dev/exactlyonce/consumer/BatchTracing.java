package dev.exactlyonce.consumer;

import dev.exactlyonce.kafka.RecordTraceContext;
import dev.exactlyonce.kafka.Topics;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import jakarta.inject.Singleton;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;

/**
 * The consumer span of a poll batch. It continues the producer's trace from the first record's W3C
 * {@code traceparent} header (a single PlaceOrder shows up as one trace, gRPC call to database
 * commit) and links the other records' traces; the JDBC work runs inside it.
 */
@Singleton
class BatchTracing {

    private static final int MAX_LINKS = 128;

    private final Tracer tracer;

    BatchTracing(OpenTelemetry openTelemetry) {
        this.tracer = openTelemetry.getTracer("exactlyonce.consumer");
    }

    Span start(ConsumerRecords<String, byte[]> records, String mode) {
        SpanBuilder span =
                tracer.spanBuilder(Topics.ORDERS + " process")
                        .setSpanKind(SpanKind.CONSUMER)
                        .setAttribute("messaging.system", "kafka")
                        .setAttribute("messaging.destination.name", Topics.ORDERS)
                        .setAttribute("messaging.batch.message_count", records.count())
                        .setAttribute("exactlyonce.processing_mode", mode);
        boolean parentSet = false;
        int links = 0;
        for (ConsumerRecord<String, byte[]> record : records) {
            if (record.headers().lastHeader(Topics.HEADER_TRACEPARENT) == null) {
                continue;
            }
            Context producer = RecordTraceContext.extract(record.headers());
            SpanContext context = Span.fromContext(producer).getSpanContext();
            if (!context.isValid()) {
                continue;
            }
            if (!parentSet) {
                span.setParent(producer);
                parentSet = true;
            } else if (links++ < MAX_LINKS) {
                span.addLink(context);
            } else {
                break;
            }
        }
        if (!parentSet) {
            span.setNoParent();
        }
        return span.startSpan();
    }
}

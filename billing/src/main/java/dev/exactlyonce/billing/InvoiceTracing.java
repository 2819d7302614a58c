package dev.exactlyonce.billing;

import dev.exactlyonce.kafka.RecordTraceContext;
import dev.exactlyonce.kafka.Topics;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import jakarta.inject.Singleton;
import org.apache.kafka.common.header.Headers;

/**
 * The order's trace continues into its invoice: a span "invoices publish" whose parent is the order
 * record's W3C {@code traceparent}, and whose own context becomes the invoice record's {@code
 * traceparent}. So one PlaceOrder shows up in one trace: gRPC call, order record, invoice record.
 */
@Singleton
class InvoiceTracing {

    private final Tracer tracer;

    InvoiceTracing(OpenTelemetry openTelemetry) {
        this.tracer = openTelemetry.getTracer("exactlyonce.billing");
    }

    /**
     * Writes the invoice's traceparent, a child of the order's (a new trace when the order has
     * none).
     */
    void continueTrace(Headers order, Headers invoice, String processingMode) {
        Context parent = RecordTraceContext.extract(order);
        Span span =
                tracer.spanBuilder(Topics.INVOICES + " publish")
                        .setParent(parent)
                        .setSpanKind(SpanKind.PRODUCER)
                        .setAttribute("messaging.system", "kafka")
                        .setAttribute("messaging.destination.name", Topics.INVOICES)
                        .setAttribute("exactlyonce.processing_mode", processingMode)
                        .startSpan();
        try {
            RecordTraceContext.inject(Context.root().with(span), invoice);
        } finally {
            span.end();
        }
    }
}

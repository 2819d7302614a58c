package dev.exactlyonce.billing;

import dev.exactlyonce.kafka.Topics;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.util.stream.StreamSupport;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The order's trace continues into its invoice: a span "invoices publish" whose parent is the order
 * record's W3C {@code traceparent}, and whose own context becomes the invoice record's {@code
 * traceparent}. So one PlaceOrder shows up in one trace: gRPC call, order record, invoice record.
 */
@Singleton
class InvoiceTracing {

    private static final TextMapGetter<Headers> GET =
            new TextMapGetter<>() {
                @Override
                public Iterable<String> keys(Headers headers) {
                    return StreamSupport.stream(headers.spliterator(), false)
                            .map(Header::key)
                            .toList();
                }

                @Override
                public String get(Headers headers, String key) {
                    Header header = headers == null ? null : headers.lastHeader(key);
                    return header == null || header.value() == null
                            ? null
                            : new String(header.value(), StandardCharsets.UTF_8);
                }
            };
    private static final TextMapSetter<Headers> SET =
            (headers, key, value) -> {
                headers.remove(key);
                headers.add(key, value.getBytes(StandardCharsets.UTF_8));
            };

    private final Tracer tracer;

    InvoiceTracing(OpenTelemetry openTelemetry) {
        this.tracer = openTelemetry.getTracer("exactlyonce.billing");
    }

    /**
     * Writes the invoice's traceparent, a child of the order's (a new trace when the order has
     * none).
     */
    void continueTrace(Headers order, Headers invoice, String processingMode) {
        Context parent =
                W3CTraceContextPropagator.getInstance().extract(Context.root(), order, GET);
        Span span =
                tracer.spanBuilder(Topics.INVOICES + " publish")
                        .setParent(parent)
                        .setSpanKind(SpanKind.PRODUCER)
                        .setAttribute("messaging.system", "kafka")
                        .setAttribute("messaging.destination.name", Topics.INVOICES)
                        .setAttribute("exactlyonce.processing_mode", processingMode)
                        .startSpan();
        try {
            W3CTraceContextPropagator.getInstance().inject(Context.root().with(span), invoice, SET);
        } finally {
            span.end();
        }
    }
}

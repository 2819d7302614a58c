package dev.exactlyonce.kafka;

import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.nio.charset.StandardCharsets;
import java.util.stream.StreamSupport;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * A trace carried across Kafka in a record's W3C {@code traceparent} header ({@link
 * Topics#HEADER_TRACEPARENT}): the producer writes it, the consumer and billing continue the trace
 * from it, billing writes the invoice's.
 */
public final class RecordTraceContext {

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

    private RecordTraceContext() {}

    /** The trace the record's headers carry; an invalid span context when they carry none. */
    public static Context extract(Headers headers) {
        return W3CTraceContextPropagator.getInstance().extract(Context.root(), headers, GET);
    }

    /** Writes {@code context}'s traceparent into {@code headers}, replacing one already there. */
    public static void inject(Context context, Headers headers) {
        W3CTraceContextPropagator.getInstance().inject(context, headers, SET);
    }
}

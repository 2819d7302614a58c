package dev.exactlyonce.lab;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-process OTLP/HTTP trace receiver, the test's stand-in for Jaeger: the services export their
 * spans to it (otel.exporter.otlp.protocol=http/protobuf, POST /v1/traces) and the test reads them.
 * The request is read with protobuf's generic {@link UnknownFieldSet} by the field numbers of
 * opentelemetry-proto's trace.proto, so no generated OTLP classes are needed.
 */
final class OtlpTraceReceiver implements AutoCloseable {

    /** One received span: which service sent it, its trace, name and kind. */
    record ReceivedSpan(String service, String traceId, String name, Kind kind) {}

    /** trace.proto's Span.SpanKind. */
    enum Kind {
        UNSPECIFIED,
        INTERNAL,
        SERVER,
        CLIENT,
        PRODUCER,
        CONSUMER
    }

    private final HttpServer server;
    private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();

    OtlpTraceReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext(
                "/v1/traces",
                exchange -> {
                    try (InputStream body = exchange.getRequestBody()) {
                        spans.addAll(decode(body.readAllBytes()));
                        // an empty ExportTraceServiceResponse: everything accepted
                        exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
                        exchange.sendResponseHeaders(200, -1);
                    } catch (InvalidProtocolBufferException e) {
                        exchange.sendResponseHeaders(400, -1);
                    } finally {
                        exchange.close();
                    }
                });
        server.start();
    }

    /** The endpoint to give the services: OTEL_EXPORTER_OTLP_ENDPOINT. */
    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<ReceivedSpan> spans() {
        return List.copyOf(spans);
    }

    /** ExportTraceServiceRequest: 1 resource_spans → ResourceSpans{1 resource, 2 scope_spans}. */
    static List<ReceivedSpan> decode(byte[] request) throws InvalidProtocolBufferException {
        List<ReceivedSpan> decoded = new CopyOnWriteArrayList<>();
        for (ByteString resourceSpans : lengthDelimited(UnknownFieldSet.parseFrom(request), 1)) {
            UnknownFieldSet resourceSpan = UnknownFieldSet.parseFrom(resourceSpans);
            String service = serviceName(resourceSpan);
            for (ByteString scopeSpans : lengthDelimited(resourceSpan, 2)) {
                // ScopeSpans{1 scope, 2 spans}; Span{1 trace_id, 5 name, 6 kind}
                for (ByteString spanBytes :
                        lengthDelimited(UnknownFieldSet.parseFrom(scopeSpans), 2)) {
                    UnknownFieldSet span = UnknownFieldSet.parseFrom(spanBytes);
                    List<Long> kind =
                            span.hasField(6) ? span.getField(6).getVarintList() : List.of();
                    decoded.add(
                            new ReceivedSpan(
                                    service,
                                    HexFormat.of().formatHex(first(span, 1).toByteArray()),
                                    first(span, 5).toStringUtf8(),
                                    Kind.values()[kind.isEmpty() ? 0 : kind.get(0).intValue()]));
                }
            }
        }
        return decoded;
    }

    /** Resource{1 attributes: KeyValue{1 key, 2 value: AnyValue{1 string_value}}}. */
    private static String serviceName(UnknownFieldSet resourceSpan)
            throws InvalidProtocolBufferException {
        for (ByteString resource : lengthDelimited(resourceSpan, 1)) {
            for (ByteString attribute : lengthDelimited(UnknownFieldSet.parseFrom(resource), 1)) {
                UnknownFieldSet keyValue = UnknownFieldSet.parseFrom(attribute);
                if (first(keyValue, 1).toStringUtf8().equals("service.name")) {
                    return first(UnknownFieldSet.parseFrom(first(keyValue, 2)), 1).toStringUtf8();
                }
            }
        }
        return "";
    }

    private static List<ByteString> lengthDelimited(UnknownFieldSet message, int field) {
        return message.hasField(field)
                ? message.getField(field).getLengthDelimitedList()
                : List.of();
    }

    private static ByteString first(UnknownFieldSet message, int field) {
        List<ByteString> values = lengthDelimited(message, field);
        return values.isEmpty() ? ByteString.EMPTY : values.get(0);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

package dev.exactlyonce.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.GetBillingStatsRequest;
import dev.exactlyonce.grpc.v1.GetConsumerStatsRequest;
import dev.exactlyonce.grpc.v1.GetOrderRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderResponse;
import dev.exactlyonce.lab.OtlpTraceReceiver.Kind;
import dev.exactlyonce.lab.OtlpTraceReceiver.ReceivedSpan;
import dev.exactlyonce.lab.runner.Lab;
import dev.exactlyonce.lab.runner.PipelineClients;
import dev.exactlyonce.lab.runner.SampleOrders;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * One order's trace through the four services, read from an in-process OTLP receiver: the client
 * starts a trace (W3C {@code traceparent}) and places the order, asks the consumer and billing for
 * their stats and the query service for the stored order, all in that trace. Each of the four
 * services must have exported a gRPC SERVER span in it (the platform's {@code GrpcTracing}), and
 * the order's trace must go on through Kafka into the consumer's batch and billing's invoice.
 */
class TracingTest {

    @Test
    void everyServiceJoinsTheCallersTrace() throws Exception {
        try (OtlpTraceReceiver receiver = new OtlpTraceReceiver()) {
            LabFixture fixture = new LabFixture();
            Lab lab =
                    fixture.start(
                            1,
                            1,
                            List.of(
                                    "-Dotel.traces.exporter=otlp",
                                    "-Dotel.exporter.otlp.protocol=http/protobuf",
                                    "-Dotel.exporter.otlp.endpoint=" + receiver.endpoint(),
                                    "-Dotel.bsp.schedule.delay=200"));
            try (lab;
                    PipelineClients clients =
                            new PipelineClients(lab.endpoints(), lab.controlToken())) {
                String traceId = HexFormat.of().formatHex(randomBytes(16));
                Metadata headers = new Metadata();
                headers.put(
                        Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER),
                        "00-" + traceId + "-" + HexFormat.of().formatHex(randomBytes(8)) + "-01");

                PlaceOrderResponse placed =
                        inTrace(clients.producer(), headers)
                                .placeOrder(new SampleOrders("trace").order(1));
                // NOT_FOUND until the consumer stored it
                await().atMost(Duration.ofSeconds(60))
                        .ignoreException(StatusRuntimeException.class)
                        .until(
                                () ->
                                        inTrace(clients.query(), headers)
                                                        .getOrder(
                                                                GetOrderRequest.newBuilder()
                                                                        .setOrderId(
                                                                                placed.getOrderId())
                                                                        .build())
                                                        .getRowsCount()
                                                == 1);
                inTrace(clients.consumer(), headers)
                        .getConsumerStats(GetConsumerStatsRequest.getDefaultInstance());
                inTrace(clients.billing(), headers)
                        .getBillingStats(GetBillingStatsRequest.getDefaultInstance());

                await().atMost(Duration.ofSeconds(30))
                        .untilAsserted(
                                () -> {
                                    List<ReceivedSpan> trace =
                                            receiver.spans().stream()
                                                    .filter(span -> span.traceId().equals(traceId))
                                                    .toList();
                                    assertThat(trace)
                                            .filteredOn(span -> span.kind() == Kind.SERVER)
                                            .extracting(ReceivedSpan::service, ReceivedSpan::name)
                                            .contains(
                                                    tuple(
                                                            "producer",
                                                            "exactlyonce.v1.OrderService/PlaceOrder"),
                                                    tuple(
                                                            "consumer",
                                                            "exactlyonce.v1.ConsumerControl/GetConsumerStats"),
                                                    tuple(
                                                            "billing",
                                                            "exactlyonce.v1.BillingControl/GetBillingStats"),
                                                    tuple(
                                                            "query",
                                                            "exactlyonce.v1.QueryService/GetOrder"));
                                    // through Kafka: the consumer's batch and billing's invoice
                                    assertThat(trace)
                                            .extracting(ReceivedSpan::service, ReceivedSpan::kind)
                                            .contains(
                                                    tuple("consumer", Kind.CONSUMER),
                                                    tuple("billing", Kind.PRODUCER));
                                });
            }
        }
    }

    private static <S extends AbstractStub<S>> S inTrace(S stub, Metadata headers) {
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private static byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        ThreadLocalRandom.current().nextBytes(bytes);
        bytes[0] |= 1; // never all zero (an invalid W3C id)
        return bytes;
    }
}

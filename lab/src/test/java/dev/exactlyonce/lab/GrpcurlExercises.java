package dev.exactlyonce.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.BillingControlGrpc;
import dev.exactlyonce.grpc.v1.ConsumerControlGrpc;
import dev.exactlyonce.grpc.v1.DuplicateStats;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.PlaceOrderBatchResponse;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderResponse;
import dev.exactlyonce.grpc.v1.QueryServiceGrpc;
import dev.exactlyonce.lab.runner.PipelineClients;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * docs/lab.md's "Exercises with grpcurl", sent to a running lab from the docs themselves: the
 * commands of each exercise, as {@link DocumentedGrpcurl} reads them, in their order, each body
 * parsed strictly (an unknown or misspelt field fails), each with exactly the headers the doc shows
 * (the clients are anonymous: a control call the doc shows without its token is refused). What each
 * exercise must show is asserted here; the answers are kept as a transcript
 * (lab/target/grpcurl-exercises.md) for the docs. Not sent: {@code list} (LabUpTest checks
 * reflection) and exercise 5, which crashes the consumer (LabUpTest's {@code kill -9} and the
 * drills do that, asserted).
 */
final class GrpcurlExercises {

    /**
     * The doc's token: {@code $(cat lab-data/control-token)}, the file of {@code lab up --data}.
     */
    private static final Pattern TOKEN_FILE = Pattern.compile("\\$\\(cat [^)]*control-token\\)");

    private final PipelineClients anonymous;
    private final Path controlTokenFile;
    private final List<String> transcript = new ArrayList<>();

    /**
     * @param anonymous clients without a token: a call carries only the headers its doc line shows
     * @param controlTokenFile the running lab's token file, read where the doc says {@code $(cat
     *     lab-data/control-token)}
     */
    GrpcurlExercises(PipelineClients anonymous, Path controlTokenFile) {
        this.anonymous = anonymous;
        this.controlTokenFile = controlTokenFile;
    }

    void runAll(Path out) throws IOException {
        // 1. exactly-once by default (as the lab is left by LabUpTest)
        PlaceOrderResponse placed = exercise(1).only(PlaceOrderResponse.class);
        assertThat(placed.getStatus()).isEqualTo("COMMITTED");
        assertThat(placed.getTransactional()).isTrue();

        // 2. at-least-once without idempotency: an order and one sent three times, all stored
        Responses atLeastOnce = exercise(2);
        AuditResponse withDuplicates = atLeastOnce.only(AuditResponse.class);
        assertThat(withDuplicates.getDuplicated())
                .as("idempotency off: the copies are stored")
                .isEqualTo(2);
        assertThat(withDuplicates.getStoredRows()).isEqualTo(4);
        assertThat(withDuplicates.getStoredDistinct()).isEqualTo(2);
        assertThat(withDuplicates.getLost()).isZero();
        DuplicateStats duplicates = atLeastOnce.only(DuplicateStats.class);
        assertThat(duplicates.getExactlyOnceHolds()).isFalse();
        assertThat(duplicates.getDuplicatesList())
                .singleElement()
                .satisfies(d -> assertThat(d.getCount()).isEqualTo(3));

        // 3. idempotency on: the copies are skipped
        AuditResponse deduplicated = exercise(3).only(AuditResponse.class);
        assertThat(deduplicated.getDuplicated())
                .as("idempotency on: the copies are skipped")
                .isZero();
        assertThat(deduplicated.getStoredRows()).isEqualTo(1);
        assertThat(deduplicated.getVerdict()).isEqualTo("EXACTLY_ONCE");

        // 4. exactly-once and an atomic batch
        PlaceOrderBatchResponse batch = exercise(4).only(PlaceOrderBatchResponse.class);
        assertThat(batch.getOrdersList())
                .hasSize(2)
                .allSatisfy(o -> assertThat(o.getStatus()).isEqualTo("COMMITTED"));
        assertThat(batch.getBatchId()).isNotEmpty();

        // 6. the modes side by side, stats and lag: every read answers
        assertThat(exercise(6).all()).hasSize(5);

        // 7. idempotency keys (exactly-once): a retry with the same order_id is stored once; the
        // same key reused for another order is refused and reported as a key conflict; a key
        // belongs to its customer: the same order_id from another customer is another order
        Responses keys = exercise(7);
        List<PlaceOrderResponse> orders = keys.of(PlaceOrderResponse.class);
        assertThat(orders).hasSize(4);
        assertThat(orders.subList(0, 3))
                .as("the message id follows the key")
                .extracting(PlaceOrderResponse::getMessageId)
                .containsOnly(orders.get(0).getMessageId());
        assertThat(orders.get(3).getMessageId()).isNotEqualTo(orders.get(0).getMessageId());
        AuditResponse keyed = keys.only(AuditResponse.class);
        assertThat(keyed.getStoredRows())
                .as("the retry absorbed, the reused key refused, the other customer's stored")
                .isEqualTo(2);
        assertThat(keyed.getKeyConflicts()).isEqualTo(1);
        assertThat(keyed.getLost()).isZero();
        // a reused key is named: the window is not exactly once (Audit's verdict grammar,
        // query.proto)
        assertThat(keyed.getVerdict()).isEqualTo("STORED_ONCE_EXCEPT (1 key conflict)");
        assertThat(keys.only(DuplicateStats.class).getConflictsList())
                .singleElement()
                .satisfies(c -> assertThat(c.getTotalAmount()).isEqualTo(5.5));

        // 8. hostile input: refused at the edge, naming the field and the rule
        DocumentedGrpcurl hostile = single(DocumentedGrpcurl.labExercise(8));
        PlaceOrderRequest.Builder nul = PlaceOrderRequest.newBuilder();
        JsonFormat.parser().merge(hostile.body(), nul);
        assertThat(nul.getItems(0).getName()).contains("\u0000");
        StatusRuntimeException refused =
                catchThrowableOfType(StatusRuntimeException.class, () -> send(hostile));
        assertThat(refused).as(hostile.location() + " is refused").isNotNull();
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(refused.getStatus().getDescription())
                .isEqualTo(
                        "items[0].name: must not contain control characters, got U+0000 at character 3");
        transcript.add(hostile.text());
        transcript.add(
                "    "
                        + refused.getStatus().getCode()
                        + ": "
                        + refused.getStatus().getDescription());
        Files.createDirectories(out.getParent());
        Files.write(out, transcript);
    }

    /** The answers of one exercise's calls, in the doc's order. */
    private record Responses(List<Message> all) {

        <T extends Message> List<T> of(Class<T> type) {
            return all.stream().filter(type::isInstance).map(type::cast).toList();
        }

        <T extends Message> T only(Class<T> type) {
            List<T> of = of(type);
            assertThat(of).as("answers of type " + type.getSimpleName()).hasSize(1);
            return of.get(0);
        }
    }

    /** Sends the calls of docs/lab.md's exercise {@code n}, each must succeed. */
    private Responses exercise(int n) throws IOException {
        List<Message> responses = new ArrayList<>();
        for (DocumentedGrpcurl command : DocumentedGrpcurl.labExercise(n)) {
            if (command.method() == null) {
                continue; // list, describe
            }
            Message response;
            try {
                response = send(command);
            } catch (StatusRuntimeException e) {
                throw new AssertionError(command + "\n  answered " + e.getStatus(), e);
            }
            transcript.add(command.text());
            transcript.add("```json");
            transcript.add(JsonFormat.printer().preservingProtoFieldNames().print(response));
            transcript.add("```");
            responses.add(response);
        }
        return new Responses(List.copyOf(responses));
    }

    @SuppressWarnings("unchecked")
    private Message send(DocumentedGrpcurl command) throws IOException {
        MethodDescriptor<Message, Message> method =
                (MethodDescriptor<Message, Message>)
                        GrpcContract.method(command.method())
                                .orElseThrow(
                                        () ->
                                                new AssertionError(
                                                        command
                                                                + ": no such method in the contract"));
        Message request = single(GrpcContract.requests(method, command.body()));
        AbstractStub<?> stub =
                stub(command.service())
                        .withInterceptors(
                                MetadataUtils.newAttachHeadersInterceptor(headers(command)));
        return ClientCalls.blockingUnaryCall(
                stub.getChannel(), method, stub.getCallOptions(), request);
    }

    private AbstractStub<?> stub(String service) {
        return switch (service) {
            case OrderServiceGrpc.SERVICE_NAME -> anonymous.producer();
            case ConsumerControlGrpc.SERVICE_NAME -> anonymous.consumer();
            case BillingControlGrpc.SERVICE_NAME -> anonymous.billing();
            case QueryServiceGrpc.SERVICE_NAME -> anonymous.query();
            default -> throw new AssertionError("no client for " + service);
        };
    }

    /** The doc's {@code -H} headers, the token file read where the doc reads it. */
    private Metadata headers(DocumentedGrpcurl command) throws IOException {
        Metadata metadata = new Metadata();
        for (String header : command.headers()) {
            int colon = header.indexOf(':');
            assertThat(colon).as(command + ": header " + header).isPositive();
            String value = header.substring(colon + 1).strip();
            Matcher file = TOKEN_FILE.matcher(value);
            if (file.find()) {
                value =
                        value.substring(0, file.start())
                                + Files.readString(controlTokenFile).strip()
                                + value.substring(file.end());
            }
            assertThat(value).as(command + ": header " + header).doesNotContain("$");
            metadata.put(
                    Metadata.Key.of(
                            header.substring(0, colon).strip(), Metadata.ASCII_STRING_MARSHALLER),
                    value);
        }
        return metadata;
    }

    private static <T> T single(List<T> list) {
        assertThat(list).hasSize(1);
        return list.get(0);
    }
}

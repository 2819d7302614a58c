package dev.exactlyonce.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.exactlyonce.grpc.v1.AuditRequest;
import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.CompareSemanticsRequest;
import dev.exactlyonce.grpc.v1.DuplicateStats;
import dev.exactlyonce.grpc.v1.GetDuplicateStatsRequest;
import dev.exactlyonce.grpc.v1.GetStatsRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderBatchRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderResponse;
import dev.exactlyonce.grpc.v1.ResetRequest;
import dev.exactlyonce.grpc.v1.SimulateDuplicateRequest;
import dev.exactlyonce.grpc.v1.UpdateConsumerConfigRequest;
import dev.exactlyonce.grpc.v1.UpdateProducerConfigRequest;
import dev.exactlyonce.lab.runner.PipelineClients;
import dev.exactlyonce.server.RpcClass;
import dev.exactlyonce.server.RpcClasses;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The README's "Lab exercises": each grpcurl body, parsed strictly from the very JSON the README
 * shows (an unknown or misspelt field fails), sent to the running lab, and the answer kept as a
 * transcript (lab/target/grpcurl-exercises.md) for the README.
 */
final class GrpcurlExercises {

    static final String ORDER =
            "{\"customer_id\":\"cust-001\",\"items\":[{\"name\":\"Widget\",\"quantity\":2,\"price\":19.99}],\"total_amount\":39.98}";
    static final String DUPLICATE =
            "{\"order\":{\"customer_id\":\"cust-002\",\"items\":[{\"name\":\"Gadget\",\"quantity\":1,\"price\":5.5}],\"total_amount\":5.5},\"copies\":3}";
    static final String KEYED =
            "{\"order_id\":\"order-1001\",\"customer_id\":\"cust-001\",\"items\":[{\"name\":\"Widget\",\"quantity\":2,\"price\":19.99}],\"total_amount\":39.98}";
    static final String REUSED =
            "{\"order_id\":\"order-1001\",\"customer_id\":\"cust-001\",\"items\":[{\"name\":\"Gadget\",\"quantity\":1,\"price\":5.5}],\"total_amount\":5.5}";
    static final String OTHER_CUSTOMER =
            "{\"order_id\":\"order-1001\",\"customer_id\":\"cust-002\",\"items\":[{\"name\":\"Gadget\",\"quantity\":1,\"price\":5.5}],\"total_amount\":5.5}";
    static final String HOSTILE =
            "{\"customer_id\":\"cust-001\",\"items\":[{\"name\":\"Wid\\u0000get\",\"quantity\":1,\"price\":1}],\"total_amount\":1}";
    static final String BATCH =
            "{\"orders\":["
                    + ORDER
                    + ",{\"customer_id\":\"cust-003\",\"items\":[{\"name\":\"Gizmo\",\"quantity\":3,\"price\":2.5}],\"total_amount\":7.5}]}";

    /**
     * The header of every control call, as the cheat sheet prints it for {@code lab up --data
     * lab-data}.
     */
    static final String TOKEN_HEADER =
            "-H \"authorization: Bearer $(cat lab-data/control-token)\" ";

    private final PipelineClients clients;
    private final List<String> transcript = new ArrayList<>();

    GrpcurlExercises(PipelineClients clients) {
        this.clients = clients;
    }

    void runAll(Path out) throws IOException {
        call(
                "OrderService/UpdateProducerConfig",
                "{\"delivery_mode\":\"AT_LEAST_ONCE\"}",
                UpdateProducerConfigRequest.getDefaultInstance(),
                r -> clients.producer().updateProducerConfig(r));
        call(
                "ConsumerControl/UpdateConsumerConfig",
                "{\"processing_mode\":\"AT_LEAST_ONCE\",\"enable_idempotency\":false}",
                UpdateConsumerConfigRequest.getDefaultInstance(),
                r -> clients.consumer().updateConsumerConfig(r));
        call(
                "QueryService/Reset",
                "{}",
                ResetRequest.getDefaultInstance(),
                r -> clients.query().reset(r));
        call(
                "OrderService/PlaceOrder",
                ORDER,
                PlaceOrderRequest.getDefaultInstance(),
                r -> clients.producer().placeOrder(r));
        call(
                "OrderService/SimulateDuplicate",
                DUPLICATE,
                SimulateDuplicateRequest.getDefaultInstance(),
                r -> clients.producer().simulateDuplicate(r));
        AuditResponse withDuplicates =
                call(
                        "QueryService/Audit",
                        "{\"wait_seconds\":30,\"acknowledged\":2}",
                        AuditRequest.getDefaultInstance(),
                        r -> clients.query().audit(r));
        assertThat(withDuplicates.getDuplicated())
                .as("idempotency off: the copies are stored")
                .isEqualTo(2);
        assertThat(withDuplicates.getLost()).isZero();
        DuplicateStats duplicates =
                call(
                        "QueryService/GetDuplicateStats",
                        "{}",
                        GetDuplicateStatsRequest.getDefaultInstance(),
                        r -> clients.query().getDuplicateStats(r));
        assertThat(duplicates.getExactlyOnceHolds()).isFalse();

        call(
                "ConsumerControl/UpdateConsumerConfig",
                "{\"enable_idempotency\":true}",
                UpdateConsumerConfigRequest.getDefaultInstance(),
                r -> clients.consumer().updateConsumerConfig(r));
        call(
                "QueryService/Reset",
                "{}",
                ResetRequest.getDefaultInstance(),
                r -> clients.query().reset(r));
        call(
                "OrderService/SimulateDuplicate",
                DUPLICATE,
                SimulateDuplicateRequest.getDefaultInstance(),
                r -> clients.producer().simulateDuplicate(r));
        AuditResponse deduplicated =
                call(
                        "QueryService/Audit",
                        "{\"wait_seconds\":30,\"acknowledged\":1}",
                        AuditRequest.getDefaultInstance(),
                        r -> clients.query().audit(r));
        assertThat(deduplicated.getDuplicated())
                .as("idempotency on: the copies are skipped")
                .isZero();
        assertThat(deduplicated.getVerdict()).isEqualTo("EXACTLY_ONCE");

        call(
                "OrderService/UpdateProducerConfig",
                "{\"delivery_mode\":\"EXACTLY_ONCE\",\"enable_transactions\":true}",
                UpdateProducerConfigRequest.getDefaultInstance(),
                r -> clients.producer().updateProducerConfig(r));
        call(
                "ConsumerControl/UpdateConsumerConfig",
                "{\"processing_mode\":\"EXACTLY_ONCE\",\"enable_idempotency\":true}",
                UpdateConsumerConfigRequest.getDefaultInstance(),
                r -> clients.consumer().updateConsumerConfig(r));
        call(
                "OrderService/PlaceOrderBatch",
                BATCH,
                PlaceOrderBatchRequest.getDefaultInstance(),
                r -> clients.producer().placeOrderBatch(r));
        call(
                "QueryService/GetStats",
                "{}",
                GetStatsRequest.getDefaultInstance(),
                r -> clients.query().getStats(r));
        call(
                "QueryService/CompareSemantics",
                "{}",
                CompareSemanticsRequest.getDefaultInstance(),
                r -> clients.query().compareSemantics(r));

        // idempotency keys (exactly-once): a retry with the same order_id is stored once; the same
        // key
        // reused for another order is refused and reported as a key conflict
        call(
                "QueryService/Reset",
                "{}",
                ResetRequest.getDefaultInstance(),
                r -> clients.query().reset(r));
        PlaceOrderResponse first =
                call(
                        "OrderService/PlaceOrder",
                        KEYED,
                        PlaceOrderRequest.getDefaultInstance(),
                        r -> clients.producer().placeOrder(r));
        PlaceOrderResponse retry =
                call(
                        "OrderService/PlaceOrder",
                        KEYED,
                        PlaceOrderRequest.getDefaultInstance(),
                        r -> clients.producer().placeOrder(r));
        assertThat(retry.getMessageId())
                .as("the message id follows the key")
                .isEqualTo(first.getMessageId());
        call(
                "OrderService/PlaceOrder",
                REUSED,
                PlaceOrderRequest.getDefaultInstance(),
                r -> clients.producer().placeOrder(r));
        // a key belongs to its customer: the same order_id from another customer is another order
        PlaceOrderResponse other =
                call(
                        "OrderService/PlaceOrder",
                        OTHER_CUSTOMER,
                        PlaceOrderRequest.getDefaultInstance(),
                        r -> clients.producer().placeOrder(r));
        assertThat(other.getMessageId()).isNotEqualTo(first.getMessageId());
        AuditResponse keyed =
                call(
                        "QueryService/Audit",
                        "{\"wait_seconds\":30,\"acknowledged\":3}",
                        AuditRequest.getDefaultInstance(),
                        r -> clients.query().audit(r));
        assertThat(keyed.getStoredRows())
                .as("the retry absorbed, the reused key refused, the other customer's stored")
                .isEqualTo(2);
        assertThat(keyed.getKeyConflicts()).isEqualTo(1);
        assertThat(keyed.getLost()).isZero();
        // a reused key is named: the window is not exactly once (Audit's verdict grammar,
        // query.proto)
        assertThat(keyed.getVerdict()).isEqualTo("STORED_ONCE_EXCEPT (1 key conflict)");
        DuplicateStats conflicts =
                call(
                        "QueryService/GetDuplicateStats",
                        "{}",
                        GetDuplicateStatsRequest.getDefaultInstance(),
                        r -> clients.query().getDuplicateStats(r));
        assertThat(conflicts.getConflictsList())
                .singleElement()
                .satisfies(c -> assertThat(c.getTotalAmount()).isEqualTo(5.5));
        // hostile input: refused at the edge, naming the field and the rule
        PlaceOrderRequest.Builder hostile = PlaceOrderRequest.newBuilder();
        JsonFormat.parser().merge(HOSTILE, hostile);
        assertThat(hostile.getItems(0).getName()).contains("\u0000");
        StatusRuntimeException refused =
                catchThrowableOfType(
                        StatusRuntimeException.class,
                        () -> clients.producer().placeOrder(hostile.build()));
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(refused.getStatus().getDescription())
                .isEqualTo(
                        "items[0].name: must not contain control characters, got U+0000 at character 3");
        transcript.add(
                "grpcurl -plaintext -d '"
                        + HOSTILE
                        + "' 127.0.0.1:8000 exactlyonce.v1.OrderService/PlaceOrder");
        transcript.add(
                "    "
                        + refused.getStatus().getCode()
                        + ": "
                        + refused.getStatus().getDescription());
        Files.createDirectories(out.getParent());
        Files.write(out, transcript);
    }

    @SuppressWarnings("unchecked")
    private <Q extends Message, R extends Message> R call(
            String method, String json, Q type, Function<Q, R> send) throws IOException {
        Message.Builder request = type.toBuilder();
        JsonFormat.parser().merge(json, request);
        R response = send.apply((Q) request.build());
        String port =
                method.startsWith("OrderService")
                        ? "8000"
                        : method.startsWith("ConsumerControl") ? "8001" : "8003";
        String token =
                RpcClasses.of("exactlyonce.v1." + method) == RpcClass.CONTROL ? TOKEN_HEADER : "";
        transcript.add(
                "grpcurl -plaintext "
                        + token
                        + "-d '"
                        + json
                        + "' 127.0.0.1:"
                        + port
                        + " exactlyonce.v1."
                        + method);
        transcript.add("```json");
        transcript.add(JsonFormat.printer().preservingProtoFieldNames().print(response));
        transcript.add("```");
        return response;
    }
}

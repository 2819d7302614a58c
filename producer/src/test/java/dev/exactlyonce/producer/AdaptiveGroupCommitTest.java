package dev.exactlyonce.producer;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.GetProducerStatsRequest;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.PlaceOrderResponse;
import dev.exactlyonce.grpc.v1.ProducerStats;
import dev.exactlyonce.grpc.v1.UpdateProducerConfigRequest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The adaptive group commit ({@code app.producer.group-commit-adaptive=true}, see GroupCommitter):
 * a transaction takes calls only while another lane is committing, and at most {@code
 * group_commit_max_ms} — set here to {@value #WINDOW_MS} ms, for which the window rule holds every
 * transaction open.
 */
@MicronautTest
class AdaptiveGroupCommitTest extends ProducerServiceTestSupport {

    static final int WINDOW_MS = 10_000;

    @Override
    public Map<String, String> getProperties() {
        Map<String, String> properties = new HashMap<>(super.getProperties());
        properties.put("app.producer.group-commit-adaptive", "true");
        return properties;
    }

    @BeforeEach
    void exactlyOnceWithALongWindow() {
        orders.updateProducerConfig(
                UpdateProducerConfigRequest.newBuilder()
                        .setDeliveryMode(DeliveryMode.EXACTLY_ONCE)
                        .setEnableTransactions(true)
                        .setGroupCommitMaxRecords(1000)
                        .setGroupCommitMaxMs(WINDOW_MS)
                        .build());
    }

    @Test
    void aLoneCallIsCommittedAtOnceNotAfterTheWindow() {
        // nothing else commits: nothing to wait for (the window rule would answer after 10 s)
        PlaceOrderResponse response =
                orders.withDeadlineAfter(WINDOW_MS / 2, TimeUnit.MILLISECONDS)
                        .placeOrder(Orders.valid("adaptive-lone"));

        assertThat(response.getStatus()).isEqualTo("COMMITTED");
    }

    @Test
    void callsArrivingWhileATransactionCommitsShareTheNextOne() throws Exception {
        OrderServiceGrpc.OrderServiceFutureStub async = OrderServiceGrpc.newFutureStub(channel);
        ProducerStats before =
                orders.getProducerStats(GetProducerStatsRequest.getDefaultInstance());
        List<ListenableFuture<PlaceOrderResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            calls.add(async.placeOrder(Orders.valid("adaptive-concurrent")));
        }
        List<PlaceOrderResponse> responses = new ArrayList<>();
        for (ListenableFuture<PlaceOrderResponse> call : calls) {
            responses.add(call.get(WINDOW_MS / 2, TimeUnit.MILLISECONDS));
        }
        ProducerStats after = orders.getProducerStats(GetProducerStatsRequest.getDefaultInstance());

        assertThat(responses).allSatisfy(r -> assertThat(r.getStatus()).isEqualTo("COMMITTED"));
        long transactions = after.getTransactionsCommitted() - before.getTransactionsCommitted();
        // fewer transactions than calls: calls that queued behind a commit went together
        assertThat(transactions).isBetween(1L, 250L);
        assertThat(responses.stream().map(PlaceOrderResponse::getBatchId).distinct().count())
                .isEqualTo(transactions);
    }
}

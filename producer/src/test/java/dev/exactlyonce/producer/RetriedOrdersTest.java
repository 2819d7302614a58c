package dev.exactlyonce.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.GetProducerStatsRequest;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.PlaceOrderBatchRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderBatchResponse;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderResponse;
import dev.exactlyonce.grpc.v1.ProducerStats;
import dev.exactlyonce.grpc.v1.StreamOrdersResponse;
import dev.exactlyonce.grpc.v1.UpdateProducerConfigRequest;
import dev.exactlyonce.kafka.MessageIds;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.testkit.TestInfrastructure;
import io.grpc.stub.StreamObserver;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A client retrying with the same order ids, against the real broker: every attempt's record
 * carries the message id derived from the order id (in the event and the message-id header), so the
 * consumer's dedup sees a retry for what it is. Whether it is then stored once is the consumer's
 * part (IdempotencyKeysTest there).
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RetriedOrdersTest extends ProducerServiceTestSupport {

    OrdersTopic committed;

    @BeforeAll
    void useExactlyOnce() {
        orders = orders.withDeadlineAfter(60, TimeUnit.SECONDS);
        committed = new OrdersTopic(TestInfrastructure.shared().bootstrapServers(), true);
        orders.updateProducerConfig(
                UpdateProducerConfigRequest.newBuilder()
                        .setDeliveryMode(DeliveryMode.EXACTLY_ONCE)
                        .setEnableTransactions(true)
                        .build());
    }

    @AfterAll
    void closeTopic() {
        committed.close();
    }

    private static PlaceOrderRequest keyed(String orderId) {
        return Orders.valid("cust-retry").toBuilder().setOrderId(orderId).build();
    }

    @Test
    void placeOrderTwiceWithTheSameKeyWritesTwoRecordsOfOneMessageId() {
        String orderId = "retry-" + UUID.randomUUID();
        Map<TopicPartition, Long> start = committed.end();

        PlaceOrderResponse first = orders.placeOrder(keyed(orderId));
        PlaceOrderResponse retry = orders.placeOrder(keyed(orderId));

        String expected = MessageIds.forClientKey("cust-retry", orderId);
        assertThat(first.getMessageId()).isEqualTo(expected);
        assertThat(retry.getMessageId()).isEqualTo(expected);
        List<ConsumerRecord<String, OrderEvent>> written = recordsOf(start, orderId, 2);
        assertThat(written)
                .allSatisfy(
                        r -> {
                            assertThat(r.value().getMessageId()).isEqualTo(expected);
                            assertThat(OrdersTopic.header(r, Topics.HEADER_MESSAGE_ID))
                                    .isEqualTo(expected);
                        });
    }

    @Test
    void aRetriedOrderAcknowledgedTwiceCountsAsOneAcknowledgedOrder() {
        String orderId = "retry-count-" + UUID.randomUUID();
        ProducerStats before =
                orders.getProducerStats(GetProducerStatsRequest.getDefaultInstance());

        orders.placeOrder(keyed(orderId));
        orders.placeOrder(keyed(orderId));
        orders.placeOrderBatch(
                PlaceOrderBatchRequest.newBuilder()
                        .addOrders(keyed(orderId))
                        .addOrders(keyed(orderId + "-other"))
                        .build());

        ProducerStats after = orders.getProducerStats(GetProducerStatsRequest.getDefaultInstance());
        // four acknowledged calls' orders, two distinct orders: the audit compares this with
        // distinct stored orders
        assertThat(after.getAcknowledged() - before.getAcknowledged()).isEqualTo(2);
    }

    @Test
    void aRetriedBatchCarriesEachOrdersMessageIdAgain() {
        String prefix = "batch-retry-" + UUID.randomUUID().toString().substring(0, 8);
        PlaceOrderBatchRequest batch =
                PlaceOrderBatchRequest.newBuilder()
                        .addOrders(keyed(prefix + "-a"))
                        .addOrders(keyed(prefix + "-b"))
                        .addOrders(keyed(prefix + "-c"))
                        .build();

        PlaceOrderBatchResponse first = orders.placeOrderBatch(batch);
        PlaceOrderBatchResponse retry = orders.placeOrderBatch(batch);

        assertThat(retry.getBatchId()).isNotEqualTo(first.getBatchId());
        assertThat(retry.getOrdersList())
                .extracting(PlaceOrderResponse::getMessageId)
                .containsExactlyElementsOf(
                        first.getOrdersList().stream()
                                .map(PlaceOrderResponse::getMessageId)
                                .toList())
                .containsExactly(
                        MessageIds.forClientKey("cust-retry", prefix + "-a"),
                        MessageIds.forClientKey("cust-retry", prefix + "-b"),
                        MessageIds.forClientKey("cust-retry", prefix + "-c"));
    }

    @Test
    void aStreamWithRepeatedKeysWritesOneMessageIdPerKey() throws Exception {
        String prefix = "stream-retry-" + UUID.randomUUID().toString().substring(0, 8);
        Map<TopicPartition, Long> start = committed.end();
        CompletableFuture<StreamOrdersResponse> summary = new CompletableFuture<>();
        StreamObserver<PlaceOrderRequest> stream =
                OrderServiceGrpc.newStub(channel)
                        .withDeadlineAfter(60, TimeUnit.SECONDS)
                        .streamOrders(OrderServiceTest.observer(summary));
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 10; i++) {
                stream.onNext(keyed(prefix + "-" + i));
            }
        }
        stream.onCompleted();

        assertThat(summary.get(60, TimeUnit.SECONDS).getAccepted()).isEqualTo(30);
        List<ConsumerRecord<String, OrderEvent>> written = recordsWithPrefix(start, prefix, 30);
        Map<String, List<String>> messageIdsByOrder =
                written.stream()
                        .collect(
                                Collectors.groupingBy(
                                        r -> r.value().getOrderId(),
                                        Collectors.mapping(
                                                r -> r.value().getMessageId(),
                                                Collectors.toList())));
        assertThat(messageIdsByOrder)
                .hasSize(10)
                .allSatisfy(
                        (orderId, messageIds) ->
                                assertThat(messageIds)
                                        .hasSize(3)
                                        .containsOnly(
                                                MessageIds.forClientKey("cust-retry", orderId)));
    }

    @Test
    void aKeyBelongsToItsCustomerTheSameOrderIdFromAnotherIsAnotherOrder() {
        String orderId = "shared-" + UUID.randomUUID();
        PlaceOrderResponse first =
                orders.placeOrder(Orders.valid("cust-a").toBuilder().setOrderId(orderId).build());
        PlaceOrderResponse other =
                orders.placeOrder(Orders.valid("cust-b").toBuilder().setOrderId(orderId).build());

        assertThat(first.getMessageId()).isEqualTo(MessageIds.forClientKey("cust-a", orderId));
        assertThat(other.getMessageId())
                .isEqualTo(MessageIds.forClientKey("cust-b", orderId))
                .isNotEqualTo(first.getMessageId());
    }

    @Test
    void aBatchMayRepeatAnOrderUnderItsKeyButNotUseTheKeyForAnother() {
        String orderId = "same-twice-" + UUID.randomUUID();
        PlaceOrderBatchResponse batch =
                orders.placeOrderBatch(
                        PlaceOrderBatchRequest.newBuilder()
                                .addOrders(keyed(orderId))
                                .addOrders(keyed(orderId))
                                .addOrders(
                                        Orders.valid("cust-other").toBuilder().setOrderId(orderId))
                                .build());

        assertThat(batch.getOrdersList())
                .extracting(PlaceOrderResponse::getMessageId)
                .containsExactly(
                        MessageIds.forClientKey("cust-retry", orderId),
                        MessageIds.forClientKey("cust-retry", orderId),
                        MessageIds.forClientKey("cust-other", orderId));
    }

    @Test
    void withoutAKeyEveryCallIsANewOrderWithItsOwnMessageId() {
        PlaceOrderResponse first = orders.placeOrder(Orders.valid("cust-retry"));
        PlaceOrderResponse second = orders.placeOrder(Orders.valid("cust-retry"));

        assertThat(second.getOrderId()).isNotEqualTo(first.getOrderId());
        assertThat(second.getMessageId()).isNotEqualTo(first.getMessageId());
    }

    private List<ConsumerRecord<String, OrderEvent>> recordsOf(
            Map<TopicPartition, Long> start, String orderId, int count) {
        return await().atMost(Duration.ofSeconds(30))
                .until(
                        () ->
                                committed.readFrom(start).stream()
                                        .filter(r -> r.value().getOrderId().equals(orderId))
                                        .toList(),
                        found -> found.size() == count);
    }

    private List<ConsumerRecord<String, OrderEvent>> recordsWithPrefix(
            Map<TopicPartition, Long> start, String prefix, int count) {
        return await().atMost(Duration.ofSeconds(30))
                .until(
                        () ->
                                committed.readFrom(start).stream()
                                        .filter(r -> r.value().getOrderId().startsWith(prefix))
                                        .toList(),
                        found -> found.size() == count);
    }
}

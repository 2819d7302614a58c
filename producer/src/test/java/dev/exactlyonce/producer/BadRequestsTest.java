package dev.exactlyonce.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.GetProducerConfigRequest;
import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.PlaceOrderBatchRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.grpc.v1.ProducerConfig;
import dev.exactlyonce.grpc.v1.SimulateDuplicateRequest;
import dev.exactlyonce.grpc.v1.UpdateProducerConfigRequest;
import dev.exactlyonce.testkit.TestInfrastructure;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad requests are refused with the status and the field named, and nothing reaches the topic or
 * the settings.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadRequestsTest extends ProducerServiceTestSupport {

    OrdersTopic topic;

    @BeforeAll
    void openTopic() {
        topic = new OrdersTopic(TestInfrastructure.shared().bootstrapServers(), false);
    }

    @AfterAll
    void closeTopic() {
        topic.close();
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                placeOrder("empty customer_id", o -> o.setCustomerId(""), "customer_id"),
                placeOrder(
                        "customer_id of 65 characters",
                        o -> o.setCustomerId("c".repeat(65)),
                        "customer_id"),
                placeOrder("no items", o -> o.clearItems().setTotalAmount(0), "items"),
                placeOrder("101 items", BadRequestsTest::hundredAndOneItems, "items"),
                placeOrder(
                        "empty item name",
                        o -> o.setItems(0, o.getItems(0).toBuilder().setName("")),
                        "items[0].name"),
                placeOrder(
                        "item name of 201 characters",
                        o -> o.setItems(0, o.getItems(0).toBuilder().setName("n".repeat(201))),
                        "items[0].name"),
                placeOrder(
                        "quantity 0",
                        o -> o.setItems(0, o.getItems(0).toBuilder().setQuantity(0)),
                        "items[0].quantity"),
                placeOrder(
                        "quantity 10001",
                        o -> o.setItems(0, o.getItems(0).toBuilder().setQuantity(10_001)),
                        "items[0].quantity"),
                placeOrder(
                        "negative price",
                        o -> o.setItems(0, o.getItems(0).toBuilder().setPrice(-1)),
                        "items[0].price"),
                placeOrder(
                        "NaN price",
                        o -> o.setItems(0, o.getItems(0).toBuilder().setPrice(Double.NaN)),
                        "items[0].price"),
                placeOrder(
                        "infinite price",
                        o ->
                                o.setItems(
                                        0,
                                        o.getItems(0).toBuilder()
                                                .setPrice(Double.POSITIVE_INFINITY)),
                        "items[0].price"),
                placeOrder(
                        "price with 3 decimals",
                        o -> o.setItems(0, o.getItems(0).toBuilder().setPrice(19.999)),
                        "items[0].price"),
                placeOrder(
                        "second item broken",
                        o -> o.setItems(1, o.getItems(1).toBuilder().setQuantity(-3)),
                        "items[1].quantity"),
                placeOrder("total off by a cent", o -> o.setTotalAmount(45.49), "total_amount"),
                placeOrder("NaN total", o -> o.setTotalAmount(Double.NaN), "total_amount"),
                placeOrder("order_id with a space", o -> o.setOrderId("order 1"), "order_id"),
                placeOrder("order_id with a slash", o -> o.setOrderId("a/b"), "order_id"),
                placeOrder(
                        "order_id of 65 characters", o -> o.setOrderId("o".repeat(65)), "order_id"),
                placeOrder(
                        "a NUL in an item name",
                        o -> o.setItems(0, o.getItems(0).toBuilder().setName("Wid\u0000get")),
                        "items[0].name"),
                placeOrder(
                        "a NUL in customer_id",
                        o -> o.setCustomerId("cust\u0000001"),
                        "customer_id"),
                placeOrder(
                        "terminal escapes in an item name",
                        o ->
                                o.setItems(
                                        0,
                                        o.getItems(0).toBuilder().setName("\u0007\u001b[31mred")),
                        "items[0].name"),
                placeOrder(
                        "a total of 1e15",
                        o ->
                                o.clearItems()
                                        .addItems(
                                                OrderItem.newBuilder()
                                                        .setName("n")
                                                        .setQuantity(1)
                                                        .setPrice(1e15))
                                        .setTotalAmount(1e15),
                        "items[0].price"),
                placeOrder(
                        "a total of 0.015 for one item at 0.01",
                        o ->
                                o.clearItems()
                                        .addItems(
                                                OrderItem.newBuilder()
                                                        .setName("n")
                                                        .setQuantity(1)
                                                        .setPrice(0.01))
                                        .setTotalAmount(0.015),
                        "total_amount"),
                Arguments.of(
                        "PlaceOrderBatch: one key for two different orders",
                        call(
                                s ->
                                        s.placeOrderBatch(
                                                PlaceOrderBatchRequest.newBuilder()
                                                        .addOrders(
                                                                Orders.valid("c1").toBuilder()
                                                                        .setOrderId("k-1"))
                                                        .addOrders(
                                                                Orders.valid("c1").toBuilder()
                                                                        .setOrderId("k-1")
                                                                        .clearItems()
                                                                        .addItems(
                                                                                OrderItem
                                                                                        .newBuilder()
                                                                                        .setName(
                                                                                                "Other")
                                                                                        .setQuantity(
                                                                                                1)
                                                                                        .setPrice(
                                                                                                1))
                                                                        .setTotalAmount(1))
                                                        .build())),
                        Status.Code.INVALID_ARGUMENT,
                        "orders[1].order_id"),
                Arguments.of(
                        "PlaceOrderBatch: no orders",
                        call(s -> s.placeOrderBatch(PlaceOrderBatchRequest.getDefaultInstance())),
                        Status.Code.INVALID_ARGUMENT,
                        "orders"),
                Arguments.of(
                        "PlaceOrderBatch: 1001 orders",
                        call(s -> s.placeOrderBatch(batch(1001, -1))),
                        Status.Code.INVALID_ARGUMENT,
                        "orders"),
                Arguments.of(
                        "PlaceOrderBatch: third order broken",
                        call(s -> s.placeOrderBatch(batch(5, 2))),
                        Status.Code.INVALID_ARGUMENT,
                        "orders[2].customer_id"),
                Arguments.of(
                        "SimulateDuplicate: no order",
                        call(
                                s ->
                                        s.simulateDuplicate(
                                                SimulateDuplicateRequest.getDefaultInstance())),
                        Status.Code.INVALID_ARGUMENT,
                        "order"),
                Arguments.of(
                        "SimulateDuplicate: 0 copies",
                        call(
                                s ->
                                        s.simulateDuplicate(
                                                SimulateDuplicateRequest.newBuilder()
                                                        .setOrder(Orders.valid("dup"))
                                                        .setCopies(0)
                                                        .build())),
                        Status.Code.INVALID_ARGUMENT,
                        "copies"),
                Arguments.of(
                        "SimulateDuplicate: 11 copies",
                        call(
                                s ->
                                        s.simulateDuplicate(
                                                SimulateDuplicateRequest.newBuilder()
                                                        .setOrder(Orders.valid("dup"))
                                                        .setCopies(11)
                                                        .build())),
                        Status.Code.INVALID_ARGUMENT,
                        "copies"),
                Arguments.of(
                        "SimulateDuplicate: broken order",
                        call(
                                s ->
                                        s.simulateDuplicate(
                                                SimulateDuplicateRequest.newBuilder()
                                                        .setOrder(Orders.valid(""))
                                                        .build())),
                        Status.Code.INVALID_ARGUMENT,
                        "order.customer_id"),
                update(
                        "unspecified delivery_mode",
                        u -> u.setDeliveryMode(DeliveryMode.DELIVERY_MODE_UNSPECIFIED),
                        "delivery_mode"),
                update("unknown delivery_mode 7", u -> u.setDeliveryModeValue(7), "delivery_mode"),
                update(
                        "group_commit_max_records 0",
                        u -> u.setGroupCommitMaxRecords(0),
                        "group_commit_max_records"),
                update(
                        "group_commit_max_ms -1",
                        u -> u.setGroupCommitMaxMs(-1),
                        "group_commit_max_ms"),
                update("linger_ms 5000", u -> u.setLingerMs(5000), "linger_ms"),
                update("negative batch_size", u -> u.setBatchSize(-1), "batch_size"),
                Arguments.of(
                        "PlaceOrder: 5 MiB message, refused by the server's 4 MiB limit",
                        call(s -> s.placeOrder(Orders.valid("x".repeat(5 * 1024 * 1024)))),
                        Status.Code.RESOURCE_EXHAUSTED,
                        null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void isRefusedNamingTheField(
            String description,
            Consumer<OrderServiceGrpc.OrderServiceBlockingStub> call,
            Status.Code expected,
            String field) {
        var before = topic.end();
        ProducerConfig settingsBefore =
                orders.getProducerConfig(GetProducerConfigRequest.getDefaultInstance());

        StatusRuntimeException refused =
                catchThrowableOfType(StatusRuntimeException.class, () -> call.accept(orders));

        assertThat(refused).as(description).isNotNull();
        assertThat(refused.getStatus().getCode()).isEqualTo(expected);
        if (field != null) {
            assertThat(refused.getStatus().getDescription()).startsWith(field + ": ");
        }
        assertThat(topic.end()).isEqualTo(before);
        assertThat(orders.getProducerConfig(GetProducerConfigRequest.getDefaultInstance()))
                .isEqualTo(settingsBefore);
    }

    private static Arguments placeOrder(
            String description, UnaryOperator<PlaceOrderRequest.Builder> breakIt, String field) {
        PlaceOrderRequest broken = breakIt.apply(Orders.valid("bad").toBuilder()).build();
        return Arguments.of(
                "PlaceOrder: " + description,
                call(s -> s.placeOrder(broken)),
                Status.Code.INVALID_ARGUMENT,
                field);
    }

    private static Arguments update(
            String description,
            UnaryOperator<UpdateProducerConfigRequest.Builder> breakIt,
            String field) {
        UpdateProducerConfigRequest broken =
                breakIt.apply(UpdateProducerConfigRequest.newBuilder()).build();
        return Arguments.of(
                "UpdateProducerConfig: " + description,
                call(s -> s.updateProducerConfig(broken)),
                Status.Code.INVALID_ARGUMENT,
                field);
    }

    private static Consumer<OrderServiceGrpc.OrderServiceBlockingStub> call(
            Consumer<OrderServiceGrpc.OrderServiceBlockingStub> call) {
        return call;
    }

    private static PlaceOrderRequest.Builder hundredAndOneItems(PlaceOrderRequest.Builder order) {
        order.clearItems();
        for (int i = 0; i < 101; i++) {
            order.addItems(OrderItem.newBuilder().setName("Item " + i).setQuantity(1).setPrice(1));
        }
        return order.setTotalAmount(101);
    }

    private static PlaceOrderBatchRequest batch(int size, int brokenIndex) {
        PlaceOrderBatchRequest.Builder batch = PlaceOrderBatchRequest.newBuilder();
        for (int i = 0; i < size; i++) {
            batch.addOrders(Orders.valid(i == brokenIndex ? "" : "batch"));
        }
        return batch.build();
    }
}

package dev.exactlyonce.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.BenchmarkFigures;
import dev.exactlyonce.grpc.v1.CompareSemanticsRequest;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.DuplicateOrder;
import dev.exactlyonce.grpc.v1.GetDuplicateStatsRequest;
import dev.exactlyonce.grpc.v1.GetOrderRequest;
import dev.exactlyonce.grpc.v1.GetOrderResponse;
import dev.exactlyonce.grpc.v1.GetStatsRequest;
import dev.exactlyonce.grpc.v1.ListOrdersRequest;
import dev.exactlyonce.grpc.v1.ListOrdersResponse;
import dev.exactlyonce.grpc.v1.ListTopicsRequest;
import dev.exactlyonce.grpc.v1.ModeSemantics;
import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.grpc.v1.RecordBenchmarkRequest;
import dev.exactlyonce.grpc.v1.ResetRequest;
import dev.exactlyonce.grpc.v1.ResetResponse;
import dev.exactlyonce.grpc.v1.Stats;
import dev.exactlyonce.grpc.v1.StoredOrder;
import dev.exactlyonce.grpc.v1.TopicInfo;
import dev.exactlyonce.kafka.KafkaConnection;
import dev.exactlyonce.kafka.SharedSettings;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.semantics.BillingSemantics;
import dev.exactlyonce.semantics.ConsumerSemantics;
import dev.exactlyonce.semantics.ProducerSemantics;
import dev.exactlyonce.testkit.ServiceProbe;
import io.grpc.Status;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every read RPC against a known data set written through the real schema: o-1 once, o-2 twice with
 * the same message id (a duplicate), o-3 once, o-4 never (a gap), o-5 once.
 */
@MicronautTest(transactional = false)
class QueryServiceTest extends QueryTestSupport {

    @Inject EmbeddedServer managementServer;

    @BeforeEach
    void knownDataSet() throws Exception {
        emptyDatabase();
        insertRows(List.of(Row.of("o-1", "m-1", "cust-a")));
        insertRows(List.of(Row.of("o-2", "m-2", "cust-b")));
        insertRows(List.of(Row.of("o-2", "m-2", "cust-b"))); // replayed and stored again
        insertRows(List.of(Row.of("o-3", "m-3", "cust-a")));
        insertRows(List.of(Row.of("o-5", "m-5", "cust-a")));
        for (String n : List.of("1", "2", "3", "5")) {
            insertProcessed("m-" + n, "o-" + n);
        }
    }

    @Test
    void statsCountRowsDistinctOrdersAndDuplicates() {
        Stats stats = query().getStats(GetStatsRequest.getDefaultInstance());

        assertThat(stats.getTotalOrders()).isEqualTo(5);
        assertThat(stats.getDistinctOrders()).isEqualTo(4);
        assertThat(stats.getDuplicateRows()).isEqualTo(1);
        assertThat(stats.getProcessedMessages()).isEqualTo(4);
        assertThat(stats.getOrdersPerSecondLastMinute()).isEqualTo(5 / 60.0);
        assertThat(stats.hasFirstProcessedAt()).isTrue();
        assertThat(stats.getLastProcessedAt().getSeconds())
                .isGreaterThanOrEqualTo(stats.getFirstProcessedAt().getSeconds());
    }

    @Test
    void duplicateStatsNameTheDuplicatedOrder() {
        var duplicates = query().getDuplicateStats(GetDuplicateStatsRequest.getDefaultInstance());

        assertThat(duplicates.getDuplicatedOrderIds()).isEqualTo(1);
        assertThat(duplicates.getExtraRows()).isEqualTo(1);
        assertThat(duplicates.getDuplicatesList())
                .containsExactly(
                        DuplicateOrder.newBuilder()
                                .setMessageId("m-2")
                                .setOrderId("o-2")
                                .setCustomerId("cust-b")
                                .setCount(2)
                                .build());
        assertThat(duplicates.getExactlyOnceHolds()).isFalse();
    }

    @Test
    void listOrdersPagesNewestFirstAndFiltersByCustomer() {
        ListOrdersResponse first =
                query().listOrders(ListOrdersRequest.newBuilder().setLimit(2).build());
        ListOrdersResponse second =
                query().listOrders(
                                ListOrdersRequest.newBuilder()
                                        .setLimit(2)
                                        .setPageToken(first.getNextPageToken())
                                        .build());
        ListOrdersResponse third =
                query().listOrders(
                                ListOrdersRequest.newBuilder()
                                        .setLimit(2)
                                        .setPageToken(second.getNextPageToken())
                                        .build());

        assertThat(orderIds(first)).containsExactly("o-5", "o-3");
        assertThat(orderIds(second)).containsExactly("o-2", "o-2");
        assertThat(orderIds(third)).containsExactly("o-1");
        assertThat(third.getNextPageToken()).isEmpty();
        StoredOrder newest = first.getOrders(0);
        assertThat(newest.getMessageId()).isEqualTo("m-5");
        assertThat(newest.getCustomerId()).isEqualTo("cust-a");
        assertThat(newest.getItemsList())
                .containsExactly(
                        OrderItem.newBuilder()
                                .setName("Widget")
                                .setQuantity(2)
                                .setPrice(19.99)
                                .build());
        assertThat(newest.getTotalAmount()).isEqualTo(39.98);
        assertThat(newest.getProcessingMode()).isEqualTo(DeliveryMode.EXACTLY_ONCE);

        ListOrdersResponse customerA =
                query().listOrders(ListOrdersRequest.newBuilder().setCustomerId("cust-a").build());
        assertThat(orderIds(customerA)).containsExactly("o-5", "o-3", "o-1");
        assertThat(customerA.getNextPageToken()).isEmpty();
    }

    @Test
    void getOrderShowsEveryStoredRowAndItsDedupRecord() {
        GetOrderResponse order =
                query().getOrder(GetOrderRequest.newBuilder().setOrderId("o-2").build());

        assertThat(order.getRowsList())
                .hasSize(2)
                .allSatisfy(row -> assertThat(row.getMessageId()).isEqualTo("m-2"));
        assertThat(order.getProcessedMessagesList())
                .singleElement()
                .satisfies(p -> assertThat(p.getMessageId()).isEqualTo("m-2"));

        assertStatus(
                () -> query().getOrder(GetOrderRequest.newBuilder().setOrderId("o-4").build()),
                Status.Code.NOT_FOUND,
                "order_id");
    }

    @Test
    void invalidArgumentsNameTheField() {
        assertStatus(
                () -> query().getOrder(GetOrderRequest.getDefaultInstance()),
                Status.Code.INVALID_ARGUMENT,
                "order_id");
        assertStatus(
                () -> query().listOrders(ListOrdersRequest.newBuilder().setLimit(501).build()),
                Status.Code.INVALID_ARGUMENT,
                "limit");
        assertStatus(
                () -> query().listOrders(ListOrdersRequest.newBuilder().setLimit(-1).build()),
                Status.Code.INVALID_ARGUMENT,
                "limit");
        assertStatus(
                () ->
                        query().listOrders(
                                        ListOrdersRequest.newBuilder()
                                                .setPageToken("not a token")
                                                .build()),
                Status.Code.INVALID_ARGUMENT,
                "page_token");
        assertStatus(
                () ->
                        query().listOrders(
                                        ListOrdersRequest.newBuilder()
                                                .setPageToken(
                                                        java.util.Base64.getUrlEncoder()
                                                                .encodeToString(
                                                                        "after:-5".getBytes()))
                                                .build()),
                Status.Code.INVALID_ARGUMENT,
                "page_token");
        assertStatus(
                () ->
                        query().getDuplicateStats(
                                        GetDuplicateStatsRequest.newBuilder().setLimit(0).build()),
                Status.Code.INVALID_ARGUMENT,
                "limit");
        assertStatus(
                () ->
                        query().recordBenchmark(
                                        RecordBenchmarkRequest.newBuilder()
                                                .addFigures(
                                                        BenchmarkFigures.newBuilder()
                                                                .setWorkload("x")
                                                                .setP99Ms(Double.NaN)
                                                                .setMode(
                                                                        DeliveryMode.AT_LEAST_ONCE))
                                                .build()),
                Status.Code.INVALID_ARGUMENT,
                "figures[0].p99_ms");
    }

    @Test
    void resetEmptiesTheStoreAndStartsAnAuditWindowAtTheKafkaEnd() throws Exception {
        produce(List.of("reset-1", "reset-2"));
        var ends = endOffsets(Topics.ORDERS);

        ResetResponse reset = query().reset(ResetRequest.getDefaultInstance());

        assertThat(reset.getOrdersDeleted()).isEqualTo(5);
        assertThat(reset.getProcessedMessagesDeleted()).isEqualTo(4);
        assertThat(reset.getAuditWindowStartList())
                .filteredOn(o -> o.getTopic().equals(Topics.ORDERS))
                .hasSize(Topics.ORDERS_PARTITIONS)
                .allSatisfy(
                        o ->
                                assertThat(o.getOffset())
                                        .isEqualTo(
                                                ends.get(
                                                        new org.apache.kafka.common.TopicPartition(
                                                                Topics.ORDERS, o.getPartition()))));
        // the PostgreSQL leg's dead letters are rows (dead_letters), emptied by Reset: orders.dlq
        // is no part of a window
        assertThat(reset.getAuditWindowStartList())
                .extracting(o -> o.getTopic())
                .doesNotContain(Topics.DLQ)
                .contains(Topics.INVOICES, Topics.BILLING_DLQ);
        Stats stats = query().getStats(GetStatsRequest.getDefaultInstance());
        assertThat(stats.getTotalOrders()).isZero();
        assertThat(stats.getProcessedMessages()).isZero();
        assertThat(stats.getOrdersPerSecondLastMinute()).isZero();
        assertThat(stats.hasFirstProcessedAt()).isFalse();
        assertThat(
                        query().getDuplicateStats(GetDuplicateStatsRequest.getDefaultInstance())
                                .getExactlyOnceHolds())
                .isTrue();
        // announced to the other services (billing's retry dedup starts over at the window)
        try (SharedSettings<ResetResponse> announced =
                new SharedSettings<>(
                                KafkaConnection.plaintext(INFRA.bootstrapServers()),
                                Topics.AUDIT_WINDOW_SETTING,
                                ResetResponse.getDefaultInstance(),
                                ResetResponse.parser(),
                                value -> {})
                        .start(Duration.ofSeconds(10))) {
            assertThat(announced.current().getAuditWindowStartList())
                    .isEqualTo(reset.getAuditWindowStartList());
        }
    }

    @Test
    void compareSemanticsShowsTheModeClassesAndTheLatestBenchmark() {
        BenchmarkFigures older =
                BenchmarkFigures.newBuilder()
                        .setWorkload("PlaceOrder x64")
                        .setMode(DeliveryMode.EXACTLY_ONCE)
                        .setOrders(1000)
                        .setAcknowledgedPerSecond(900)
                        .setStoredPerSecond(800)
                        .setP50Ms(3)
                        .setP95Ms(9)
                        .setP99Ms(15)
                        .setMaxMs(40)
                        .setVerdict("EXACTLY_ONCE")
                        .build();
        query().recordBenchmark(RecordBenchmarkRequest.newBuilder().addFigures(older).build());
        query().recordBenchmark(
                        RecordBenchmarkRequest.newBuilder()
                                .addFigures(older.toBuilder().setAcknowledgedPerSecond(1200))
                                .build());

        var response = query().compareSemantics(CompareSemanticsRequest.getDefaultInstance());

        assertThat(response.getModesList())
                .extracting(ModeSemantics::getMode)
                .containsExactly(
                        DeliveryMode.AT_MOST_ONCE,
                        DeliveryMode.AT_LEAST_ONCE,
                        DeliveryMode.EXACTLY_ONCE);
        for (ModeSemantics mode : response.getModesList()) {
            assertThat(mode.getProducerSettingsMap())
                    .isEqualTo(
                            ProducerSemantics.kafkaSettings(
                                    mode.getMode(), "order-producer-<pod>"));
            assertThat(mode.getConsumerStepsList())
                    .isEqualTo(
                            ConsumerSemantics.steps(mode.getMode()).stream()
                                    .map(ConsumerSemantics.Step::description)
                                    .toList());
            assertThat(mode.getBillingStepsList())
                    .isEqualTo(
                            BillingSemantics.steps(mode.getMode()).stream()
                                    .map(BillingSemantics.Step::description)
                                    .toList());
            assertThat(mode.getLoss()).isNotBlank();
        }
        ModeSemantics exactlyOnce = response.getModes(2);
        assertThat(exactlyOnce.getLatestBenchmarksList())
                .singleElement()
                .satisfies(b -> assertThat(b.getAcknowledgedPerSecond()).isEqualTo(1200));
        assertThat(response.getModes(0).getLatestBenchmarksList()).isEmpty();
    }

    @Test
    void listTopicsDescribesThePipelineTopicsAndTheCluster() {
        var cluster = query().listTopics(ListTopicsRequest.getDefaultInstance());
        var topics = cluster.getTopicsList();

        TopicInfo orders =
                topics.stream()
                        .filter(t -> t.getName().equals(Topics.ORDERS))
                        .findFirst()
                        .orElseThrow();
        assertThat(orders.getPartitionCount()).isEqualTo(Topics.ORDERS_PARTITIONS);
        assertThat(orders.getPartitionsList())
                .allSatisfy(
                        p -> {
                            assertThat(p.getLeader()).isGreaterThanOrEqualTo(0);
                            assertThat(p.getIsrList())
                                    .containsExactlyElementsOf(p.getReplicasList());
                            assertThat(p.getEndOffset()).isGreaterThanOrEqualTo(p.getStartOffset());
                        });
        assertThat(topics)
                .extracting(TopicInfo::getName)
                .contains(Topics.DLQ, Topics.SETTINGS, Topics.BILLING_DLQ);
        TopicInfo invoices =
                topics.stream()
                        .filter(t -> t.getName().equals(Topics.INVOICES))
                        .findFirst()
                        .orElseThrow();
        assertThat(invoices.getPartitionCount()).isEqualTo(Topics.INVOICES_PARTITIONS);
        // the testkit's single broker: one copy of everything, and a Kafka 4 cluster runs
        // transactions v2
        assertThat(orders.getReplicationFactor()).isEqualTo(1);
        assertThat(orders.getMinInsyncReplicas()).isEqualTo(1);
        assertThat(cluster.getBrokersCount()).isEqualTo(1);
        assertThat(cluster.getControllerId()).isEqualTo(cluster.getBrokers(0).getId());
        assertThat(cluster.getFinalizedFeaturesMap())
                .containsEntry("transaction.version", 2)
                .containsKey("metadata.version");
    }

    @Test
    void pagingReturnsEveryRowOnceWhileRowsAreInserted() throws Exception {
        List<Row> existing =
                IntStream.range(0, 300)
                        .mapToObj(i -> Row.of("p-" + i, "pm-" + i, "cust-p"))
                        .toList();
        insertRows(existing);
        CompletableFuture<Void> writer =
                CompletableFuture.runAsync(
                        () -> {
                            for (int batch = 0; batch < 20; batch++) {
                                int b = batch;
                                try {
                                    insertRows(
                                            IntStream.range(0, 10)
                                                    .mapToObj(
                                                            i ->
                                                                    Row.of(
                                                                            "new-" + b + "-" + i,
                                                                            "nm-" + b + "-" + i,
                                                                            "cust-p"))
                                                    .toList());
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                            }
                        });

        List<String> seen = new ArrayList<>();
        String token = "";
        do {
            ListOrdersResponse page =
                    query().listOrders(
                                    ListOrdersRequest.newBuilder()
                                            .setLimit(37)
                                            .setCustomerId("cust-p")
                                            .setPageToken(token)
                                            .build());
            page.getOrdersList().forEach(o -> seen.add(o.getOrderId()));
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        writer.join();

        assertThat(new HashSet<>(seen)).hasSameSizeAs(seen);
        assertThat(seen).containsAll(existing.stream().map(Row::orderId).toList());
    }

    @Test
    void prometheusExportsItsMetricNames() throws Exception {
        query().getStats(GetStatsRequest.getDefaultInstance());
        query().listOrders(ListOrdersRequest.getDefaultInstance());
        try (ServiceProbe probe =
                new ServiceProbe(grpcServer.getPort(), managementServer.getPort())) {
            var response = probe.get("/prometheus");
            assertThat(response.statusCode()).isEqualTo(200);
            Set<String> names = new TreeSet<>();
            response.body()
                    .lines()
                    .filter(l -> !l.isBlank() && !l.startsWith("#"))
                    .map(l -> l.split("[{ ]", 2)[0])
                    .forEach(names::add);
            assertThat(names).contains("jvm_memory_used_bytes");
            Path file = Path.of("target", "prometheus-metric-names.txt");
            Files.createDirectories(file.getParent());
            Files.write(file, names);
        }
    }

    private static List<String> orderIds(ListOrdersResponse response) {
        return response.getOrdersList().stream().map(StoredOrder::getOrderId).toList();
    }
}

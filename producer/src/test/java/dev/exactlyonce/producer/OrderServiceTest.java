package dev.exactlyonce.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.GetProducerStatsRequest;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.PlaceOrderBatchRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderBatchResponse;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderResponse;
import dev.exactlyonce.grpc.v1.ProducerConfig;
import dev.exactlyonce.grpc.v1.ProducerStats;
import dev.exactlyonce.grpc.v1.SimulateDuplicateRequest;
import dev.exactlyonce.grpc.v1.SimulateDuplicateResponse;
import dev.exactlyonce.grpc.v1.StreamOrdersResponse;
import dev.exactlyonce.grpc.v1.UpdateProducerConfigRequest;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.testkit.ServiceProbe;
import dev.exactlyonce.testkit.TestInfrastructure;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * OrderService against the testkit's real Kafka: what each mode really writes, and when it becomes
 * visible.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OrderServiceTest extends ProducerServiceTestSupport {

    static final String POD = "producer-test";

    @Inject EmbeddedServer managementServer;

    OrderServiceGrpc.OrderServiceFutureStub async;
    OrdersTopic committed;
    OrdersTopic raw;

    @Override
    String podName() {
        return POD;
    }

    @BeforeAll
    void openTopics() {
        async = OrderServiceGrpc.newFutureStub(channel);
        String bootstrap = TestInfrastructure.shared().bootstrapServers();
        committed = new OrdersTopic(bootstrap, true);
        raw = new OrdersTopic(bootstrap, false);
    }

    @AfterAll
    void closeTopics() {
        committed.close();
        raw.close();
    }

    ProducerConfig use(DeliveryMode mode, boolean transactions, int maxRecords, int maxMs) {
        return orders.updateProducerConfig(
                UpdateProducerConfigRequest.newBuilder()
                        .setDeliveryMode(mode)
                        .setEnableTransactions(transactions)
                        .setGroupCommitMaxRecords(maxRecords)
                        .setGroupCommitMaxMs(maxMs)
                        .build());
    }

    @Test
    void eachModeWritesWithItsSettingsAndAnswersWithItsGuarantee() throws Exception {
        for (DeliveryMode mode : ProducerMetrics.MODES) {
            ProducerConfig config = use(mode, true, 1000, 5);
            boolean transactional = mode == DeliveryMode.EXACTLY_ONCE;
            assertThat(config.getDeliveryMode()).isEqualTo(mode);
            assertThat(config.getPodName()).isEqualTo(POD);
            // two transaction lanes by default: lane 1's id is lane 0's with "-1"
            assertThat(config.getTransactionalId())
                    .isEqualTo(
                            transactional
                                    ? "order-producer-" + POD + ",order-producer-" + POD + "-1"
                                    : "");
            assertThat(config.getKafkaSettingsMap())
                    .containsEntry("acks", mode == DeliveryMode.AT_MOST_ONCE ? "0" : "all")
                    .containsEntry("enable.idempotence", String.valueOf(transactional))
                    .containsEntry(
                            "retries",
                            mode == DeliveryMode.AT_MOST_ONCE
                                    ? "0"
                                    : String.valueOf(Integer.MAX_VALUE));
            if (transactional) {
                assertThat(config.getKafkaSettingsMap())
                        .containsEntry("transactional.id", "order-producer-" + POD);
            } else {
                assertThat(config.getKafkaSettingsMap()).doesNotContainKey("transactional.id");
            }

            Map<TopicPartition, Long> start = raw.end();
            PlaceOrderResponse response = orders.placeOrder(Orders.valid("modes-" + mode));

            assertThat(response.getOrderId()).matches("[0-9a-f-]{36}");
            assertThat(response.getMessageId())
                    .matches("[0-9a-f-]{36}")
                    .isNotEqualTo(response.getOrderId());
            assertThat(response.getDeliveryMode()).isEqualTo(mode);
            assertThat(response.getTransactional()).isEqualTo(transactional);
            assertThat(response.getLatencyMs()).isPositive();
            assertThat(response.getTraceId()).matches("[0-9a-f]{32}").isNotEqualTo("0".repeat(32));
            switch (mode) {
                case AT_MOST_ONCE -> {
                    assertThat(response.getStatus()).isEqualTo("SENT");
                    assertThat(response.getPartition()).isEqualTo(-1);
                    assertThat(response.getOffset()).isEqualTo(-1);
                    assertThat(response.getBatchId()).isEmpty();
                }
                case AT_LEAST_ONCE -> {
                    assertThat(response.getStatus()).isEqualTo("ACKNOWLEDGED");
                    assertThat(response.getBatchId()).isEmpty();
                }
                default -> {
                    assertThat(response.getStatus()).isEqualTo("COMMITTED");
                    assertThat(response.getBatchId()).startsWith(POD + "-");
                }
            }

            ConsumerRecord<String, OrderEvent> record =
                    await().atMost(Duration.ofSeconds(10))
                            .until(
                                    () -> find(raw.readFrom(start), response.getMessageId()),
                                    r -> r != null);
            assertThat(record.key()).isEqualTo(response.getOrderId());
            assertThat(OrdersTopic.header(record, Topics.HEADER_MESSAGE_ID))
                    .isEqualTo(response.getMessageId());
            assertThat(OrdersTopic.header(record, Topics.HEADER_TRACEPARENT))
                    .matches("00-" + response.getTraceId() + "-[0-9a-f]{16}-01");
            assertThat(record.value().getDeliveryMode()).isEqualTo(mode);
            assertThat(record.value().getProducerId()).isEqualTo(POD);
            assertThat(record.value().getBatchId()).isEqualTo(response.getBatchId());
            assertThat(record.value().getCustomerId()).isEqualTo("modes-" + mode);
            assertThat(record.value().hasProducedAt()).isTrue();
            if (mode != DeliveryMode.AT_MOST_ONCE) {
                assertThat(record.partition()).isEqualTo(response.getPartition());
                assertThat(record.offset()).isEqualTo(response.getOffset());
            }
            // whatever the mode, a read_committed reader (the consumer) sees it once it is
            // acknowledged
            eventually(
                    () ->
                            assertThat(find(committed.readFrom(start), response.getMessageId()))
                                    .isNotNull());
        }
        writeExportedMetricNames();
    }

    /** The names /prometheus really exports, for the Helm module's dashboard check. */
    private void writeExportedMetricNames() throws Exception {
        try (ServiceProbe probe =
                new ServiceProbe(grpcServer.getPort(), managementServer.getPort())) {
            String body = probe.get("/prometheus").body();
            Set<String> names =
                    body.lines()
                            .filter(line -> !line.isBlank() && !line.startsWith("#"))
                            .map(line -> line.split("[{ ]", 2)[0])
                            .collect(Collectors.toCollection(TreeSet::new));
            assertThat(names)
                    .contains(
                            "orders_produced_total",
                            "producer_transactions_total",
                            "producer_transaction_duration_seconds_bucket",
                            "producer_transaction_records_bucket",
                            "orders_produce_latency_seconds_bucket",
                            "producer_delivery_mode");
            assertThat(body).contains("producer_delivery_mode{mode=\"EXACTLY_ONCE\"");
            Path file = Path.of("target", "prometheus-metric-names.txt");
            Files.createDirectories(file.getParent());
            Files.write(file, names);
        }
    }

    @Test
    void theCallersTraceContinuesIntoTheRecordHeader() {
        use(DeliveryMode.EXACTLY_ONCE, true, 1000, 5);
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        Metadata headers = new Metadata();
        headers.put(
                Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER),
                "00-" + traceId + "-00f067aa0ba902b7-01");
        Map<TopicPartition, Long> start = raw.end();

        PlaceOrderResponse response =
                orders.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                        .placeOrder(Orders.valid("traced"));

        // gRPC server span (child of the caller's) -> produce span -> traceparent header
        assertThat(response.getTraceId()).isEqualTo(traceId);
        eventually(
                () ->
                        assertThat(
                                        OrdersTopic.header(
                                                find(
                                                        committed.readFrom(start),
                                                        response.getMessageId()),
                                                Topics.HEADER_TRACEPARENT))
                                .startsWith("00-" + traceId + "-")
                                .doesNotContain("00f067aa0ba902b7"));
    }

    @Test
    void transactionalRecordsStayInvisibleToReadCommittedUntilTheCommit() throws Exception {
        use(
                DeliveryMode.EXACTLY_ONCE,
                true,
                10_000,
                3_000); // a wide window, so we can look inside it
        try {
            Map<TopicPartition, Long> start = raw.end();
            ListenableFuture<PlaceOrderResponse> call = async.placeOrder(Orders.valid("invisible"));

            ConsumerRecord<String, OrderEvent> inFlight =
                    await().atMost(Duration.ofSeconds(10))
                            .until(
                                    () -> findCustomer(raw.readFrom(start), "invisible"),
                                    r -> r != null);
            // written to the log, but the transaction is open: the last stable offset stays before
            // it
            TopicPartition partition = new TopicPartition(inFlight.topic(), inFlight.partition());
            assertThat(call.isDone()).isFalse();
            assertThat(committed.end().get(partition)).isLessThanOrEqualTo(inFlight.offset());

            PlaceOrderResponse response = call.get(10, TimeUnit.SECONDS);
            assertThat(response.getStatus()).isEqualTo("COMMITTED");
            assertThat(response.getMessageId()).isEqualTo(inFlight.value().getMessageId());
            eventually(
                    () ->
                            assertThat(find(committed.readFrom(start), response.getMessageId()))
                                    .isNotNull());
        } finally {
            use(DeliveryMode.EXACTLY_ONCE, true, 1000, 5);
        }
    }

    @Test
    void aCommittedBatchIsVisibleAndAnAbortedBatchIsNot() throws Exception {
        ProducerConfig config = use(DeliveryMode.EXACTLY_ONCE, true, 1000, 5);
        Map<TopicPartition, Long> start = raw.end();
        PlaceOrderBatchResponse batch = orders.placeOrderBatch(batchOf("batch-ok", 5));
        assertThat(batch.getStatus()).isEqualTo("COMMITTED");
        assertThat(batch.getOrdersList())
                .hasSize(5)
                .allSatisfy(o -> assertThat(o.getBatchId()).isEqualTo(batch.getBatchId()));
        eventually(
                () ->
                        assertThat(committed.readFrom(start))
                                .filteredOn(r -> r.value().getCustomerId().equals("batch-ok"))
                                .hasSize(5)
                                .allSatisfy(
                                        r ->
                                                assertThat(r.value().getBatchId())
                                                        .isEqualTo(batch.getBatchId())));

        use(DeliveryMode.EXACTLY_ONCE, true, 10_000, 3_000);
        try {
            Map<TopicPartition, Long> before = raw.end();
            ListenableFuture<PlaceOrderBatchResponse> doomed =
                    async.placeOrderBatch(batchOf("batch-doomed", 5));
            await().atMost(Duration.ofSeconds(10))
                    .until(
                            () ->
                                    raw.readFrom(before).stream()
                                                    .filter(
                                                            r ->
                                                                    r.value()
                                                                            .getCustomerId()
                                                                            .equals("batch-doomed"))
                                                    .count()
                                            == 5);
            // a newer producer with the same transactional.id (a restarted pod) fences ours: its
            // open transaction is aborted by the coordinator
            for (String transactionalId : config.getTransactionalId().split(",")) { // every lane
                fence(transactionalId);
            }

            assertThatThrownBy(() -> doomed.get(20, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .satisfies(
                            e ->
                                    assertThat(Status.fromThrowable(e.getCause()).getCode())
                                            .isEqualTo(Status.Code.ABORTED));
            assertThat(committed.readFrom(before))
                    .noneMatch(r -> r.value().getCustomerId().equals("batch-doomed"));
            assertThat(raw.readFrom(before))
                    .filteredOn(r -> r.value().getCustomerId().equals("batch-doomed"))
                    .hasSize(5);
        } finally {
            use(DeliveryMode.EXACTLY_ONCE, true, 1000, 5);
        }
        // every lane was fenced: the doomed one is replaced already; an idle one finds out on its
        // next transaction, which is aborted (nothing of it visible; a client retries) and replaces
        // it too. So at most lanes - 1 calls are ABORTED before every lane commits again.
        int lanes = config.getTransactionalId().split(",").length;
        Map<TopicPartition, Long> afterFence = raw.end();
        List<String> abortedOrderIds = new ArrayList<>();
        int commits = 0;
        for (int call = 0; call < lanes + 4 && commits < 4; call++) {
            PlaceOrderRequest request =
                    Orders.valid("after-fence").toBuilder()
                            .setOrderId("after-fence-" + UUID.randomUUID())
                            .build();
            try {
                assertThat(orders.placeOrder(request).getStatus()).isEqualTo("COMMITTED");
                commits++;
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode())
                        .as(e.getStatus().toString())
                        .isEqualTo(Status.Code.ABORTED);
                abortedOrderIds.add(request.getOrderId());
            }
        }
        assertThat(commits).isEqualTo(4);
        assertThat(abortedOrderIds).hasSizeLessThanOrEqualTo(lanes - 1);
        assertThat(committed.readFrom(afterFence))
                .noneMatch(r -> abortedOrderIds.contains(r.value().getOrderId()));
    }

    private static void fence(String transactionalId) {
        try (KafkaProducer<String, String> zombieKiller =
                new KafkaProducer<>(
                        Map.of(
                                "bootstrap.servers",
                                TestInfrastructure.shared().bootstrapServers(),
                                "transactional.id",
                                transactionalId),
                        new StringSerializer(),
                        new StringSerializer())) {
            zombieKiller.initTransactions();
        }
    }

    @Test
    void placeOrderBatchNeedsTransactions() {
        use(DeliveryMode.AT_LEAST_ONCE, true, 1000, 5);
        try {
            assertThatThrownBy(() -> orders.placeOrderBatch(batchOf("batch-alo", 2)))
                    .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> {
                                assertThat(e.getStatus().getCode())
                                        .isEqualTo(Status.Code.FAILED_PRECONDITION);
                                assertThat(e.getStatus().getDescription())
                                        .contains("transactions")
                                        .contains("AT_LEAST_ONCE");
                            });
        } finally {
            use(DeliveryMode.EXACTLY_ONCE, true, 1000, 5);
        }
    }

    @Test
    void fiveHundredConcurrentCallsShareFewTransactionsAndEachOrderIsWrittenOnce()
            throws Exception {
        use(DeliveryMode.EXACTLY_ONCE, true, 1000, 5);
        ProducerStats before =
                orders.getProducerStats(GetProducerStatsRequest.getDefaultInstance());
        Map<TopicPartition, Long> start = raw.end();

        List<ListenableFuture<PlaceOrderResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            calls.add(async.placeOrder(Orders.valid("concurrent")));
        }
        List<PlaceOrderResponse> responses = new ArrayList<>();
        for (ListenableFuture<PlaceOrderResponse> call : calls) {
            responses.add(call.get(30, TimeUnit.SECONDS));
        }
        ProducerStats after = orders.getProducerStats(GetProducerStatsRequest.getDefaultInstance());

        assertThat(responses).allSatisfy(r -> assertThat(r.getStatus()).isEqualTo("COMMITTED"));
        eventually(
                () ->
                        assertThat(
                                        committed.readFrom(start).stream()
                                                .filter(
                                                        r ->
                                                                r.value()
                                                                        .getCustomerId()
                                                                        .equals("concurrent"))
                                                .collect(
                                                        Collectors.groupingBy(
                                                                ConsumerRecord::key,
                                                                Collectors.counting())))
                                .hasSize(500)
                                .containsOnlyKeys(
                                        responses.stream()
                                                .map(PlaceOrderResponse::getOrderId)
                                                .toList())
                                .allSatisfy((orderId, copies) -> assertThat(copies).isEqualTo(1)));
        long transactions = after.getTransactionsCommitted() - before.getTransactionsCommitted();
        assertThat(transactions).isBetween(1L, 100L);
        assertThat(responses.stream().map(PlaceOrderResponse::getBatchId).distinct().count())
                .isEqualTo(transactions);
        assertThat(after.getRecordsPerTransaction()).isGreaterThan(1);
    }

    @Test
    void simulateDuplicateSendsOneMessageSeveralTimesInEveryMode() {
        for (DeliveryMode mode : ProducerMetrics.MODES) {
            use(mode, true, 1000, 5);
            Map<TopicPartition, Long> start = raw.end();
            ProducerStats before =
                    orders.getProducerStats(GetProducerStatsRequest.getDefaultInstance());
            SimulateDuplicateResponse response =
                    orders.simulateDuplicate(
                            SimulateDuplicateRequest.newBuilder()
                                    .setOrder(Orders.valid("duplicate-" + mode))
                                    .build());
            assertThat(response.getCopies()).isEqualTo(3);
            ProducerStats after =
                    orders.getProducerStats(GetProducerStatsRequest.getDefaultInstance());
            assertThat(after.getSent() - before.getSent()).isEqualTo(3);
            // one order: the audit compares acknowledged orders with distinct stored message ids
            assertThat(after.getAcknowledged() - before.getAcknowledged()).isEqualTo(1);
            assertThat(response.getSendsList())
                    .hasSize(3)
                    .allSatisfy(
                            send -> {
                                assertThat(send.getMessageId()).isEqualTo(response.getMessageId());
                                assertThat(send.getOrderId()).isEqualTo(response.getOrderId());
                                assertThat(send.getDeliveryMode()).isEqualTo(mode);
                            });
            OrdersTopic reader = mode == DeliveryMode.AT_MOST_ONCE ? raw : committed;
            List<ConsumerRecord<String, OrderEvent>> copies =
                    await().atMost(Duration.ofSeconds(10))
                            .until(
                                    () ->
                                            reader.readFrom(start).stream()
                                                    .filter(
                                                            r ->
                                                                    response.getMessageId()
                                                                            .equals(
                                                                                    OrdersTopic
                                                                                            .header(
                                                                                                    r,
                                                                                                    Topics
                                                                                                            .HEADER_MESSAGE_ID)))
                                                    .toList(),
                                    found -> found.size() == 3);
            assertThat(copies)
                    .allSatisfy(
                            r ->
                                    assertThat(r.value().getMessageId())
                                            .isEqualTo(response.getMessageId()));
        }
        use(DeliveryMode.EXACTLY_ONCE, true, 1000, 5);
    }

    @Test
    void streamOrdersWritesTheValidOrdersAndCountsTheRejectedOnes() throws Exception {
        use(DeliveryMode.EXACTLY_ONCE, true, 1000, 5);
        Map<TopicPartition, Long> start = raw.end();
        CompletableFuture<StreamOrdersResponse> summary = new CompletableFuture<>();
        StreamObserver<PlaceOrderRequest> stream =
                OrderServiceGrpc.newStub(channel).streamOrders(observer(summary));
        for (int i = 0; i < 2000; i++) {
            stream.onNext(Orders.valid("stream"));
            if (i % 500 == 0) {
                stream.onNext(Orders.valid("stream").toBuilder().setTotalAmount(1).build());
            }
        }
        stream.onCompleted();
        StreamOrdersResponse result = summary.get(30, TimeUnit.SECONDS);

        assertThat(result.getReceived()).isEqualTo(2004);
        assertThat(result.getAccepted()).isEqualTo(2000);
        assertThat(result.getRejected()).isEqualTo(4);
        assertThat(result.getErrorsList())
                .hasSize(4)
                .allSatisfy(e -> assertThat(e).contains(": total_amount: "));
        assertThat(result.getDeliveryMode()).isEqualTo(DeliveryMode.EXACTLY_ONCE);
        assertThat(result.getOrdersPerSecond()).isPositive();
        eventually(
                () ->
                        assertThat(committed.readFrom(start))
                                .filteredOn(r -> r.value().getCustomerId().equals("stream"))
                                .hasSize(2000));
    }

    @Test
    void aStreamOfLargeOrdersIsReadWithinItsByteWindowAndEveryOrderIsWritten() throws Exception {
        use(DeliveryMode.EXACTLY_ONCE, true, 1000, 5);
        Map<TopicPartition, Long> start = raw.end();
        PlaceOrderRequest.Builder large =
                PlaceOrderRequest.newBuilder().setCustomerId("stream-large");
        for (int i = 0; i < 100; i++) {
            large.addItems(
                    OrderItem.newBuilder()
                            .setName("n".repeat(199) + (i % 10))
                            .setQuantity(1)
                            .setPrice(1));
        }
        PlaceOrderRequest order = large.setTotalAmount(100).build();
        int count =
                2
                        * (int)
                                (OrderGrpcService.STREAM_WINDOW_BYTES
                                        / order.getSerializedSize()); // twice the window
        CompletableFuture<StreamOrdersResponse> summary = new CompletableFuture<>();
        StreamObserver<PlaceOrderRequest> stream =
                OrderServiceGrpc.newStub(channel).streamOrders(observer(summary));
        for (int i = 0; i < count; i++) {
            stream.onNext(order);
        }
        stream.onCompleted();

        assertThat(summary.get(60, TimeUnit.SECONDS).getAccepted()).isEqualTo(count);
        eventually(
                () ->
                        assertThat(committed.readFrom(start))
                                .filteredOn(r -> r.value().getCustomerId().equals("stream-large"))
                                .hasSize(count));
    }

    @Test
    void aModeSwitchUnderLoadLosesNoAcknowledgedOrder() throws Exception {
        use(DeliveryMode.EXACTLY_ONCE, true, 1000, 5);
        Map<TopicPartition, Long> start = raw.end();
        Collection<PlaceOrderResponse> acknowledged = new ConcurrentLinkedQueue<>();
        Collection<Status> failures = new ConcurrentLinkedQueue<>();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService clients = Executors.newFixedThreadPool(8);
        for (int i = 0; i < 8; i++) {
            clients.execute(
                    () -> {
                        while (running.get()) {
                            try {
                                acknowledged.add(orders.placeOrder(Orders.valid("switch")));
                            } catch (StatusRuntimeException e) {
                                failures.add(e.getStatus());
                            }
                        }
                    });
        }
        try {
            List<ProducerConfig> steps =
                    List.of(
                            ProducerConfig.newBuilder()
                                    .setDeliveryMode(DeliveryMode.AT_LEAST_ONCE)
                                    .setEnableTransactions(true)
                                    .build(),
                            ProducerConfig.newBuilder()
                                    .setDeliveryMode(DeliveryMode.EXACTLY_ONCE)
                                    .setEnableTransactions(false)
                                    .build(),
                            ProducerConfig.newBuilder()
                                    .setDeliveryMode(DeliveryMode.EXACTLY_ONCE)
                                    .setEnableTransactions(true)
                                    .build(),
                            ProducerConfig.newBuilder()
                                    .setDeliveryMode(DeliveryMode.AT_LEAST_ONCE)
                                    .setEnableTransactions(true)
                                    .build(),
                            ProducerConfig.newBuilder()
                                    .setDeliveryMode(DeliveryMode.EXACTLY_ONCE)
                                    .setEnableTransactions(true)
                                    .build());
            for (ProducerConfig step : steps) {
                int seen = acknowledged.size();
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> acknowledged.size() >= seen + 200);
                use(step.getDeliveryMode(), step.getEnableTransactions(), 1000, 5);
            }
            int seen = acknowledged.size();
            await().atMost(Duration.ofSeconds(20)).until(() -> acknowledged.size() >= seen + 200);
        } finally {
            running.set(false);
            clients.shutdown();
            assertThat(clients.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        }

        assertThat(failures).isEmpty();
        assertThat(acknowledged)
                .extracting(PlaceOrderResponse::getStatus)
                .contains("ACKNOWLEDGED", "COMMITTED");
        List<String> acknowledgedIds =
                acknowledged.stream().map(PlaceOrderResponse::getOrderId).toList();
        eventually(
                () ->
                        assertThat(
                                        committed.readFrom(start).stream()
                                                .map(ConsumerRecord::key)
                                                .collect(Collectors.toSet()))
                                .containsAll(acknowledgedIds));
    }

    /**
     * commitTransaction returns once the coordinator logged the commit; the markers that advance
     * the last stable offset follow a moment later, so read_committed readers may need a few ms
     * more.
     */
    private static void eventually(org.awaitility.core.ThrowingRunnable assertion) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(assertion);
    }

    private static PlaceOrderBatchRequest batchOf(String customer, int count) {
        PlaceOrderBatchRequest.Builder batch = PlaceOrderBatchRequest.newBuilder();
        for (int i = 0; i < count; i++) {
            batch.addOrders(Orders.valid(customer));
        }
        return batch.build();
    }

    private static ConsumerRecord<String, OrderEvent> find(
            List<ConsumerRecord<String, OrderEvent>> records, String messageId) {
        return records.stream()
                .filter(r -> r.value().getMessageId().equals(messageId))
                .findFirst()
                .orElse(null);
    }

    private static ConsumerRecord<String, OrderEvent> findCustomer(
            List<ConsumerRecord<String, OrderEvent>> records, String customer) {
        return records.stream()
                .filter(r -> r.value().getCustomerId().equals(customer))
                .findFirst()
                .orElse(null);
    }

    static <T> StreamObserver<T> observer(CompletableFuture<T> result) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                result.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
        };
    }
}

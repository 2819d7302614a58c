package dev.exactlyonce.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.ListTransactionsRequest;
import dev.exactlyonce.grpc.v1.ListTransactionsResponse;
import dev.exactlyonce.grpc.v1.OpenTransaction;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.PartitionOffset;
import dev.exactlyonce.grpc.v1.PartitionStability;
import dev.exactlyonce.grpc.v1.PartitionTransaction;
import dev.exactlyonce.kafka.Topics;
import io.grpc.Status;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * ListTransactions against a real broker: a transaction left open holds the last stable offset of
 * its partition back (read_committed consumers wait behind it) until it ends, by an abort through
 * the Admin API (what {@code kafka-transactions.sh abort} sends) or by its timeout. Each test owns
 * one partition of orders, so that "caught up" means the last stable offset reached the high
 * watermark.
 */
@MicronautTest(transactional = false)
class ListTransactionsTest extends QueryTestSupport {

    private static final TopicPartition P0 = new TopicPartition(Topics.ORDERS, 0);
    private static final TopicPartition P1 = new TopicPartition(Topics.ORDERS, 1);
    private static final TopicPartition P2 = new TopicPartition(Topics.ORDERS, 2);
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void anOpenTransactionHoldsTheLastStableOffsetBackUntilAnAdminAbortsIt() throws Exception {
        String id = "list-tx-open-" + UUID.randomUUID();
        try (KafkaProducer<String, OrderEvent> producer = transactional(id, 600_000)) {
            long first = openTransactionOn(producer, P1, "list-tx-open");

            ListTransactionsResponse open =
                    awaitList(r -> transaction(r, id).filter(t -> t.getAgeMs() > 0).isPresent());

            OpenTransaction transaction = transaction(open, id).orElseThrow();
            assertThat(transaction.getState()).isEqualTo("ONGOING");
            assertThat(transaction.getTimeoutMs()).isEqualTo(600_000);
            assertThat(transaction.hasStartedAt()).isTrue();
            assertThat(transaction.getPartitionsList())
                    .containsExactly(
                            PartitionOffset.newBuilder()
                                    .setTopic(Topics.ORDERS)
                                    .setPartition(1)
                                    .setOffset(first)
                                    .build());
            assertThat(open.getTruncated()).isFalse();
            assertThat(open.getPartitionsList())
                    .extracting(p -> p.getTopic() + "-" + p.getPartition())
                    .containsExactly(
                            "orders-0",
                            "orders-1",
                            "orders-2",
                            "invoices-0",
                            "invoices-1",
                            "invoices-2");
            // read_committed consumers stop at the transaction's first record
            PartitionStability held = partition(open, P1);
            assertThat(held.getLastStableOffset()).isEqualTo(first);
            assertThat(held.getHighWatermark()).isGreaterThan(first);
            assertThat(held.getHeldBack())
                    .isEqualTo(held.getHighWatermark() - held.getLastStableOffset());
            PartitionTransaction onPartition =
                    held.getOpenTransactionsList().stream()
                            .filter(o -> o.getProducerId() == transaction.getProducerId())
                            .findFirst()
                            .orElseThrow();
            assertThat(onPartition.getTransactionalId()).isEqualTo(id);
            assertThat(onPartition.getStartOffset()).isEqualTo(first);
            assertThat(onPartition.getHanging())
                    .as("its coordinator names the partition")
                    .isFalse();

            // what `kafka-transactions.sh abort` sends: an abort marker straight to the partition
            admin().abortTransaction(
                            new AbortTransactionSpec(
                                    P1,
                                    onPartition.getProducerId(),
                                    (short) onPartition.getProducerEpoch(),
                                    onPartition.getCoordinatorEpoch()))
                    .all()
                    .get(30, TimeUnit.SECONDS);

            ListTransactionsResponse aborted = awaitList(r -> partition(r, P1).getHeldBack() == 0);
            assertThat(partition(aborted, P1).getLastStableOffset())
                    .isEqualTo(partition(aborted, P1).getHighWatermark())
                    .isGreaterThan(first);
            assertThat(partition(aborted, P1).getOpenTransactionsList()).isEmpty();
        }
        // closing the producer aborts the transaction at its coordinator too
        awaitList(r -> transaction(r, id).isEmpty());
    }

    @Test
    void aTransactionPastItsTimeoutIsAbortedByTheCoordinator() throws Exception {
        String id = "list-tx-timeout-" + UUID.randomUUID();
        try (KafkaProducer<String, OrderEvent> producer = transactional(id, 3_000)) {
            long first = openTransactionOn(producer, P2, "list-tx-timeout");

            ListTransactionsResponse open = awaitList(r -> transaction(r, id).isPresent());
            assertThat(transaction(open, id).orElseThrow().getTimeoutMs()).isEqualTo(3_000);
            assertThat(partition(open, P2).getLastStableOffset()).isEqualTo(first);
            assertThat(partition(open, P2).getHeldBack()).isPositive();

            // the producer neither commits nor aborts: the coordinator aborts the transaction
            // once it is older than its timeout (it looks every
            // transaction.abort.timed.out.transaction.cleanup.interval.ms, 10 s by default)
            ListTransactionsResponse ended =
                    awaitList(
                            r ->
                                    transaction(r, id).isEmpty()
                                            && partition(r, P2).getHeldBack() == 0);
            assertThat(partition(ended, P2).getLastStableOffset())
                    .isEqualTo(partition(ended, P2).getHighWatermark())
                    .isGreaterThan(first);
            // the coordinator bumped the epoch: this producer is fenced, its close says so
            producer.close(Duration.ofSeconds(5));
        }
    }

    @Test
    void atMostLimitTransactionsAndOnlyThoseOldEnough() throws Exception {
        String a = "list-tx-limit-a-" + UUID.randomUUID();
        String b = "list-tx-limit-b-" + UUID.randomUUID();
        try (KafkaProducer<String, OrderEvent> first = transactional(a, 600_000);
                KafkaProducer<String, OrderEvent> second = transactional(b, 600_000)) {
            openTransactionOn(first, P0, "list-tx-limit-a");
            openTransactionOn(second, P0, "list-tx-limit-b");
            awaitList(r -> transaction(r, a).isPresent() && transaction(r, b).isPresent());

            ListTransactionsResponse one =
                    query().listTransactions(
                                    ListTransactionsRequest.newBuilder().setLimit(1).build());
            assertThat(one.getTruncated()).isTrue();
            assertThat(one.getTransactionsCount()).isEqualTo(1);
            assertThat(one.getOpenCount()).isGreaterThanOrEqualTo(2);
            // both hold the partition back; the older one's first offset is the last stable offset
            PartitionStability p0 = partition(one, P0);
            assertThat(p0.getOpenTransactionsList())
                    .extracting(PartitionTransaction::getTransactionalId)
                    .contains(a, b);
            assertThat(p0.getLastStableOffset())
                    .isEqualTo(p0.getOpenTransactions(0).getStartOffset());

            ListTransactionsResponse old =
                    query().listTransactions(
                                    ListTransactionsRequest.newBuilder()
                                            .setMinAgeMs(3_600_000)
                                            .build());
            assertThat(transaction(old, a)).isEmpty();
            assertThat(transaction(old, b)).isEmpty();
        }
        awaitList(r -> partition(r, P0).getHeldBack() == 0);
    }

    @Test
    void limitAndAgeAreChecked() {
        assertStatus(
                () ->
                        query().listTransactions(
                                        ListTransactionsRequest.newBuilder().setLimit(0).build()),
                Status.Code.INVALID_ARGUMENT,
                "limit");
        assertStatus(
                () ->
                        query().listTransactions(
                                        ListTransactionsRequest.newBuilder()
                                                .setLimit(1_001)
                                                .build()),
                Status.Code.INVALID_ARGUMENT,
                "limit");
        assertStatus(
                () ->
                        query().listTransactions(
                                        ListTransactionsRequest.newBuilder()
                                                .setMinAgeMs(-1)
                                                .build()),
                Status.Code.INVALID_ARGUMENT,
                "min_age_ms");
    }

    private static KafkaProducer<String, OrderEvent> transactional(String id, int timeoutMs) {
        Properties properties = producerProperties();
        properties.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id);
        properties.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, timeoutMs);
        return orderProducer(properties);
    }

    /** Begins a transaction, writes one order to the partition, and leaves it open; its offset. */
    private static long openTransactionOn(
            KafkaProducer<String, OrderEvent> producer, TopicPartition tp, String messageId)
            throws Exception {
        producer.initTransactions();
        producer.beginTransaction();
        return producer.send(
                        new ProducerRecord<>(
                                tp.topic(),
                                tp.partition(),
                                "order-" + messageId,
                                orderRecord(tp.topic(), "order-" + messageId, messageId).value()))
                .get(30, TimeUnit.SECONDS)
                .offset();
    }

    private ListTransactionsResponse awaitList(Predicate<ListTransactionsResponse> until) {
        return await().atMost(WAIT)
                .pollInterval(Duration.ofMillis(250))
                .until(
                        () ->
                                query().listTransactions(
                                                ListTransactionsRequest.getDefaultInstance()),
                        until::test);
    }

    private static Optional<OpenTransaction> transaction(
            ListTransactionsResponse response, String transactionalId) {
        return response.getTransactionsList().stream()
                .filter(t -> t.getTransactionalId().equals(transactionalId))
                .findFirst();
    }

    private static PartitionStability partition(
            ListTransactionsResponse response, TopicPartition tp) {
        return response.getPartitionsList().stream()
                .filter(p -> p.getTopic().equals(tp.topic()) && p.getPartition() == tp.partition())
                .findFirst()
                .orElseThrow();
    }
}

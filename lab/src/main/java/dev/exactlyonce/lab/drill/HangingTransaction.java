package dev.exactlyonce.lab.drill;

import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.GetConsumerLagRequest;
import dev.exactlyonce.grpc.v1.GetConsumerLagResponse;
import dev.exactlyonce.grpc.v1.ListTransactionsRequest;
import dev.exactlyonce.grpc.v1.ListTransactionsResponse;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.grpc.v1.PartitionLag;
import dev.exactlyonce.grpc.v1.PartitionStability;
import dev.exactlyonce.grpc.v1.PartitionTransaction;
import dev.exactlyonce.grpc.v1.QueryServiceGrpc;
import dev.exactlyonce.kafka.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The hanging-transaction fault: a foreign transactional producer (a transactional.id of its own, a
 * transaction timeout far beyond the drill) writes one order to every partition of topic orders
 * inside a transaction and stops there, as a producer paused or gone without a successor does. The
 * last stable offset of each partition stays at its record: the pipeline's own committed orders
 * pile up behind it, and the consumer and billing (read_committed) read up to it and wait. The
 * fault shows that through the query service — ListTransactions (the open transaction, the LSO
 * against the high watermark) and GetConsumerLag (no lag up to the LSO, the records beyond it) —
 * then ends it as {@code kafka-transactions.sh abort} does: Admin.abortTransaction per partition,
 * with the producer id and epochs the partition's leader reports. Its records are aborted, never
 * read by anyone; nothing of the pipeline's may be lost or duplicated.
 */
final class HangingTransaction {

    /** The transaction stays open at least this long, and until the consumer waits behind it. */
    static final Duration HELD_AT_LEAST = Duration.ofSeconds(5);

    /** Far beyond the drill: only the abort ends the transaction. */
    static final int TRANSACTION_TIMEOUT_MS = 600_000;

    private HangingTransaction() {}

    /**
     * Opens the transaction, waits until every partition of orders is held back and the consumer
     * has read up to the last stable offsets, aborts it, and waits until the last stable offsets
     * are past it; says what it saw.
     */
    static String leaveOpenThenAbort(
            String bootstrapServers,
            Admin admin,
            Supplier<QueryServiceGrpc.QueryServiceBlockingStub> query,
            Duration timeout)
            throws Exception {
        String transactionalId = "drill-hanging-" + UUID.randomUUID();
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, TRANSACTION_TIMEOUT_MS),
                        new StringSerializer(),
                        new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int partition = 0; partition < Topics.ORDERS_PARTITIONS; partition++) {
                String orderId = transactionalId + "-" + partition;
                OrderEvent event = event(orderId);
                ProducerRecord<String, byte[]> record =
                        new ProducerRecord<>(
                                Topics.ORDERS, partition, orderId, event.toByteArray());
                record.headers()
                        .add(
                                Topics.HEADER_MESSAGE_ID,
                                event.getMessageId().getBytes(StandardCharsets.UTF_8));
                producer.send(record).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }

            Stall stall =
                    await("the consumer waiting behind " + transactionalId)
                            .pollDelay(HELD_AT_LEAST)
                            .pollInterval(Duration.ofMillis(250))
                            .atMost(timeout)
                            .until(
                                    () -> Stall.observe(query.get(), transactionalId),
                                    Stall::consumerWaitsBehindIt);

            // what `kafka-transactions.sh abort --start-offset` sends, partition by partition
            for (OnPartition open : stall.open()) {
                admin.abortTransaction(
                                new AbortTransactionSpec(
                                        new TopicPartition(Topics.ORDERS, open.partition()),
                                        open.transaction().getProducerId(),
                                        (short) open.transaction().getProducerEpoch(),
                                        // the tool's rule: a coordinator epoch the leader does not
                                        // know yet (-1) becomes 0
                                        Math.max(0, open.transaction().getCoordinatorEpoch())))
                        .all()
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
            await("the last stable offsets past " + transactionalId)
                    .pollInterval(Duration.ofMillis(250))
                    .atMost(timeout)
                    .until(() -> Stall.observe(query.get(), transactionalId).open().isEmpty());
            return "left transaction "
                    + transactionalId
                    + " open on "
                    + Topics.ORDERS
                    + "-0.."
                    + (Topics.ORDERS_PARTITIONS - 1)
                    + " ("
                    + stall
                    + "), then aborted it with Admin.abortTransaction (kafka-transactions.sh abort)";
        }
        // closing the producer aborts the transaction at its coordinator too
    }

    /** The drill's order, well formed: aborted, it is never read. */
    static OrderEvent event(String orderId) {
        return OrderEvent.newBuilder()
                .setOrderId(orderId)
                .setMessageId(orderId + "-m")
                .setCustomerId("cust-hanging")
                .addItems(OrderItem.newBuilder().setName("Widget").setQuantity(1).setPrice(1))
                .setTotalAmount(1)
                .setProducerId("drill-hanging-transaction")
                .build();
    }

    /** The hanging transaction on one partition, as ListTransactions shows it. */
    record OnPartition(int partition, PartitionTransaction transaction) {}

    /** What the query service shows while the transaction is open. */
    record Stall(
            ListTransactionsResponse transactions,
            GetConsumerLagResponse lag,
            String transactionalId,
            List<OnPartition> open) {

        static Stall observe(QueryServiceGrpc.QueryServiceBlockingStub query, String id) {
            ListTransactionsResponse transactions =
                    query.listTransactions(ListTransactionsRequest.getDefaultInstance());
            GetConsumerLagResponse lag =
                    query.getConsumerLag(GetConsumerLagRequest.getDefaultInstance());
            List<OnPartition> open = new ArrayList<>();
            orders(transactions)
                    .forEach(
                            p ->
                                    p.getOpenTransactionsList().stream()
                                            .filter(t -> t.getTransactionalId().equals(id))
                                            .forEach(
                                                    t ->
                                                            open.add(
                                                                    new OnPartition(
                                                                            p.getPartition(), t))));
            return new Stall(transactions, lag, id, open);
        }

        private static List<PartitionStability> orders(ListTransactionsResponse transactions) {
            return transactions.getPartitionsList().stream()
                    .filter(p -> p.getTopic().equals(Topics.ORDERS))
                    .toList();
        }

        /**
         * Open on every partition, every partition's last stable offset at it, and the consumer
         * with nothing left to read before them.
         */
        boolean consumerWaitsBehindIt() {
            return open.size() == Topics.ORDERS_PARTITIONS
                    && orders(transactions).stream()
                            .allMatch(
                                    p ->
                                            p.getHeldBack() > 0
                                                    && open.stream()
                                                            .anyMatch(
                                                                    o ->
                                                                            o.partition()
                                                                                            == p
                                                                                                    .getPartition()
                                                                                    && o.transaction()
                                                                                                    .getStartOffset()
                                                                                            == p
                                                                                                    .getLastStableOffset()))
                    && lag.getTotalLag() == 0;
        }

        @Override
        public String toString() {
            String listed =
                    transactions.getTransactionsList().stream()
                            .filter(t -> t.getTransactionalId().equals(transactionalId))
                            .map(t -> t.getState() + " for " + t.getAgeMs() + " ms")
                            .findFirst()
                            .orElse("not listed");
            long heldBack =
                    orders(transactions).stream().mapToLong(PartitionStability::getHeldBack).sum();
            long waiting =
                    lag.getPartitionsList().stream()
                            .mapToLong(p -> p.getEndOffset() - position(p))
                            .sum();
            return "ListTransactions: "
                    + listed
                    + ", last stable offsets "
                    + heldBack
                    + " offsets behind the high watermarks; GetConsumerLag: lag "
                    + lag.getTotalLag()
                    + ", "
                    + waiting
                    + " offsets beyond the consumer's position";
        }

        private static long position(PartitionLag p) {
            return p.getEffectivePosition() < 0 ? 0 : p.getEffectivePosition();
        }
    }
}

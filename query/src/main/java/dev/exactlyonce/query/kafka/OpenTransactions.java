package dev.exactlyonce.query.kafka;

import dev.exactlyonce.grpc.v1.ListTransactionsResponse;
import dev.exactlyonce.grpc.v1.OpenTransaction;
import dev.exactlyonce.grpc.v1.PartitionOffset;
import dev.exactlyonce.grpc.v1.PartitionStability;
import dev.exactlyonce.grpc.v1.PartitionTransaction;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.query.StoredOrderConverter;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeProducersOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.DescribeTransactionsOptions;
import org.apache.kafka.clients.admin.DescribeTransactionsResult;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TransactionalIdNotFoundException;

/**
 * ListTransactions: the open transactions as the coordinators hold them (ListTransactions, then
 * DescribeTransactions for their state, start, timeout and partitions), and each partition of
 * orders and invoices as its leader sees it: the last stable offset (ListOffsets latest,
 * read_committed) against the high watermark (read_uncommitted), and the producers with a
 * transaction open there (DescribeProducers).
 *
 * <p>A transaction open on a partition that no coordinator names for that producer is hanging: no
 * marker will come, the last stable offset stays where it is and every read_committed consumer
 * waits behind it until an abort ({@code kafka-transactions.sh abort}, Admin.abortTransaction). The
 * test is {@code kafka-transactions.sh find-hanging}'s, in its order: the partitions first, then
 * the coordinators, so that a transaction the coordinator completes in between is not named; and
 * the partitions once more for the ones found, so that one whose marker arrived meanwhile is not
 * named either (find-hanging waits out the maximum transaction timeout instead).
 *
 * <p>Bounded: at most {@link #MAX_LISTED} transactions are described (the first by transactional
 * id; {@code truncated} says so), and every Admin call gives up after {@value #TIMEOUT_MS} ms.
 */
@Singleton
public class OpenTransactions {

    /** The most transactions one answer describes. */
    public static final int MAX_LISTED = 1_000;

    private static final long TIMEOUT_MS = 10_000;

    /** The coordinator states of a transaction that is not over. */
    static final Set<TransactionState> OPEN =
            EnumSet.of(
                    TransactionState.ONGOING,
                    TransactionState.PREPARE_COMMIT,
                    TransactionState.PREPARE_ABORT,
                    TransactionState.PREPARE_EPOCH_FENCE);

    /** The topics whose last stable offsets are shown: the two the pipeline reads committed. */
    static final List<String> TOPICS = List.of(Topics.ORDERS, Topics.INVOICES);

    private final Admin admin;

    public OpenTransactions(Admin admin) {
        this.admin = admin;
    }

    /**
     * Up to {@code limit} open transactions at least {@code minAgeMs} old, and the partitions of
     * orders and invoices.
     */
    public ListTransactionsResponse list(int limit, long minAgeMs)
            throws ExecutionException, InterruptedException, TimeoutException {
        // the partitions first (see the class comment)
        List<TopicPartition> partitions = partitions();
        Map<TopicPartition, List<ProducerState>> openOnPartitions = openProducers(partitions);
        Map<TopicPartition, Long> stable = offsets(partitions, IsolationLevel.READ_COMMITTED);
        Map<TopicPartition, Long> high = offsets(partitions, IsolationLevel.READ_UNCOMMITTED);

        List<String> openIds =
                listings(
                                new ListTransactionsOptions()
                                        .filterStates(OPEN)
                                        .filterOnDuration(minAgeMs))
                        .stream()
                        .map(TransactionListing::transactionalId)
                        .distinct()
                        .sorted()
                        .toList();
        boolean truncated = openIds.size() > limit;
        Map<String, TransactionDescription> listed =
                describe(truncated ? openIds.subList(0, limit) : openIds);

        // the coordinators' view of every producer open on a partition, listed or not
        Map<Long, String> idsByProducer = new HashMap<>();
        Map<Long, TransactionDescription> byProducer = new HashMap<>();
        listed.forEach(
                (id, d) -> {
                    idsByProducer.put(d.producerId(), id);
                    byProducer.put(d.producerId(), d);
                });
        Set<Long> unlisted = new HashSet<>();
        openOnPartitions
                .values()
                .forEach(
                        states ->
                                states.stream()
                                        .map(ProducerState::producerId)
                                        .filter(id -> !byProducer.containsKey(id))
                                        .forEach(unlisted::add));
        if (!unlisted.isEmpty()) {
            Map<Long, String> ids = new HashMap<>();
            listings(new ListTransactionsOptions().filterProducerIds(unlisted))
                    .forEach(l -> ids.put(l.producerId(), l.transactionalId()));
            describe(new HashSet<>(ids.values()))
                    .forEach(
                            (id, d) -> {
                                idsByProducer.put(d.producerId(), id);
                                byProducer.put(d.producerId(), d);
                            });
            // a producer id the coordinators no longer know still has its id, if they listed one
            ids.forEach(idsByProducer::putIfAbsent);
        }
        Set<OpenOn> hanging = hanging(openOnPartitions, byProducer);

        long now = System.currentTimeMillis();
        ListTransactionsResponse.Builder response =
                ListTransactionsResponse.newBuilder()
                        .setTruncated(truncated)
                        .setOpenCount(openIds.size());
        listed.entrySet().stream()
                .filter(e -> OPEN.contains(e.getValue().state()))
                .sorted(
                        Comparator.comparingLong(
                                        (Map.Entry<String, TransactionDescription> e) ->
                                                e.getValue()
                                                        .transactionStartTimeMs()
                                                        .orElse(Long.MAX_VALUE))
                                .thenComparing(Map.Entry::getKey))
                .forEach(
                        e ->
                                response.addTransactions(
                                        transaction(
                                                e.getKey(), e.getValue(), openOnPartitions, now)));
        for (TopicPartition tp : partitions) {
            long lastStable = stable.get(tp);
            long highWatermark = high.get(tp);
            PartitionStability.Builder partition =
                    PartitionStability.newBuilder()
                            .setTopic(tp.topic())
                            .setPartition(tp.partition())
                            .setLastStableOffset(lastStable)
                            .setHighWatermark(highWatermark)
                            .setHeldBack(Math.max(0, highWatermark - lastStable));
            openOnPartitions.getOrDefault(tp, List.of()).stream()
                    .sorted(
                            Comparator.comparingLong(
                                    s -> s.currentTransactionStartOffset().orElse(-1)))
                    .forEach(
                            s ->
                                    partition.addOpenTransactions(
                                            PartitionTransaction.newBuilder()
                                                    .setProducerId(s.producerId())
                                                    .setProducerEpoch(s.producerEpoch())
                                                    .setCoordinatorEpoch(
                                                            s.coordinatorEpoch().orElse(-1))
                                                    .setStartOffset(
                                                            s.currentTransactionStartOffset()
                                                                    .orElse(-1))
                                                    .setLastWriteAt(
                                                            StoredOrderConverter.timestamp(
                                                                    Instant.ofEpochMilli(
                                                                            s.lastTimestamp())))
                                                    .setTransactionalId(
                                                            idsByProducer.getOrDefault(
                                                                    s.producerId(), ""))
                                                    .setHanging(
                                                            hanging.contains(OpenOn.of(tp, s)))));
            response.addPartitions(partition);
        }
        return response.build();
    }

    /** A transaction open on a partition: which producer, from which offset. */
    private record OpenOn(TopicPartition partition, long producerId, long startOffset) {

        static OpenOn of(TopicPartition partition, ProducerState state) {
            return new OpenOn(
                    partition,
                    state.producerId(),
                    state.currentTransactionStartOffset().orElse(-1));
        }
    }

    /**
     * The open transactions on partitions that no coordinator names for their producer, and that
     * are still open on a second look.
     */
    private Set<OpenOn> hanging(
            Map<TopicPartition, List<ProducerState>> openOnPartitions,
            Map<Long, TransactionDescription> byProducer)
            throws ExecutionException, InterruptedException, TimeoutException {
        Set<OpenOn> candidates = new HashSet<>();
        openOnPartitions.forEach(
                (tp, states) ->
                        states.forEach(
                                s -> {
                                    TransactionDescription d = byProducer.get(s.producerId());
                                    if (d == null || !d.topicPartitions().contains(tp)) {
                                        candidates.add(OpenOn.of(tp, s));
                                    }
                                }));
        if (candidates.isEmpty()) {
            return Set.of();
        }
        Set<OpenOn> stillOpen = new HashSet<>();
        openProducers(candidates.stream().map(OpenOn::partition).distinct().toList())
                .forEach((tp, states) -> states.forEach(s -> stillOpen.add(OpenOn.of(tp, s))));
        candidates.retainAll(stillOpen);
        return candidates;
    }

    private static OpenTransaction transaction(
            String transactionalId,
            TransactionDescription d,
            Map<TopicPartition, List<ProducerState>> openOnPartitions,
            long now) {
        OpenTransaction.Builder transaction =
                OpenTransaction.newBuilder()
                        .setTransactionalId(transactionalId)
                        .setProducerId(d.producerId())
                        .setProducerEpoch(d.producerEpoch())
                        .setState(d.state().name())
                        .setTimeoutMs(d.transactionTimeoutMs())
                        .setCoordinatorId(d.coordinatorId());
        d.transactionStartTimeMs()
                .ifPresent(
                        start -> {
                            transaction.setStartedAt(
                                    StoredOrderConverter.timestamp(Instant.ofEpochMilli(start)));
                            // the coordinator's clock against ours: never below 0
                            transaction.setAgeMs(Math.max(0, now - start));
                        });
        d.topicPartitions().stream()
                .sorted(
                        Comparator.comparing(TopicPartition::topic)
                                .thenComparingInt(TopicPartition::partition))
                .forEach(
                        tp ->
                                transaction.addPartitions(
                                        PartitionOffset.newBuilder()
                                                .setTopic(tp.topic())
                                                .setPartition(tp.partition())
                                                .setOffset(
                                                        openOnPartitions
                                                                .getOrDefault(tp, List.of())
                                                                .stream()
                                                                .filter(
                                                                        s ->
                                                                                s.producerId()
                                                                                        == d
                                                                                                .producerId())
                                                                .mapToLong(
                                                                        s ->
                                                                                s.currentTransactionStartOffset()
                                                                                        .orElse(-1))
                                                                .findFirst()
                                                                .orElse(-1))));
        return transaction.build();
    }

    private List<TopicPartition> partitions()
            throws ExecutionException, InterruptedException, TimeoutException {
        List<TopicPartition> partitions = new ArrayList<>();
        await(
                        admin.describeTopics(
                                        TOPICS,
                                        new DescribeTopicsOptions().timeoutMs((int) TIMEOUT_MS))
                                .allTopicNames())
                .values()
                .forEach(
                        d ->
                                d.partitions()
                                        .forEach(
                                                p ->
                                                        partitions.add(
                                                                new TopicPartition(
                                                                        d.name(), p.partition()))));
        partitions.sort(
                Comparator.comparing((TopicPartition tp) -> TOPICS.indexOf(tp.topic()))
                        .thenComparingInt(TopicPartition::partition));
        return partitions;
    }

    /** Per partition, the producers with a transaction open there, as its leader knows them. */
    private Map<TopicPartition, List<ProducerState>> openProducers(List<TopicPartition> partitions)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, List<ProducerState>> open = new HashMap<>();
        await(
                        admin.describeProducers(
                                        partitions,
                                        new DescribeProducersOptions().timeoutMs((int) TIMEOUT_MS))
                                .all())
                .forEach(
                        (tp, state) ->
                                open.put(
                                        tp,
                                        state.activeProducers().stream()
                                                .filter(
                                                        s ->
                                                                s.currentTransactionStartOffset()
                                                                        .isPresent())
                                                .toList()));
        return open;
    }

    /** The latest offsets: the last stable ones read_committed, the high watermarks otherwise. */
    private Map<TopicPartition, Long> offsets(
            List<TopicPartition> partitions, IsolationLevel isolation)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(tp -> request.put(tp, OffsetSpec.latest()));
        Map<TopicPartition, Long> offsets = new HashMap<>();
        await(
                        admin.listOffsets(
                                        request,
                                        new ListOffsetsOptions(isolation)
                                                .timeoutMs((int) TIMEOUT_MS))
                                .all())
                .forEach((tp, info) -> offsets.put(tp, info.offset()));
        return offsets;
    }

    private Collection<TransactionListing> listings(ListTransactionsOptions options)
            throws ExecutionException, InterruptedException, TimeoutException {
        return await(admin.listTransactions(options.timeoutMs((int) TIMEOUT_MS)).all());
    }

    /**
     * The coordinators' descriptions; an id no coordinator knows any more (its transaction ended
     * and the id expired since it was listed) is left out.
     */
    private Map<String, TransactionDescription> describe(Collection<String> transactionalIds)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<String, TransactionDescription> descriptions = new HashMap<>();
        if (transactionalIds.isEmpty()) {
            return descriptions;
        }
        DescribeTransactionsResult result =
                admin.describeTransactions(
                        transactionalIds,
                        new DescribeTransactionsOptions().timeoutMs((int) TIMEOUT_MS));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        for (String id : transactionalIds) {
            try {
                descriptions.put(
                        id,
                        result.description(id)
                                .get(
                                        Math.max(0, deadline - System.nanoTime()),
                                        TimeUnit.NANOSECONDS));
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TransactionalIdNotFoundException)) {
                    throw e;
                }
            }
        }
        return descriptions;
    }

    private static <T> T await(KafkaFuture<T> future)
            throws ExecutionException, InterruptedException, TimeoutException {
        return future.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }
}

package dev.exactlyonce.query.kafka;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.GetConsumerLagResponse;
import dev.exactlyonce.grpc.v1.PartitionLag;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.query.QuerySettings;
import dev.exactlyonce.query.store.DbOffset;
import dev.exactlyonce.query.store.KafkaOffsetRepository;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * Lag of the real consumer group on topic orders, against the position the consumer really resumes
 * from: the offsets in PostgreSQL (kafka_offsets) when it runs exactly-once, Kafka's committed
 * offsets otherwise.
 *
 * <p>Lag counts committed records only. The log end offset also counts transaction markers (one per
 * partition per transaction) and aborted records, which a read_committed consumer never receives,
 * so "end - position" would never reach 0 after transactional writes. Up to {@value
 * #EXACT_COUNT_LIMIT} records behind, the records are counted with a read_committed consumer;
 * further behind, lag is approximated as last stable offset - position (markers and aborted records
 * included).
 */
@Singleton
public class ConsumerLagReader {

    static final long EXACT_COUNT_LIMIT = 10_000;
    private static final long TIMEOUT_MS = 10_000;

    /**
     * The counter reads only what is there, below the last stable offset, and a partition often
     * ends in a commit marker that no poll returns. So its fetches that find nothing come back at
     * once (the broker holds an empty fetch for {@code fetch.max.wait.ms}, 500 ms by default, and
     * the next call's fetch waits behind it), and it polls in short slices (a poll that received
     * only markers waits out its whole timeout). With 500 ms and 200 ms polls, one GetConsumerLag
     * of a group that had read everything took ~0.5 s, and the bench counted it into billing's
     * time.
     */
    private static final int FETCH_MAX_WAIT_MS = 10;

    private static final Duration POLL_SLICE = Duration.ofMillis(10);

    private final Admin admin;
    private final KafkaOffsetRepository dbOffsets;
    private final ConsumerModeWatch consumerMode;
    private final Consumer<byte[], byte[]> counter;
    private final String consumerGroupId;

    public ConsumerLagReader(
            Admin admin,
            KafkaOffsetRepository dbOffsets,
            ConsumerModeWatch consumerMode,
            KafkaClients clients,
            QuerySettings settings) {
        this.consumerGroupId = settings.consumerGroupId();
        this.admin = admin;
        this.dbOffsets = dbOffsets;
        this.consumerMode = consumerMode;
        this.counter =
                clients.committedReader(
                        "query-lag-counter",
                        Map.of(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, FETCH_MAX_WAIT_MS));
    }

    public GetConsumerLagResponse lag(String groupId)
            throws ExecutionException, InterruptedException, TimeoutException {
        List<TopicPartition> partitions =
                admin
                        .describeTopics(List.of(Topics.ORDERS))
                        .allTopicNames()
                        .get(TIMEOUT_MS, TimeUnit.MILLISECONDS)
                        .get(Topics.ORDERS)
                        .partitions()
                        .stream()
                        .map(p -> new TopicPartition(Topics.ORDERS, p.partition()))
                        .toList();
        Map<TopicPartition, ListOffsetsResultInfo> starts =
                offsets(partitions, OffsetSpec.earliest(), IsolationLevel.READ_UNCOMMITTED);
        Map<TopicPartition, ListOffsetsResultInfo> ends =
                offsets(partitions, OffsetSpec.latest(), IsolationLevel.READ_UNCOMMITTED);
        Map<TopicPartition, ListOffsetsResultInfo> stable =
                offsets(partitions, OffsetSpec.latest(), IsolationLevel.READ_COMMITTED);
        Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(groupId)
                        .partitionsToOffsetAndMetadata()
                        .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        Map<Integer, Long> inDatabase =
                dbOffsets.offsetsOf(groupId, Topics.ORDERS).stream()
                        .collect(Collectors.toMap(DbOffset::kafkaPartition, DbOffset::nextOffset));
        // only the PostgreSQL consumer resumes from the database; billing (and any other group)
        // from Kafka
        boolean databasePositions =
                groupId.equals(consumerGroupId)
                        ? usesDatabasePositions(
                                consumerMode.processingMode(), !inDatabase.isEmpty())
                        : !inDatabase.isEmpty();

        GetConsumerLagResponse.Builder response =
                GetConsumerLagResponse.newBuilder()
                        .setGroupId(groupId)
                        .setPositionSource(databasePositions ? "database" : "kafka");
        long total = 0;
        for (TopicPartition tp : partitions) {
            OffsetAndMetadata kafkaCommitted = committed.get(tp);
            long kafkaOffset = kafkaCommitted == null ? -1 : kafkaCommitted.offset();
            long dbOffset = inDatabase.getOrDefault(tp.partition(), -1L);
            // as the consumer seeks on assignment: the database offset, unless Kafka's is ahead
            // (left there by
            // an at-least-once or at-most-once period, which keep their offsets in Kafka only)
            long effective =
                    databasePositions && dbOffset >= 0
                            ? Math.max(dbOffset, kafkaOffset)
                            : kafkaOffset;
            // no position at all: the consumer starts at the log start (auto.offset.reset=earliest)
            long from = effective >= 0 ? effective : starts.get(tp).offset();
            long lag = committedRecordsBetween(tp, from, stable.get(tp).offset());
            total += lag;
            response.addPartitions(
                    PartitionLag.newBuilder()
                            .setPartition(tp.partition())
                            .setEndOffset(ends.get(tp).offset())
                            .setKafkaCommittedOffset(kafkaOffset)
                            .setDbOffset(dbOffset)
                            .setEffectivePosition(effective)
                            .setLag(lag));
        }
        return response.setTotalLag(total).build();
    }

    /**
     * Exactly-once resumes from PostgreSQL; the other modes from Kafka. When no consumer setting
     * was ever stored, the group's rows in kafka_offsets tell that it runs (or ran) exactly-once.
     */
    static boolean usesDatabasePositions(DeliveryMode mode, boolean hasDatabaseOffsets) {
        return switch (mode) {
            case EXACTLY_ONCE -> true;
            case AT_MOST_ONCE, AT_LEAST_ONCE -> false;
            default -> hasDatabaseOffsets;
        };
    }

    private Map<TopicPartition, ListOffsetsResultInfo> offsets(
            List<TopicPartition> partitions, OffsetSpec spec, IsolationLevel isolation)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(tp -> request.put(tp, spec));
        return admin.listOffsets(request, new ListOffsetsOptions(isolation))
                .all()
                .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Committed records in [from, lastStable): counted when few, else approximated (see class
     * comment).
     */
    private synchronized long committedRecordsBetween(
            TopicPartition tp, long from, long lastStable) {
        if (from >= lastStable) {
            return 0;
        }
        if (lastStable - from > EXACT_COUNT_LIMIT) {
            return lastStable - from;
        }
        counter.assign(List.of(tp));
        counter.seek(tp, from);
        long count = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (counter.position(tp) < lastStable) {
            if (System.nanoTime() > deadline) {
                return lastStable - from;
            }
            for (ConsumerRecord<byte[], byte[]> record : counter.poll(POLL_SLICE)) {
                if (record.offset() < lastStable) {
                    count++;
                }
            }
        }
        return count;
    }

    @PreDestroy
    synchronized void close() {
        counter.close(Duration.ofSeconds(1));
    }
}

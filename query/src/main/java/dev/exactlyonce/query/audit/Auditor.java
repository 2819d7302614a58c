package dev.exactlyonce.query.audit;

import com.google.protobuf.Timestamp;
import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.GetConsumerLagResponse;
import dev.exactlyonce.grpc.v1.PartitionLag;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.query.QuerySettings;
import dev.exactlyonce.query.kafka.CommittedLogScanner;
import dev.exactlyonce.query.kafka.ConsumerLagReader;
import dev.exactlyonce.query.store.KeyConflictRepository;
import dev.exactlyonce.query.store.OrderRepository;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end-to-end audit of the window since the last Reset: waits until the consumer group has no
 * lag (or the deadline passes), streams the window's committed records of orders and orders.dlq into
 * the {@link AuditLedger}, compares with what PostgreSQL stored and lets {@link AuditVerdict} judge.
 * Records beyond the consumer's position are in flight: counted, not judged.
 */
@Singleton
public class Auditor {

    private static final Logger LOG = LoggerFactory.getLogger(Auditor.class);
    private static final Duration LAG_POLL = Duration.ofMillis(500);

    private final AuditWindows windows;
    private final ConsumerLagReader lagReader;
    private final CommittedLogScanner scanner;
    private final AuditLedger ledger;
    private final ProducerAcknowledgements producer;
    private final String groupId;
    private final KeyConflictRepository keyConflicts;
    private final OrderRepository orders;

    public Auditor(AuditWindows windows, ConsumerLagReader lagReader, CommittedLogScanner scanner, AuditLedger ledger,
                   ProducerAcknowledgements producer, QuerySettings settings, KeyConflictRepository keyConflicts,
                   OrderRepository orders) {
        this.orders = orders;
        this.keyConflicts = keyConflicts;
        this.windows = windows;
        this.lagReader = lagReader;
        this.scanner = scanner;
        this.ledger = ledger;
        this.producer = producer;
        this.groupId = settings.consumerGroupId();
    }

    /** @param acknowledged the caller's count, or empty to ask the producer */
    public AuditResponse audit(Duration wait, OptionalLong acknowledged) throws Exception {
        long started = System.nanoTime();
        GetConsumerLagResponse lag = awaitDrained(wait);
        AuditWindows.Window window = windows.current();
        // where the consumer really is: records from here on are in flight
        Map<Integer, Long> positions = new HashMap<>();
        for (PartitionLag partition : lag.getPartitionsList()) {
            positions.put(partition.getPartition(), partition.getEffectivePosition());
        }

        AuditCounts counts = ledger.count(fill -> {
            try (AuditLedger.Copy committed = fill.committed()) {
                scanner.scan(Topics.ORDERS, window.startOf(Topics.ORDERS), (partition, offset, messageId) ->
                        committed.row(messageId, offset < positions.getOrDefault(partition, -1L)));
            }
            try (AuditLedger.Copy deadLettered = fill.deadLettered()) {
                scanner.scan(Topics.DLQ, window.startOf(Topics.DLQ), (partition, offset, messageId) ->
                        deadLettered.row(messageId));
            }
        });

        ProducerAcknowledgements.Acknowledged acked = acknowledged.isPresent()
                ? new ProducerAcknowledgements.Acknowledged(acknowledged, "request")
                : producer.forWindow(window.id());
        // orders refused as reused keys are in order_conflicts, neither stored nor lost
        long refusedOffers = keyConflicts.distinctOffers();
        AuditVerdict verdict = AuditVerdict.judge(counts, acked.count(), lag.getTotalLag(), refusedOffers);

        AuditResponse.Builder response = AuditResponse.newBuilder()
                .setAcknowledged(acked.count().orElse(0))
                .setAcknowledgedSource(acked.source())
                .setCommittedInKafka(counts.committedDistinct())
                .setStoredRows(counts.storedRows())
                .setStoredDistinct(counts.storedDistinct())
                .setLost(verdict.lost())
                .setDuplicated(verdict.duplicated())
                .setDeadLettered(counts.deadLettered())
                .setDrained(lag.getTotalLag() == 0)
                .setInFlight(lag.getTotalLag())
                .setVerdict(verdict.verdict())
                .setKeyConflicts(keyConflicts.count())
                .setOutOfKafkaOrder(orders.countOutOfKafkaOrder());
        if (window.startedAt() != null) {
            response.setWindowStart(Timestamp.newBuilder()
                    .setSeconds(window.startedAt().getEpochSecond()).setNanos(window.startedAt().getNano()));
        }
        LOG.info("audit: {} ({} committed, {} rows, {} lost, {} duplicated, {} in flight) in {} ms",
                verdict.verdict(), counts.committedDistinct(), counts.storedRows(), verdict.lost(),
                verdict.duplicated(), lag.getTotalLag(), (System.nanoTime() - started) / 1_000_000);
        return response.build();
    }

    private GetConsumerLagResponse awaitDrained(Duration wait) throws Exception {
        long deadline = System.nanoTime() + wait.toNanos();
        GetConsumerLagResponse lag = lagWithin(deadline);
        while (lag.getTotalLag() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(Math.min(LAG_POLL.toMillis(), Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            lag = lagWithin(deadline);
        }
        return lag;
    }

    /**
     * The lag, asked again while the wait lasts when Kafka does not answer in time: right after brokers
     * came back, a leader or coordinator can still be moving, and an audit asked to wait should wait.
     */
    private GetConsumerLagResponse lagWithin(long deadline) throws Exception {
        while (true) {
            try {
                return lagReader.lag(groupId);
            } catch (TimeoutException | ExecutionException e) {
                if (System.nanoTime() >= deadline) {
                    throw e;
                }
                LOG.info("audit: the consumer's lag is not readable yet ({}); asking again", e.toString());
                Thread.sleep(LAG_POLL.toMillis());
            }
        }
    }
}

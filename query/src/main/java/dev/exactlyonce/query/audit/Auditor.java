package dev.exactlyonce.query.audit;

import com.google.protobuf.Timestamp;
import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.GetConsumerLagResponse;
import dev.exactlyonce.grpc.v1.InvoiceAudit;
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
 * The end-to-end audit of the window since the last Reset: waits until the consumer group and the
 * billing group have no lag (or the deadline passes), streams the window's committed records of orders,
 * orders.dlq, invoices and billing.dlq into the {@link AuditLedger}, and lets {@link AuditVerdict} judge
 * two legs: orders against what PostgreSQL stored, and orders against the invoices billing committed.
 * Records beyond a group's position are in flight for that leg: counted, not judged.
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
    private final String billingGroupId;

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
        this.billingGroupId = settings.billingGroupId();
    }

    /** @param acknowledged the caller's count, or empty to ask the producer */
    public AuditResponse audit(Duration wait, OptionalLong acknowledged) throws Exception {
        long started = System.nanoTime();
        long deadline = started + wait.toNanos();
        GetConsumerLagResponse lag = awaitDrained(groupId, deadline);
        // billing may not run at all (a lab without it, a cluster without the workload): then no waiting
        GetConsumerLagResponse billingLag = lagWithin(billingGroupId, deadline);
        boolean billingRan = billingLag.getPartitionsList().stream().anyMatch(p -> p.getKafkaCommittedOffset() >= 0);
        if (billingRan) {
            billingLag = awaitDrained(billingGroupId, deadline);
        }
        AuditWindows.Window window = windows.current();
        // where each group really is: records from there on are in flight for its leg
        Map<Integer, Long> positions = positions(lag);
        Map<Integer, Long> billingPositions = positions(billingLag);

        AuditLedger.Legs legs = ledger.count(fill -> {
            try (AuditLedger.Copy committed = fill.committed()) {
                scanner.scan(Topics.ORDERS, window.startOf(Topics.ORDERS), (partition, offset, messageId) ->
                        committed.row(messageId, offset < positions.getOrDefault(partition, -1L),
                                offset < billingPositions.getOrDefault(partition, -1L)));
            }
            try (AuditLedger.Copy deadLettered = fill.deadLettered()) {
                scanner.scan(Topics.DLQ, window.startOf(Topics.DLQ), (partition, offset, messageId) ->
                        deadLettered.row(messageId));
            }
            try (AuditLedger.Copy invoices = fill.invoices()) {
                scanner.scan(Topics.INVOICES, window.startOf(Topics.INVOICES), (partition, offset, messageId) ->
                        invoices.row(messageId));
            }
            try (AuditLedger.Copy billingDeadLettered = fill.billingDeadLettered()) {
                scanner.scan(Topics.BILLING_DLQ, window.startOf(Topics.BILLING_DLQ), (partition, offset, messageId) ->
                        billingDeadLettered.row(messageId));
            }
        });
        AuditCounts counts = legs.stored();

        ProducerAcknowledgements.Acknowledged acked = acknowledged.isPresent()
                ? new ProducerAcknowledgements.Acknowledged(acknowledged, "request")
                : producer.forWindow(window.id());
        // orders refused as reused keys are in order_conflicts, neither stored nor lost
        long refusedOffers = keyConflicts.distinctOffers();
        AuditVerdict verdict = AuditVerdict.judge(counts, acked.count(), lag.getTotalLag(), refusedOffers);
        AuditVerdict invoiceVerdict = AuditVerdict.judge(legs.invoiced(), acked.count(), billingLag.getTotalLag());

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
                .setOutOfKafkaOrder(orders.countOutOfKafkaOrder())
                .setInvoices(InvoiceAudit.newBuilder()
                        .setGroupId(billingGroupId)
                        .setInvoicesTotal(legs.invoiced().storedRows())
                        .setInvoicesDistinct(legs.invoiced().storedDistinct())
                        .setLost(invoiceVerdict.lost())
                        .setDuplicated(invoiceVerdict.duplicated())
                        .setDeadLettered(legs.invoiced().deadLettered())
                        .setDrained(billingRan && billingLag.getTotalLag() == 0)
                        .setInFlight(billingLag.getTotalLag())
                        .setVerdict(billingRan ? invoiceVerdict.verdict()
                                : "NO_BILLING (group " + billingGroupId + " has committed no offsets)"));
        if (window.startedAt() != null) {
            response.setWindowStart(Timestamp.newBuilder()
                    .setSeconds(window.startedAt().getEpochSecond()).setNanos(window.startedAt().getNano()));
        }
        LOG.info("audit: {} ({} committed, {} rows, {} lost, {} duplicated, {} in flight); invoices: {} ({} invoices,"
                        + " {} lost, {} duplicated, {} in flight) in {} ms",
                verdict.verdict(), counts.committedDistinct(), counts.storedRows(), verdict.lost(),
                verdict.duplicated(), lag.getTotalLag(), response.getInvoices().getVerdict(),
                legs.invoiced().storedRows(), invoiceVerdict.lost(), invoiceVerdict.duplicated(),
                billingLag.getTotalLag(), (System.nanoTime() - started) / 1_000_000);
        return response.build();
    }

    private GetConsumerLagResponse awaitDrained(String group, long deadline) throws Exception {
        GetConsumerLagResponse lag = lagWithin(group, deadline);
        while (lag.getTotalLag() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(Math.min(LAG_POLL.toMillis(), Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            lag = lagWithin(group, deadline);
        }
        return lag;
    }

    /**
     * The lag, asked again while the wait lasts when Kafka does not answer in time: right after brokers
     * came back, a leader or coordinator can still be moving, and an audit asked to wait should wait.
     */
    private GetConsumerLagResponse lagWithin(String group, long deadline) throws Exception {
        while (true) {
            try {
                return lagReader.lag(group);
            } catch (TimeoutException | ExecutionException e) {
                if (System.nanoTime() >= deadline) {
                    throw e;
                }
                LOG.info("audit: the lag of {} is not readable yet ({}); asking again", group, e.toString());
                Thread.sleep(LAG_POLL.toMillis());
            }
        }
    }

    private static Map<Integer, Long> positions(GetConsumerLagResponse lag) {
        Map<Integer, Long> positions = new HashMap<>();
        for (PartitionLag partition : lag.getPartitionsList()) {
            positions.put(partition.getPartition(), partition.getEffectivePosition());
        }
        return positions;
    }
}

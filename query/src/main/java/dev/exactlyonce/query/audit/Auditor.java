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
import dev.exactlyonce.query.store.RetentionGapRepository;
import jakarta.inject.Singleton;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end-to-end audit of the window since the last Reset: waits until the consumer group and the
 * billing group have no lag (or the wait ends), streams the window's committed records of orders,
 * invoices and billing.dlq into the {@link AuditLedger} (the PostgreSQL leg's dead letters are rows
 * of dead_letters), and lets {@link AuditVerdict} judge two legs: orders against what PostgreSQL
 * stored, and orders against the invoices billing committed. Orders beyond a group's position are
 * in flight for that leg: counted, not judged.
 *
 * <p>The wait ends at the caller's wait_seconds, or earlier so that the call's deadline leaves time
 * to judge; it stops at once when the caller cancels (see {@link CallScope}).
 */
@Singleton
public class Auditor {

    private static final Logger LOG = LoggerFactory.getLogger(Auditor.class);
    private static final long LAG_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    /** A scan checks whether its caller is still there every this many records. */
    private static final int RECORDS_BETWEEN_CHECKS = 4096;

    private final AuditWindows windows;
    private final ConsumerLagReader lagReader;
    private final CommittedLogScanner scanner;
    private final AuditLedger ledger;
    private final ProducerAcknowledgements producer;
    private final String groupId;
    private final KeyConflictRepository keyConflicts;
    private final RetentionGapRepository retentionGaps;
    private final OrderRepository orders;
    private final String billingGroupId;

    public Auditor(
            AuditWindows windows,
            ConsumerLagReader lagReader,
            CommittedLogScanner scanner,
            AuditLedger ledger,
            ProducerAcknowledgements producer,
            QuerySettings settings,
            KeyConflictRepository keyConflicts,
            RetentionGapRepository retentionGaps,
            OrderRepository orders) {
        this.orders = orders;
        this.keyConflicts = keyConflicts;
        this.retentionGaps = retentionGaps;
        this.windows = windows;
        this.lagReader = lagReader;
        this.scanner = scanner;
        this.ledger = ledger;
        this.producer = producer;
        this.groupId = settings.consumerGroupId();
        this.billingGroupId = settings.billingGroupId();
    }

    /**
     * @param waitUntilNanos when waiting for the groups to drain must end (System.nanoTime), fixed
     *     by the caller once per call, so that a retried read does not wait again
     * @param acknowledged the caller's count of acknowledged orders, or empty to ask the producer
     */
    public AuditResponse audit(long waitUntilNanos, OptionalLong acknowledged) throws Exception {
        long started = System.nanoTime();
        CallScope call = CallScope.current();
        long deadline = call.waitEnd(waitUntilNanos);
        GetConsumerLagResponse lag = awaitDrained(call, groupId, deadline);
        // billing may not run at all (a lab without it, a cluster without the workload): then no
        // waiting
        GetConsumerLagResponse billingLag = lagWithin(call, billingGroupId, deadline);
        boolean billingRan =
                billingLag.getPartitionsList().stream()
                        .anyMatch(p -> p.getKafkaCommittedOffset() >= 0);
        if (billingRan) {
            billingLag = awaitDrained(call, billingGroupId, deadline);
        }
        AuditWindows.Window window = windows.current();
        // where each group really is: records from there on are in flight for its leg
        Map<Integer, Long> positions = positions(lag);
        Map<Integer, Long> billingPositions = positions(billingLag);

        long[] scanned = {0};
        AuditLedger.Legs legs =
                ledger.count(
                        fill -> {
                            try (AuditLedger.Copy committed = fill.committed()) {
                                scanner.scan(
                                        Topics.ORDERS,
                                        window.startOf(Topics.ORDERS),
                                        (partition, offset, messageId) -> {
                                            checkEvery(call, ++scanned[0]);
                                            committed.row(
                                                    messageId,
                                                    offset < positions.getOrDefault(partition, -1L),
                                                    offset
                                                            < billingPositions.getOrDefault(
                                                                    partition, -1L));
                                        });
                            }
                            try (AuditLedger.Copy invoices = fill.invoices()) {
                                scanner.scan(
                                        Topics.INVOICES,
                                        window.startOf(Topics.INVOICES),
                                        (partition, offset, messageId) -> {
                                            checkEvery(call, ++scanned[0]);
                                            invoices.row(messageId);
                                        });
                            }
                            try (AuditLedger.Copy billingDeadLettered =
                                    fill.billingDeadLettered()) {
                                scanner.scan(
                                        Topics.BILLING_DLQ,
                                        window.startOf(Topics.BILLING_DLQ),
                                        (partition, offset, messageId) ->
                                                billingDeadLettered.row(messageId));
                            }
                        });
        call.checkAlive("after reading the window");
        AuditCounts counts = legs.stored();

        ProducerAcknowledgements.Acknowledged acked =
                acknowledged.isPresent()
                        ? new ProducerAcknowledgements.Acknowledged(acknowledged, "request")
                        : producer.forWindow(window.id());
        // orders refused as reused keys are in order_conflicts, neither stored nor lost. The
        // producer counts
        // one message id once, so a refused offer (the same message id) is in its count only
        // through the
        // caller's count, which counts the order the caller placed
        long conflicts = keyConflicts.distinctOffers();
        long retentionSkipped = retentionGaps.skippedOffsets(groupId);
        AuditVerdict verdict =
                AuditVerdict.judge(
                        counts,
                        acked.count(),
                        new AuditVerdict.Progress(
                                lag.getTotalLag(),
                                conflicts,
                                acknowledged.isPresent() ? conflicts : 0,
                                retentionSkipped));
        AuditVerdict invoiceVerdict =
                AuditVerdict.judge(
                        legs.invoiced(),
                        acked.count(),
                        AuditVerdict.Progress.behind(billingLag.getTotalLag()));

        AuditResponse.Builder response =
                AuditResponse.newBuilder()
                        .setAcknowledged(acked.count().orElse(0))
                        .setAcknowledgedSource(acked.source())
                        .setCommittedInKafka(counts.committedDistinct())
                        .setStoredRows(counts.storedRows())
                        .setStoredDistinct(counts.storedDistinct())
                        .setLost(verdict.lost())
                        .setDuplicated(verdict.duplicated())
                        .setDeadLettered(counts.deadLettered() + counts.unidentifiedDeadLetters())
                        .setDeadLetterRecords(counts.deadLetterRecords())
                        .setDrained(verdict.drained())
                        .setInFlight(counts.inFlight())
                        .setInFlightRecords(lag.getTotalLag())
                        .setVerdict(verdict.verdict())
                        .setKeyConflicts(conflicts)
                        .setKeyConflictRecords(keyConflicts.count())
                        .setRetentionSkipped(retentionSkipped)
                        .setOutOfKafkaOrder(orders.countOutOfKafkaOrder())
                        .setInvoices(
                                InvoiceAudit.newBuilder()
                                        .setGroupId(billingGroupId)
                                        .setInvoicesTotal(legs.invoiced().storedRows())
                                        .setInvoicesDistinct(legs.invoiced().storedDistinct())
                                        .setLost(invoiceVerdict.lost())
                                        .setDuplicated(invoiceVerdict.duplicated())
                                        .setDeadLettered(legs.invoiced().deadLettered())
                                        .setDeadLetterRecords(legs.invoiced().deadLetterRecords())
                                        .setDrained(billingRan && invoiceVerdict.drained())
                                        .setInFlight(legs.invoiced().inFlight())
                                        .setInFlightRecords(billingLag.getTotalLag())
                                        .setVerdict(
                                                billingRan
                                                        ? invoiceVerdict.verdict()
                                                        : "NO_BILLING (group "
                                                                + billingGroupId
                                                                + " has committed no offsets)"));
        if (window.startedAt() != null) {
            response.setWindowStart(
                    Timestamp.newBuilder()
                            .setSeconds(window.startedAt().getEpochSecond())
                            .setNanos(window.startedAt().getNano()));
        }
        LOG.info(
                "audit: {} ({} committed, {} rows, {} lost, {} duplicated, {} in flight); invoices: {} ({} invoices,"
                        + " {} lost, {} duplicated, {} in flight) in {} ms",
                verdict.verdict(),
                counts.committedDistinct(),
                counts.storedRows(),
                verdict.lost(),
                verdict.duplicated(),
                counts.inFlight(),
                response.getInvoices().getVerdict(),
                legs.invoiced().storedRows(),
                invoiceVerdict.lost(),
                invoiceVerdict.duplicated(),
                legs.invoiced().inFlight(),
                (System.nanoTime() - started) / 1_000_000);
        return response.build();
    }

    private static void checkEvery(CallScope call, long records) {
        if (records % RECORDS_BETWEEN_CHECKS == 0) {
            call.checkAlive("reading the window");
        }
    }

    private GetConsumerLagResponse awaitDrained(CallScope call, String group, long deadline)
            throws Exception {
        GetConsumerLagResponse lag = lagWithin(call, group, deadline);
        while (lag.getTotalLag() > 0 && System.nanoTime() < deadline) {
            call.pause(
                    Math.min(LAG_POLL_NANOS, deadline - System.nanoTime()),
                    "waiting for " + group + " to drain");
            lag = lagWithin(call, group, deadline);
        }
        return lag;
    }

    /**
     * The lag, asked again while the wait lasts when Kafka does not answer in time: right after
     * brokers came back, a leader or coordinator can still be moving, and an audit asked to wait
     * should wait.
     */
    private GetConsumerLagResponse lagWithin(CallScope call, String group, long deadline)
            throws Exception {
        while (true) {
            call.checkAlive("reading the lag of " + group);
            try {
                return lagReader.lag(group);
            } catch (TimeoutException | ExecutionException e) {
                if (System.nanoTime() >= deadline) {
                    throw e;
                }
                LOG.info(
                        "audit: the lag of {} is not readable yet ({}); asking again",
                        group,
                        e.toString());
                call.pause(
                        Math.min(LAG_POLL_NANOS, deadline - System.nanoTime()),
                        "reading the lag of " + group);
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

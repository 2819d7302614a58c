package dev.exactlyonce.billing;

import dev.exactlyonce.grpc.v1.PartitionOffset;
import dev.exactlyonce.grpc.v1.ResetResponse;
import dev.exactlyonce.kafka.KafkaConnection;
import dev.exactlyonce.kafka.SharedSettings;
import dev.exactlyonce.kafka.Topics;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which orders already have a committed invoice, per partition of "orders": what lets exactly-once
 * billing recognise a client's retry. A retried PlaceOrder whose first attempt committed is a
 * second order record — same message_id (derived from the client's order_id), a later offset — and
 * the offsets-in-the-transaction protocol alone would invoice it again.
 *
 * <p>The ledger is nothing but the invoices topic read back: billing writes each invoice to the
 * partition of "invoices" with the number of its order's partition (co-partitioned, like a Kafka
 * Streams changelog), so the replica that owns orders partition p learns what was invoiced for p by
 * reading invoices partition p with read_committed, the last {@code app.billing.dedup-window}
 * invoices of it. Only committed transactions are in it, and they are in it exactly when the
 * group's offsets moved past their orders: the ledger and the offsets cannot disagree. A retry that
 * arrives more than the window's invoices after its first attempt is not recognised (like the
 * idempotent producer's window of 5 batches, only larger).
 *
 * <p>Reset (QueryService) starts a new audit window and empties the consumer's processed_messages,
 * so an order id is new again on PostgreSQL's leg; the ledger follows: it reads only invoices from
 * the newest window's start on (announced in exactly-once.settings under "audit-window") and
 * forgets what it knew when a new window is announced.
 *
 * <p>Loaded when a partition is first billed in a consumer group generation, forgotten when the
 * generation changes (another replica may have billed the partition meanwhile), when a
 * transaction's outcome is unknown and when a new audit window starts. Used on the listener's poll
 * thread only (the window is read by the settings thread, handed over through a volatile).
 */
@Singleton
class InvoiceLedger {

    private static final Logger LOG = LoggerFactory.getLogger(InvoiceLedger.class);

    private final KafkaConnection kafka;
    private final int window;
    private final Map<Integer, Set<String>> invoiced = new HashMap<>();
    private final SharedSettings<ResetResponse> auditWindow;
    private int generation = -1;
    private ResetResponse windowLoaded;
    private KafkaConsumer<byte[], byte[]> reader;

    InvoiceLedger(KafkaConnection kafka, BillingSettings settings) {
        this.kafka = kafka;
        this.window = settings.dedupWindow();
        this.auditWindow =
                new SharedSettings<>(
                                kafka,
                                Topics.AUDIT_WINDOW_SETTING,
                                ResetResponse.getDefaultInstance(),
                                ResetResponse.parser(),
                                value -> {})
                        .start(Duration.ofSeconds(10));
    }

    /**
     * The invoice ids of {@code partition} committed so far, read from Kafka if not known in this
     * generation and window.
     */
    Set<String> invoiced(int partition, int groupGeneration) {
        ResetResponse newestWindow = auditWindow.current();
        if (groupGeneration != generation || newestWindow != windowLoaded) {
            invoiced.clear();
            generation = groupGeneration;
            windowLoaded = newestWindow;
        }
        return invoiced.computeIfAbsent(partition, this::load);
    }

    /** The newest audit window this replica has seen announced. */
    ResetResponse auditWindow() {
        return auditWindow.current();
    }

    /** After a commit: these invoices are now in the topic. */
    void committed(int partition, String invoiceId) {
        Set<String> ids = invoiced.get(partition);
        if (ids != null) {
            ids.add(invoiceId);
        }
    }

    /** The outcome of a transaction is unknown: read the partitions again before billing them. */
    void forget(Set<Integer> partitions) {
        partitions.forEach(invoiced::remove);
    }

    /**
     * Invoices were written outside exactly-once (not recorded here): read every partition again
     * when needed.
     */
    void forgetAll() {
        invoiced.clear();
    }

    private Set<String> load(int partition) {
        long started = System.nanoTime();
        Set<String> ids = bounded(window);
        KafkaConsumer<byte[], byte[]> consumer = reader();
        TopicPartition invoices = new TopicPartition(Topics.INVOICES, partition);
        consumer.assign(List.of(invoices));
        long begin = consumer.beginningOffsets(List.of(invoices)).get(invoices);
        // read_committed: the end offset is the last stable offset, before any open transaction
        long end = consumer.endOffsets(List.of(invoices)).get(invoices);
        consumer.seek(invoices, Math.max(windowStart(partition), Math.max(begin, end - window)));
        while (consumer.position(invoices) < end) {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                Header id = record.headers().lastHeader(Topics.HEADER_INVOICE_ID);
                if (id != null && id.value() != null) {
                    ids.add(new String(id.value(), StandardCharsets.UTF_8));
                }
            }
        }
        consumer.assign(List.of());
        LOG.info(
                "invoice ledger of orders partition {}: {} committed invoices read from {} in {} ms",
                partition,
                ids.size(),
                invoices,
                (System.nanoTime() - started) / 1_000_000);
        return ids;
    }

    /**
     * Where the newest audit window starts in invoices partition {@code partition} (0 before any
     * Reset).
     */
    private long windowStart(int partition) {
        return windowLoaded.getAuditWindowStartList().stream()
                .filter(o -> o.getTopic().equals(Topics.INVOICES) && o.getPartition() == partition)
                .mapToLong(PartitionOffset::getOffset)
                .findFirst()
                .orElse(0L);
    }

    private KafkaConsumer<byte[], byte[]> reader() {
        if (reader == null) {
            Map<String, Object> settings =
                    kafka.with(
                            Map.of(
                                    ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                                    "read_committed",
                                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                                    false,
                                    ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                                    5000,
                                    ConsumerConfig.CLIENT_ID_CONFIG,
                                    "billing-invoice-ledger"));
            reader =
                    new KafkaConsumer<>(
                            settings, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        }
        return reader;
    }

    /** The most recent {@code limit} ids, in insertion order. */
    private static Set<String> bounded(int limit) {
        return java.util.Collections.newSetFromMap(
                new LinkedHashMap<>() {
                    @Override
                    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                        return size() > limit;
                    }
                });
    }

    @PreDestroy
    void close() {
        auditWindow.close();
        if (reader != null) {
            try {
                reader.close(Duration.ofSeconds(1));
            } catch (RuntimeException e) {
                // still in use by the poll thread at shutdown: the process ends anyway
                LOG.debug("closing the ledger reader: {}", e.toString());
            }
        }
    }
}

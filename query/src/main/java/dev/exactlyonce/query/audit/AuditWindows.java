package dev.exactlyonce.query.audit;

import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.query.store.AuditWindow;
import dev.exactlyonce.query.store.AuditWindowRepository;
import dev.exactlyonce.query.store.CounterRepository;
import dev.exactlyonce.query.store.OrderTotals;
import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * Audit windows: Reset empties the stored orders, their dead letters and the recorded retention
 * gaps, and starts a new window at the Kafka offsets of that moment; the audit reads the newest
 * window.
 *
 * <p>The window starts at the last stable offsets (read_committed end): a read_committed consumer
 * cannot have read anything beyond them, so every record at or after the start is still to be
 * stored.
 */
@Singleton
public class AuditWindows {

    /**
     * A window: its start per topic and partition. id and startedAt are null when no Reset ever
     * happened.
     */
    public record Window(Long id, Instant startedAt, List<WindowOffset> start) {
        public Map<Integer, Long> startOf(String topic) {
            Map<Integer, Long> offsets = new HashMap<>();
            start.stream()
                    .filter(o -> o.topic().equals(topic))
                    .forEach(o -> offsets.put(o.partition(), o.offset()));
            return offsets;
        }
    }

    /** What a Reset removed and where the new window starts. */
    public record ResetOutcome(long ordersDeleted, long processedMessagesDeleted, Window window) {}

    private final AuditWindowRepository store;
    private final CounterRepository counters;
    private final Admin admin;
    private final JsonMapper json;
    private final ProducerAcknowledgements acknowledgements;
    private final TransactionOperations<Connection> transactions;

    public AuditWindows(
            AuditWindowRepository store,
            CounterRepository counters,
            Admin admin,
            JsonMapper json,
            ProducerAcknowledgements acknowledgements,
            TransactionOperations<Connection> transactions) {
        this.transactions = transactions;
        this.store = store;
        this.counters = counters;
        this.admin = admin;
        this.json = json;
        this.acknowledgements = acknowledgements;
    }

    public ResetOutcome reset()
            throws ExecutionException, InterruptedException, TimeoutException, IOException {
        // the PostgreSQL leg's dead letters are rows (dead_letters), emptied below: orders.dlq is
        // not the audit's
        List<WindowOffset> start =
                lastStableOffsets(List.of(Topics.ORDERS, Topics.INVOICES, Topics.BILLING_DLQ));
        String startOffsets = json.writeValueAsString(start);
        // one transaction: the store is emptied and the window opened together, or neither
        OrderTotals before =
                transactions.executeWrite(
                        status -> {
                            try (Statement statement = status.getConnection().createStatement()) {
                                // processed_messages first: the consumer writes it before orders,
                                // so both take the locks in the same order and a Reset during
                                // traffic waits instead of deadlocking. The lock stops new writes
                                // until commit, so the counts read next are the counts truncated.
                                // dead_letters is written in the same batch transaction, after the
                                // rows.
                                statement.execute(
                                        "LOCK TABLE processed_messages, order_conflicts, orders, dead_letters IN ACCESS EXCLUSIVE MODE");
                            }
                            OrderTotals totals = counters.totals();
                            try (Statement statement = status.getConnection().createStatement()) {
                                statement.execute(
                                        "TRUNCATE processed_messages, order_conflicts, orders, dead_letters, order_counts, "
                                                + "orders_per_second, retention_gaps");
                            }
                            store.zeroTotals();
                            store.openWindow(startOffsets);
                            return totals;
                        });
        Window window = current();
        acknowledgements.rememberWindowStart(window.id());
        return new ResetOutcome(before.totalRows(), before.processedMessages(), window);
    }

    /** The newest window, or the whole log when no Reset ever happened. */
    public Window current() throws IOException {
        Optional<AuditWindow> latest = store.latestWindow();
        if (latest.isEmpty()) {
            return new Window(null, null, List.of());
        }
        AuditWindow window = latest.get();
        List<WindowOffset> start =
                json.readValue(window.startOffsets(), Argument.listOf(WindowOffset.class));
        return new Window(window.id(), window.startedAt(), start);
    }

    private List<WindowOffset> lastStableOffsets(List<String> topics)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        admin.describeTopics(topics)
                .allTopicNames()
                .get(10, TimeUnit.SECONDS)
                .values()
                .forEach(
                        d ->
                                d.partitions()
                                        .forEach(
                                                p ->
                                                        request.put(
                                                                new TopicPartition(
                                                                        d.name(), p.partition()),
                                                                OffsetSpec.latest())));
        return admin
                .listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                .all()
                .get(10, TimeUnit.SECONDS)
                .entrySet()
                .stream()
                .map(
                        e ->
                                new WindowOffset(
                                        e.getKey().topic(),
                                        e.getKey().partition(),
                                        e.getValue().offset()))
                .sorted(
                        (a, b) ->
                                a.topic().equals(b.topic())
                                        ? Integer.compare(a.partition(), b.partition())
                                        : a.topic().compareTo(b.topic()))
                .toList();
    }
}

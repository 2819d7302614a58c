package dev.exactlyonce.lab.bench;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.exactlyonce.grpc.v1.Invoice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Watches one stage drain a {@link Backlog}: reads its invoice topic read_committed from where it
 * ended when the drain was opened (so before the stage started), notes when the first invoices
 * became visible and when the last one did, and reads the stage's CPU at both moments.
 *
 * <p>The rate and the CPU per invoice count the invoices that became visible after the first ones
 * (the first poll that saw any), over the time from those to the last: the work of the first
 * visible transaction happened before the window opened, so it is left out of both. Then it reads
 * on to the topic's committed end, so that a duplicate committed with the last batch is counted,
 * and checks every invoice against the one billing's function gives.
 *
 * <p>The same two figures are also taken for the second half alone: from the poll that showed half
 * the backlog's invoices to the last. A stage drains a backlog right after its JVM started, so the
 * first half runs on a JIT still compiling (the profile of a 200,000-order drain: the compiler
 * threads used more CPU than the stage's own threads); the second half is closer to what a stage
 * that has run for a while does.
 */
public final class InvoiceDrain implements AutoCloseable {

    /** How long the stage may take to show its first invoice (a JVM starting, a group joining). */
    static final Duration FIRST_INVOICE_TIMEOUT = Duration.ofMinutes(3);

    /** How long without a new invoice before a drain that still misses some gives up. */
    static final Duration STALLED = Duration.ofSeconds(30);

    /**
     * One stage's drain. {@code records} are the invoices it committed (duplicates included),
     * {@code lost} the backlog's orders without one, {@code unexpected} invoices for no order of
     * the backlog, {@code differing} invoices whose fields are not what billing's function gives.
     * {@code counted}, {@code seconds}, {@code perSecond} and {@code cpuMicrosPerInvoice}: see the
     * class comment (0 when everything became visible at once); {@code secondHalfPerSecond} and
     * {@code secondHalfCpuMicrosPerInvoice}: the same over the second half of the backlog.
     */
    public record Result(
            String stage,
            long orders,
            long records,
            long distinct,
            long lost,
            long duplicated,
            long unexpected,
            long differing,
            long counted,
            double seconds,
            double perSecond,
            double cpuMicrosPerInvoice,
            double secondHalfPerSecond,
            double secondHalfCpuMicrosPerInvoice,
            @JsonIgnore List<Invoice> invoices) {

        /** One invoice per order, each as billing's function computes it. */
        boolean exactlyOnce() {
            return lost == 0 && duplicated == 0 && unexpected == 0 && differing == 0;
        }
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final List<TopicPartition> partitions;

    InvoiceDrain(String bootstrapServers, String topic) {
        consumer = Backlog.readCommitted(bootstrapServers);
        partitions =
                consumer.partitionsFor(topic).stream()
                        .map(p -> new TopicPartition(topic, p.partition()))
                        .toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve "end" now, before the stage writes
    }

    Result measure(String stage, Backlog backlog, LongSupplier cpuNanos) {
        Map<String, Invoice> expected = backlog.expected();
        List<Invoice> invoices = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int expectedSeen = 0;
        long firstAt = 0;
        long firstBatch = 0;
        long cpuAtFirst = 0;
        int half = expected.size() / 2;
        int halfSeen = 0;
        long halfAt = 0;
        long cpuAtHalf = 0;
        long lastAt;
        long startedAt = System.nanoTime();
        long newestAt = startedAt;
        while (true) {
            ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(20));
            long now = System.nanoTime();
            for (ConsumerRecord<String, byte[]> record : records) {
                Invoice invoice = parse(record);
                invoices.add(invoice);
                if (seen.add(invoice.getInvoiceId())
                        && expected.containsKey(invoice.getInvoiceId())) {
                    expectedSeen++;
                }
            }
            if (!records.isEmpty()) {
                newestAt = now;
                if (firstAt == 0) {
                    firstAt = now;
                    firstBatch = seen.size();
                    cpuAtFirst = cpuNanos.getAsLong();
                }
                if (halfAt == 0 && expectedSeen >= half) {
                    halfAt = now;
                    halfSeen = expectedSeen;
                    cpuAtHalf = cpuNanos.getAsLong();
                }
            }
            if (expectedSeen == expected.size()) {
                lastAt = now;
                break;
            }
            boolean noneYet = firstAt == 0 && now - startedAt > FIRST_INVOICE_TIMEOUT.toNanos();
            boolean stalled = firstAt != 0 && now - newestAt > STALLED.toNanos();
            if (noneYet || stalled) {
                lastAt = newestAt;
                break;
            }
        }
        long cpuAtLast = cpuNanos.getAsLong();
        readToCommittedEnd(invoices);

        Set<String> distinct = new HashSet<>();
        long differing = 0;
        long unexpected = 0;
        for (Invoice invoice : invoices) {
            Invoice wanted = expected.get(invoice.getInvoiceId());
            if (distinct.add(invoice.getInvoiceId())) {
                if (wanted == null) {
                    unexpected++;
                } else if (!wanted.equals(invoice)) {
                    differing++;
                }
            }
        }
        long lost = expected.keySet().stream().filter(id -> !distinct.contains(id)).count();
        long counted = Math.max(0, expectedSeen - firstBatch);
        double seconds = firstAt == 0 ? 0 : (lastAt - firstAt) / 1e9;
        long secondHalf = Math.max(0, expectedSeen - halfSeen);
        double secondHalfSeconds = halfAt == 0 ? 0 : (lastAt - halfAt) / 1e9;
        return new Result(
                stage,
                expected.size(),
                invoices.size(),
                distinct.size(),
                lost,
                invoices.size() - distinct.size(),
                unexpected,
                differing,
                counted,
                seconds,
                counted == 0 || seconds <= 0 ? 0 : counted / seconds,
                counted == 0 ? 0 : (cpuAtLast - cpuAtFirst) / 1e3 / counted,
                secondHalf == 0 || secondHalfSeconds <= 0 ? 0 : secondHalf / secondHalfSeconds,
                secondHalf == 0 ? 0 : (cpuAtLast - cpuAtHalf) / 1e3 / secondHalf,
                List.copyOf(invoices));
    }

    private void readToCommittedEnd(List<Invoice> invoices) {
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions); // read_committed: the LSO
        while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
            consumer.poll(Duration.ofMillis(100)).forEach(record -> invoices.add(parse(record)));
        }
    }

    private static Invoice parse(ConsumerRecord<String, byte[]> record) {
        try {
            return Invoice.parseFrom(record.value());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(
                    "not an Invoice at "
                            + record.topic()
                            + "-"
                            + record.partition()
                            + "@"
                            + record.offset(),
                    e);
        }
    }

    @Override
    public void close() {
        consumer.close();
    }
}

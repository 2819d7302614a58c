package dev.exactlyonce.billing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The poll batches one exactly-once transaction of {@link BillingStage} holds: their orders (what
 * is read again if it aborts), the offsets after them (what it commits), the records it sent, and
 * the invoice ids in it (an order twice in one transaction is invoiced once). Poll thread only.
 */
final class OpenTransaction {

    private final long openedAt = System.nanoTime();
    private final Map<TopicPartition, List<ConsumerRecord<String, byte[]>>> orders =
            new LinkedHashMap<>();
    private final Map<TopicPartition, OffsetAndMetadata> nextOffsets = new HashMap<>();
    private final Set<String> invoiceIds = new HashSet<>();
    private final List<ProducerRecord<String, byte[]>> invoices = new ArrayList<>();
    private final List<ProducerRecord<String, byte[]>> deadLetters = new ArrayList<>();
    private long failures;
    private long retries;
    private int alreadyInvoiced;
    private int count;
    private boolean wakeUpWhenDone;

    /**
     * One more poll batch joins, before anything of it is sent: from now on a rewind reads it
     * again, and a commit moves the offsets past it.
     */
    void add(
            ConsumerRecords<String, byte[]> batch,
            Map<TopicPartition, OffsetAndMetadata> batchNextOffsets) {
        for (TopicPartition partition : batch.partitions()) {
            orders.computeIfAbsent(partition, p -> new ArrayList<>())
                    .addAll(batch.records(partition));
        }
        nextOffsets.putAll(batchNextOffsets);
        count += batch.count();
    }

    /**
     * What a batch sends: {@code billed} is what {@link InvoiceBatch} made of it, {@code toSend}
     * the same without the invoices already committed or already in this transaction.
     */
    void sending(InvoiceBatch.Records billed, InvoiceBatch.Records toSend) {
        invoices.addAll(toSend.invoices());
        deadLetters.addAll(toSend.deadLetters());
        failures += toSend.failures();
        retries += toSend.retries();
        alreadyInvoiced += billed.invoices().size() - toSend.invoices().size();
    }

    /** The invoice ids sent in this transaction so far (its own duplicate check adds to it). */
    Set<String> invoiceIds() {
        return invoiceIds;
    }

    /** Every order of the transaction, as one batch: what a rewind reads again. */
    ConsumerRecords<String, byte[]> orders() {
        return new ConsumerRecords<>(orders, nextOffsets);
    }

    Map<TopicPartition, OffsetAndMetadata> nextOffsets() {
        return Map.copyOf(nextOffsets);
    }

    Set<TopicPartition> partitions() {
        return orders.keySet();
    }

    /** What was sent, as one {@link InvoiceBatch.Records} (for the metrics and the ledger). */
    InvoiceBatch.Records sent() {
        return new InvoiceBatch.Records(
                List.copyOf(invoices), List.copyOf(deadLetters), failures, retries);
    }

    int alreadyInvoiced() {
        return alreadyInvoiced;
    }

    int count() {
        return count;
    }

    long ageNanos() {
        return System.nanoTime() - openedAt;
    }

    /** A poll for more orders met micronaut-kafka's wakeup (its close()): pass it on when done. */
    void wakeUpWhenDone() {
        wakeUpWhenDone = true;
    }

    boolean wakesUpWhenDone() {
        return wakeUpWhenDone;
    }
}

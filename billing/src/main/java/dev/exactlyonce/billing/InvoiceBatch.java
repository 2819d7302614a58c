package dev.exactlyonce.billing;

import dev.exactlyonce.grpc.v1.BillingConfig;
import dev.exactlyonce.grpc.v1.Invoice;
import dev.exactlyonce.kafka.Topics;
import io.micronaut.context.annotation.Property;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The "transform" of consume-transform-produce, with no side effect: a poll batch of orders becomes
 * the records to write — one invoice per order, or one dead letter. An undecodable order is
 * dead-lettered at once; with failure_rate, each attempt to invoice an order fails with that
 * probability and is retried after an exponential backoff (in rounds over the batch), and after
 * max_attempts it is dead-lettered. Nothing is skipped: every order of the batch ends up in exactly
 * one of the two lists.
 */
@Singleton
class InvoiceBatch {

    /**
     * What the stage writes for one poll batch. Invoices keep the batch's order within a partition.
     */
    record Records(
            List<ProducerRecord<String, byte[]>> invoices,
            List<ProducerRecord<String, byte[]>> deadLetters,
            long failures,
            long retries) {

        List<ProducerRecord<String, byte[]>> all() {
            List<ProducerRecord<String, byte[]>> all = new ArrayList<>(invoices);
            all.addAll(deadLetters);
            return all;
        }

        /** The same batch without the invoices {@code keep} rejects (dead letters are all kept). */
        Records keepInvoices(java.util.function.Predicate<ProducerRecord<String, byte[]>> keep) {
            return new Records(
                    invoices.stream().filter(keep).toList(), deadLetters, failures, retries);
        }
    }

    private final InvoiceTracing tracing;
    private final BillingSettings settings;
    private final String podName;

    InvoiceBatch(
            InvoiceTracing tracing,
            BillingSettings settings,
            @Property(name = "app.pod-name") String podName) {
        this.tracing = tracing;
        this.settings = settings;
        this.podName = podName;
    }

    Records bill(ConsumerRecords<String, byte[]> orders, BillingConfig config)
            throws InterruptedException {
        List<Billed> billed = new ArrayList<>(orders.count());
        List<ProducerRecord<String, byte[]>> deadLetters = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> order : orders) {
            try {
                billed.add(new Billed(order, Invoices.invoice(order)));
            } catch (Invoices.PoisonOrder poison) {
                deadLetters.add(
                        DeadLetter.of(order, poison.getMessage(), poison.messageId(), 1, podName));
            }
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        List<Billed> passed = new ArrayList<>(billed.size());
        List<Billed> pending = billed;
        long failures = 0;
        long retries = 0;
        Duration backoff = settings.retryInitialBackoff();
        for (int attempt = 1; !pending.isEmpty(); attempt++) {
            List<Billed> failed = new ArrayList<>();
            for (Billed order : pending) {
                if (config.getFailureRate() > 0 && random.nextDouble() < config.getFailureRate()) {
                    failures++;
                    if (attempt >= config.getMaxAttempts()) {
                        deadLetters.add(
                                DeadLetter.of(
                                        order.source(),
                                        "simulated invoicing failure (failure_rate="
                                                + config.getFailureRate()
                                                + ") in all "
                                                + attempt
                                                + " attempts",
                                        order.invoice().getMessageId(),
                                        attempt,
                                        podName));
                    } else {
                        failed.add(order);
                    }
                } else {
                    passed.add(order);
                }
            }
            if (!failed.isEmpty()) {
                retries += failed.size();
                Thread.sleep(backoff.toMillis());
                backoff = min(backoff.multipliedBy(2), settings.retryMaxBackoff());
            }
            pending = failed;
        }
        // retried orders rejoin in offset order, so one order partition's invoices keep their order
        passed.sort(
                Comparator.comparingInt((Billed b) -> b.source().partition())
                        .thenComparingLong(b -> b.source().offset()));
        List<ProducerRecord<String, byte[]>> invoices = new ArrayList<>(passed.size());
        for (Billed order : passed) {
            invoices.add(record(order, config));
        }
        return new Records(invoices, deadLetters, failures, retries);
    }

    private ProducerRecord<String, byte[]> record(Billed order, BillingConfig config) {
        Invoice invoice = order.invoice();
        // co-partitioned: invoices partition p holds the invoices of orders partition p (see
        // InvoiceLedger)
        ProducerRecord<String, byte[]> record =
                new ProducerRecord<>(
                        Topics.INVOICES,
                        order.source().partition(),
                        invoice.getOrderId(),
                        invoice.toByteArray());
        record.headers()
                .add(
                        Topics.HEADER_INVOICE_ID,
                        invoice.getInvoiceId().getBytes(StandardCharsets.UTF_8))
                .add(
                        Topics.HEADER_MESSAGE_ID,
                        invoice.getMessageId().getBytes(StandardCharsets.UTF_8));
        tracing.continueTrace(
                order.source().headers(), record.headers(), config.getProcessingMode().name());
        return record;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private record Billed(ConsumerRecord<String, byte[]> source, Invoice invoice) {}
}

package dev.exactlyonce.billing;

import io.micronaut.configuration.kafka.ProducerRegistry;
import io.micronaut.configuration.kafka.TransactionalProducerRegistry;
import io.micronaut.context.annotation.Property;
import io.micronaut.core.type.Argument;
import jakarta.inject.Singleton;
import java.time.Duration;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The three producers billing writes with, from micronaut-kafka's producer registry (configured
 * under {@code kafka.producers.<client id>} in application.yml): one that never retries for
 * at-most-once, one that retries until acknowledged (or its delivery timeout) for at-least-once,
 * and a transactional one for exactly-once whose {@code transactional.id} is {@code billing-<pod
 * name>}. One id per pod: a pod restarted under its name fences its previous incarnation (and
 * aborts the transaction that one left open) when the new producer registers.
 *
 * <p>initTransactions is called here, not by micronaut-kafka's TransactionalProducerRegistry: that
 * one calls it while creating the producer and, when it times out (no broker or coordinator
 * answering), neither keeps nor closes the producer, whose InitProducerId may still complete later
 * and fence the next producer (seen in CommitTimeoutTest). A timed-out initTransactions is retried
 * on the same instance.
 */
@Singleton
class InvoiceProducers {

    static final String AT_MOST_ONCE_CLIENT_ID = "billing-invoices-at-most-once";
    static final String AT_LEAST_ONCE_CLIENT_ID = "billing-invoices";
    static final String TRANSACTIONAL_CLIENT_ID = "billing-invoices-tx";
    private static final Logger LOG = LoggerFactory.getLogger(InvoiceProducers.class);

    private final ProducerRegistry producers;
    private final TransactionalProducerRegistry registry;
    private final BillingMetrics metrics;
    private final String transactionalId;

    /** The transactional producer whose initTransactions completed (poll thread only). */
    private Producer<String, byte[]> initialized;

    InvoiceProducers(
            ProducerRegistry producers,
            TransactionalProducerRegistry registry,
            BillingMetrics metrics,
            @Property(name = "kafka.producers." + TRANSACTIONAL_CLIENT_ID + ".transactional.id")
                    String transactionalId) {
        this.producers = producers;
        this.registry = registry;
        this.metrics = metrics;
        this.transactionalId = transactionalId;
    }

    /**
     * At-most-once: no acknowledgement awaited, no retry (a retry could write an invoice twice).
     */
    Producer<String, byte[]> atMostOnce() {
        return producers.getProducer(
                AT_MOST_ONCE_CLIENT_ID, Argument.STRING, Argument.of(byte[].class));
    }

    /** At-least-once: acks=all, retried until acknowledged or delivery.timeout.ms is over. */
    Producer<String, byte[]> atLeastOnce() {
        return producers.getProducer(
                AT_LEAST_ONCE_CLIENT_ID, Argument.STRING, Argument.of(byte[].class));
    }

    /**
     * Registered with the transaction coordinator on first use (initTransactions, retried after a
     * timeout).
     */
    Producer<String, byte[]> transactional() {
        Producer<String, byte[]> producer =
                producers.getProducer(
                        TRANSACTIONAL_CLIENT_ID, Argument.STRING, Argument.of(byte[].class));
        if (producer != initialized) {
            // fences this pod's earlier producer and finishes (or aborts) the transaction it left
            // open
            producer.initTransactions();
            initialized = producer;
        }
        return producer;
    }

    String transactionalId() {
        return transactionalId;
    }

    /**
     * After a fenced or fatal error, or a commit with no answer, the producer is done with: close
     * it and let the next batch create a new one. The registry only forgets it; closing is ours.
     */
    void recreate(Producer<String, byte[]> broken, Exception why) {
        LOG.warn(
                "transactional producer {} is unusable ({}); closing it, the next batch uses a new one",
                transactionalId,
                why.toString());
        registry.close(broken);
        initialized = null;
        try {
            broken.close(Duration.ZERO);
        } catch (RuntimeException e) {
            LOG.debug("closing the broken producer: {}", e.toString());
        }
        metrics.producerRecreated();
    }
}

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
 * The two producers billing writes with, from micronaut-kafka's registries (configured under
 * {@code kafka.producers.<client id>} in application.yml): a plain one for at-most-once and
 * at-least-once, and a transactional one for exactly-once whose {@code transactional.id} is
 * {@code billing-<pod name>}. One id per pod: a pod restarted under its name fences its previous
 * incarnation (and aborts the transaction that one left open) when the new producer registers.
 */
@Singleton
class InvoiceProducers {

    static final String PLAIN_CLIENT_ID = "billing-invoices";
    static final String TRANSACTIONAL_CLIENT_ID = "billing-invoices-tx";
    private static final Logger LOG = LoggerFactory.getLogger(InvoiceProducers.class);

    private final ProducerRegistry producers;
    private final TransactionalProducerRegistry transactionalProducers;
    private final BillingMetrics metrics;
    private final String transactionalId;

    InvoiceProducers(ProducerRegistry producers, TransactionalProducerRegistry transactionalProducers,
                     BillingMetrics metrics, @Property(name = "app.pod-name") String podName) {
        this.producers = producers;
        this.transactionalProducers = transactionalProducers;
        this.metrics = metrics;
        this.transactionalId = "billing-" + podName;
    }

    Producer<String, byte[]> plain() {
        return producers.getProducer(PLAIN_CLIENT_ID, Argument.STRING, Argument.of(byte[].class));
    }

    /** Created on first use, with initTransactions() (by the registry). */
    Producer<String, byte[]> transactional() {
        return transactionalProducers.getTransactionalProducer(TRANSACTIONAL_CLIENT_ID, transactionalId,
                Argument.STRING, Argument.of(byte[].class));
    }

    String transactionalId() {
        return transactionalId;
    }

    /**
     * After a fenced or fatal error the producer is unusable (it cannot even abort): close it and let
     * the next batch create a new one. The registry only forgets it; closing is ours.
     */
    void recreate(Producer<String, byte[]> broken, Exception why) {
        LOG.warn("transactional producer {} is unusable ({}); closing it, the next batch uses a new one",
                transactionalId, why.toString());
        transactionalProducers.close(broken);
        try {
            broken.close(Duration.ZERO);
        } catch (RuntimeException e) {
            LOG.debug("closing the broken producer: {}", e.toString());
        }
        metrics.producerRecreated();
    }
}

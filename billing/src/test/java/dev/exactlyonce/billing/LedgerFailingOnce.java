package dev.exactlyonce.billing;

import dev.exactlyonce.kafka.KafkaConnection;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A failure of billing's own code inside an open transaction, for {@code UnexpectedFailureTest}:
 * the ledger throws an IllegalStateException (not a KafkaException) the first time it is asked,
 * which is after {@code beginTransaction}. Only where {@code test.billing.ledger-fails-once} is
 * set.
 */
@Singleton
@Replaces(InvoiceLedger.class)
@Requires(property = "test.billing.ledger-fails-once", value = "true")
class LedgerFailingOnce extends InvoiceLedger {

    private final AtomicInteger asked = new AtomicInteger();

    LedgerFailingOnce(KafkaConnection kafka, BillingSettings settings) {
        super(kafka, settings);
    }

    @Override
    Set<String> invoiced(int partition, int groupGeneration) {
        if (asked.getAndIncrement() == 0) {
            throw new IllegalStateException("a failure of billing's own code (test)");
        }
        return super.invoiced(partition, groupGeneration);
    }

    boolean failed() {
        return asked.get() > 0;
    }
}

package dev.exactlyonce.billing;

import dev.exactlyonce.kafka.KafkaConnection;
import io.micronaut.context.annotation.Property;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A failure of billing's own code inside an open transaction, for {@code UnexpectedFailureTest}:
 * the ledger throws the first time it is asked, which is after {@code beginTransaction}. Only where
 * {@code test.billing.ledger-fails-once} is set: {@code exception} throws an IllegalStateException
 * (not a KafkaException), {@code error} an Error.
 */
@Singleton
@Replaces(InvoiceLedger.class)
@Requires(property = "test.billing.ledger-fails-once")
class LedgerFailingOnce extends InvoiceLedger {

    private final AtomicInteger asked = new AtomicInteger();
    private final boolean error;

    LedgerFailingOnce(
            KafkaConnection kafka,
            BillingSettings settings,
            @Property(name = "test.billing.ledger-fails-once") String failure) {
        super(kafka, settings);
        this.error = failure.equals("error");
    }

    @Override
    Set<String> invoiced(int partition, int groupGeneration) {
        if (asked.getAndIncrement() == 0) {
            if (error) {
                throw new Error("a failure nobody expected (test)");
            }
            throw new IllegalStateException("a failure of billing's own code (test)");
        }
        return super.invoiced(partition, groupGeneration);
    }

    boolean failed() {
        return asked.get() > 0;
    }
}

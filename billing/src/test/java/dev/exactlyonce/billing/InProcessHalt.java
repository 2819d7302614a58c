package dev.exactlyonce.billing;

import dev.exactlyonce.server.ProcessHalt;
import dev.exactlyonce.server.RuntimeHalt;
import io.micronaut.configuration.kafka.ConsumerRegistry;
import io.micronaut.context.annotation.Replaces;
import jakarta.inject.Provider;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tests run the crash drill in this JVM. What a halted process leaves behind is recreated here: its
 * producers are closed with no grace (an open transaction is NOT aborted, unsent records are
 * dropped), its listener stops consuming (paused) and never commits again (offsets are the stage's
 * alone), and the exception ends the batch where the crash point is. The test then closes the
 * context and starts a fresh one under the same pod name: the restart. The real Runtime.halt is
 * exercised by the lab's drills.
 */
@Singleton
@Replaces(RuntimeHalt.class)
class InProcessHalt implements ProcessHalt {

    /** Thrown instead of halting. */
    static final class Halted extends RuntimeException {
        Halted(int status) {
            super(
                    "process halted with exit code " + status + " (in-process test)",
                    null,
                    false,
                    false);
        }
    }

    private final Provider<ConsumerRegistry> consumers;
    private final Provider<InvoiceProducers> producers;
    private final AtomicInteger fired = new AtomicInteger();
    private volatile int lastStatus = -1;

    InProcessHalt(Provider<ConsumerRegistry> consumers, Provider<InvoiceProducers> producers) {
        this.consumers = consumers;
        this.producers = producers;
    }

    @Override
    public void halt(int status) {
        producers.get().atMostOnce().close(Duration.ZERO);
        producers.get().atLeastOnce().close(Duration.ZERO);
        producers.get().transactional().close(Duration.ZERO);
        consumers.get().getConsumerIds().forEach(consumers.get()::pause);
        lastStatus = status;
        fired.incrementAndGet();
        throw new Halted(status);
    }

    int fired() {
        return fired.get();
    }

    int lastStatus() {
        return lastStatus;
    }
}

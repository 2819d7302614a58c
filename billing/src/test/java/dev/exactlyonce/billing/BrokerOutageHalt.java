package dev.exactlyonce.billing;

import dev.exactlyonce.server.ProcessHalt;
import dev.exactlyonce.testkit.EmbeddedKafkaBroker;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * For {@link CommitTimeoutTest}: the crash drill, instead of halting billing, stops the (only)
 * Kafka broker right where it fires — between sendOffsetsToTransaction and commitTransaction when
 * armed at BEFORE_COMMIT — starts it again {@code test.broker-outage} later on the same port and
 * data, and lets billing go on into its commit with no broker to answer.
 */
@Singleton
@Requires(property = "test.broker-outage")
@Replaces(InProcessHalt.class)
class BrokerOutageHalt implements ProcessHalt {

    /** The broker the test runs billing against (one test at a time). */
    static volatile EmbeddedKafkaBroker broker;

    private final Duration outage;
    private final AtomicInteger fired = new AtomicInteger();

    BrokerOutageHalt(
            @io.micronaut.context.annotation.Property(name = "test.broker-outage")
                    Duration outage) {
        this.outage = outage;
    }

    @Override
    public void halt(int status) {
        fired.incrementAndGet();
        EmbeddedKafkaBroker down = broker;
        down.stop();
        Thread restart =
                new Thread(
                        () -> {
                            try {
                                Thread.sleep(outage.toMillis());
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            down.start();
                        },
                        "broker-outage");
        restart.setDaemon(true);
        restart.start();
    }

    int fired() {
        return fired.get();
    }
}

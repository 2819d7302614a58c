package dev.exactlyonce.consumer;

import dev.exactlyonce.grpc.v1.ConsumerConfig;
import dev.exactlyonce.grpc.v1.CrashPoint;
import dev.exactlyonce.server.CrashCountdown;
import dev.exactlyonce.server.CrashDrillHalt;
import io.micronaut.context.annotation.Property;
import io.micronaut.transaction.TransactionDefinition;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * crash_after_messages=N: halts the process right after the N-th message (counted since the drill
 * was armed, a poll batch at a time) reaches the configured crash point. One-shot: the disarm is
 * written durably to exactly-once.settings, and the crash is counted in PostgreSQL, BEFORE the
 * halt, so the restarted process neither crashes again nor forgets that it crashed.
 */
@Singleton
class CrashDrill {

    private static final Logger LOG = LoggerFactory.getLogger(CrashDrill.class);

    private final SharedConsumerConfig config;
    private final CrashDrillRepository crashes;
    private final TransactionOperations<Connection> transactions;
    private final ConsumerMetrics metrics;
    private final CrashDrillHalt halt;
    private final String podName;
    private final String group;
    private final CrashCountdown<CrashPoint> countdown = new CrashCountdown<>();

    CrashDrill(
            SharedConsumerConfig config,
            CrashDrillRepository crashes,
            TransactionOperations<Connection> transactions,
            ConsumerMetrics metrics,
            CrashDrillHalt halt,
            ConsumerSettings settings,
            @Property(name = "app.pod-name") String podName) {
        this.config = config;
        this.crashes = crashes;
        this.transactions = transactions;
        this.metrics = metrics;
        this.halt = halt;
        this.podName = podName;
        this.group = settings.groupId();
    }

    /**
     * Called by the poll-loop thread when {@code messages} records of a batch reached {@code
     * point}.
     */
    void reached(CrashPoint point, int messages, ConsumerConfig batchConfig) {
        if (countdown.reached(
                point,
                messages,
                batchConfig.getCrashAfterMessages(),
                batchConfig.getCrashPoint())) {
            fire(batchConfig);
        }
    }

    private void fire(ConsumerConfig batchConfig) {
        halt.fire(
                config::disarmCrashDrill,
                () -> {
                    record(batchConfig);
                    metrics.crashFired();
                },
                countdown.count()
                        + " messages reached "
                        + countdown.armedPoint()
                        + " in "
                        + batchConfig.getProcessingMode());
    }

    /**
     * Counts the crash in PostgreSQL, in its own transaction: at BEFORE_DB_COMMIT the batch's
     * transaction is open and dies with the process.
     */
    private void record(ConsumerConfig batchConfig) {
        try {
            transactions.execute(
                    TransactionDefinition.of(TransactionDefinition.Propagation.REQUIRES_NEW),
                    status ->
                            crashes.save(
                                    new CrashDrillFired(
                                            null,
                                            group,
                                            podName,
                                            batchConfig.getProcessingMode().name(),
                                            countdown.armedPoint().name(),
                                            countdown.armedAfter(),
                                            Instant.now())));
        } catch (RuntimeException e) {
            LOG.warn("crash drill: could not count the crash in PostgreSQL ({})", e.toString());
        }
    }

    long crashesFired() {
        return transactions.executeRead(status -> crashes.countByConsumerGroup(group));
    }
}

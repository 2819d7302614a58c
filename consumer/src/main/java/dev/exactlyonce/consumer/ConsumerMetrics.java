package dev.exactlyonce.consumer;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.server.StalledLoop;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The consumer's counters, twice: Micrometer meters for /prometheus (monotonic, as Prometheus
 * expects) and resettable totals for GetConsumerStats / ResetConsumerStats.
 */
@Singleton
class ConsumerMetrics {

    /** Resettable totals, in the order of the ConsumerStats fields. */
    enum Total {
        RECEIVED,
        PROCESSED,
        DUPLICATES_SKIPPED,
        KEY_CONFLICTS,
        FAILURES,
        RETRIES,
        DEAD_LETTERED,
        COMMITS_UNKNOWN,
        RETENTION_SKIPPED
    }

    private final MeterRegistry registry;
    private final Map<Total, Counter> counters = new ConcurrentHashMap<>();
    private final Map<Total, LongAdder> totals = new ConcurrentHashMap<>();
    private final Counter crashesFired;
    private final Timer processingLatency;
    private final Timer endToEndLatency;
    private final Map<Integer, AtomicLong> lagByPartition = new ConcurrentHashMap<>();

    ConsumerMetrics(MeterRegistry registry, SharedConsumerConfig config, StalledLoop stalled) {
        this.registry = registry;
        Gauge.builder("consumer.loop.stalled.seconds", stalled, StalledLoop::stalledSeconds)
                .description(
                        "seconds the poll loop has been retrying the same work (0 while it moves); "
                                + "past app.consumer.stalled-after readiness is NOT_SERVING")
                .register(registry);
        counter(Total.RECEIVED, "consumer.messages.received", "records polled from Kafka");
        counter(Total.PROCESSED, "consumer.messages.processed", "order rows stored in PostgreSQL");
        counter(
                Total.DUPLICATES_SKIPPED,
                "consumer.duplicates.skipped",
                "records whose message_id was already stored");
        counter(
                Total.KEY_CONFLICTS,
                "consumer.key.conflicts",
                "records refused because their message_id was stored for an order with other content");
        counter(
                Total.FAILURES,
                "consumer.processing.failures",
                "failed processing attempts (simulated)");
        counter(Total.RETRIES, "consumer.retries", "processing attempts retried after a failure");
        counter(
                Total.DEAD_LETTERED,
                "consumer.dead.lettered",
                "records dead-lettered (table dead_letters, in the batch's transaction)");
        counter(
                Total.RETENTION_SKIPPED,
                "consumer.retention.skipped",
                "records deleted by retention before this group read them (recorded in retention_gaps)");
        counter(
                Total.COMMITS_UNKNOWN,
                "consumer.commit.unknown",
                "at-most-once: records of a batch whose COMMIT got no answer, not written again (possibly lost)");
        this.crashesFired =
                Counter.builder("consumer.crashes.fired")
                        .description("crash drills fired by this process")
                        .register(registry);
        this.processingLatency =
                Timer.builder("consumer.processing.latency")
                        .description("processing of one poll batch, poll to last commit")
                        .publishPercentileHistogram()
                        .register(registry);
        this.endToEndLatency =
                Timer.builder("consumer.end.to.end.latency")
                        .description("produced_at to the database commit, per record")
                        .publishPercentileHistogram()
                        .register(registry);
        for (DeliveryMode mode :
                new DeliveryMode[] {
                    DeliveryMode.AT_MOST_ONCE, DeliveryMode.AT_LEAST_ONCE, DeliveryMode.EXACTLY_ONCE
                }) {
            Gauge.builder(
                            "consumer.processing.mode",
                            config,
                            c -> c.current().getProcessingMode() == mode ? 1 : 0)
                    .description("1 for the active processing mode")
                    .tag("mode", mode.name())
                    .register(registry);
        }
        Gauge.builder(
                        "consumer.idempotency.enabled",
                        config,
                        c -> c.current().getEnableIdempotency() ? 1 : 0)
                .description("1 when the message_id check is on")
                .register(registry);
    }

    private void counter(Total total, String name, String description) {
        counters.put(total, Counter.builder(name).description(description).register(registry));
        totals.put(total, new LongAdder());
    }

    void add(Total total, long amount) {
        if (amount > 0) {
            counters.get(total).increment(amount);
            totals.get(total).add(amount);
        }
    }

    long total(Total total) {
        return totals.get(total).sum();
    }

    void reset() {
        totals.values().forEach(LongAdder::reset);
    }

    void crashFired() {
        crashesFired.increment();
    }

    void batchProcessed(long nanos) {
        processingLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    void stored(Iterable<OrderRow> rows, Instant committedAt) {
        for (OrderRow row : rows) {
            Duration latency = Duration.between(row.producedAt(), committedAt);
            if (!latency.isNegative()) {
                endToEndLatency.record(latency);
            }
        }
    }

    void lag(int partition, long lag) {
        lagByPartition
                .computeIfAbsent(
                        partition,
                        p -> {
                            AtomicLong value = new AtomicLong();
                            Gauge.builder("consumer.lag", value, AtomicLong::get)
                                    .description("records behind the partition end")
                                    .tag("partition", String.valueOf(p))
                                    .register(registry);
                            return value;
                        })
                .set(lag);
    }
}

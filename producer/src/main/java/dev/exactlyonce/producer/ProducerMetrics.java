package dev.exactlyonce.producer;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.ProducerModeStats;
import dev.exactlyonce.grpc.v1.ProducerStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The producer's Micrometer meters (the names the dashboard uses) and GetProducerStats, which reads
 * the same counters: one source of truth. Meters are registered once, so the hot path only
 * increments.
 */
@Singleton
public class ProducerMetrics {

    static final List<DeliveryMode> MODES =
            List.of(
                    DeliveryMode.AT_MOST_ONCE,
                    DeliveryMode.AT_LEAST_ONCE,
                    DeliveryMode.EXACTLY_ONCE);

    private final Map<DeliveryMode, Counter> sent = new EnumMap<>(DeliveryMode.class);
    private final Map<DeliveryMode, Counter> acknowledged = new EnumMap<>(DeliveryMode.class);
    private final Map<DeliveryMode, Counter> failed = new EnumMap<>(DeliveryMode.class);
    private final Map<DeliveryMode, Timer> latency = new EnumMap<>(DeliveryMode.class);
    private final Map<DeliveryMode, AtomicInteger> active = new EnumMap<>(DeliveryMode.class);
    private final Counter committed;
    private final Counter aborted;
    private final Timer transactionDuration;
    private final DistributionSummary transactionRecords;
    private final AcknowledgedOrders acknowledgedOrders = new AcknowledgedOrders();

    public ProducerMetrics(MeterRegistry registry) {
        for (DeliveryMode mode : MODES) {
            String tag = mode.name();
            sent.put(mode, produced(registry, tag, "sent"));
            acknowledged.put(mode, produced(registry, tag, "acknowledged"));
            failed.put(mode, produced(registry, tag, "failed"));
            latency.put(
                    mode,
                    Timer.builder("orders.produce.latency")
                            .description("PlaceOrder latency until the mode's guarantee held")
                            .tag("mode", tag)
                            .publishPercentileHistogram()
                            .register(registry));
            AtomicInteger flag = new AtomicInteger();
            active.put(mode, flag);
            Gauge.builder("producer.delivery.mode", flag, AtomicInteger::get)
                    .description("1 for the delivery mode this replica uses, 0 for the others")
                    .tag("mode", tag)
                    .register(registry);
        }
        committed = transactions(registry, "committed");
        aborted = transactions(registry, "aborted");
        transactionDuration =
                Timer.builder("producer.transaction.duration")
                        .description("From beginTransaction to the end of commitTransaction")
                        .publishPercentileHistogram()
                        .register(registry);
        transactionRecords =
                DistributionSummary.builder("producer.transaction.records")
                        .description("Records per committed transaction (group commit at work)")
                        .publishPercentileHistogram()
                        .register(registry);
    }

    private static Counter produced(MeterRegistry registry, String mode, String outcome) {
        return Counter.builder("orders.produced")
                .description(
                        "Orders: sent = records handed to the Kafka client, acknowledged = distinct orders "
                                + "(message ids) whose call returned success, counted once however often they are retried "
                                + "or copied (within the last "
                                + AcknowledgedOrders.CAPACITY
                                + " distinct orders), "
                                + "failed = records whose call returned an error")
                .tag("mode", mode)
                .tag("outcome", outcome)
                .register(registry);
    }

    private static Counter transactions(MeterRegistry registry, String outcome) {
        return Counter.builder("producer.transactions")
                .description("Kafka transactions by outcome")
                .tag("outcome", outcome)
                .register(registry);
    }

    void sent(DeliveryMode mode, int records) {
        sent.get(mode).increment(records);
    }

    /**
     * A call returned success for these orders: each counts once per message id (see {@link
     * AcknowledgedOrders}), so a client's retry of an order, or SimulateDuplicate's copies, is not
     * a second acknowledged order.
     */
    void acknowledged(DeliveryMode mode, List<OutgoingOrder> orders, long startedNanos) {
        int firstTime = 0;
        for (OutgoingOrder order : orders) {
            if (acknowledgedOrders.firstAcknowledgement(order.messageId())) {
                firstTime++;
            }
        }
        acknowledged.get(mode).increment(firstTime);
        latency.get(mode).record(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS);
    }

    void failed(DeliveryMode mode, int records) {
        failed.get(mode).increment(records);
    }

    void committed(int records, long durationNanos) {
        committed.increment();
        transactionRecords.record(records);
        transactionDuration.record(durationNanos, TimeUnit.NANOSECONDS);
    }

    void aborted() {
        aborted.increment();
    }

    void activeMode(DeliveryMode mode) {
        active.forEach((m, flag) -> flag.set(m == mode ? 1 : 0));
    }

    ProducerStats stats(String podName) {
        ProducerStats.Builder stats = ProducerStats.newBuilder().setPodName(podName);
        long totalSent = 0;
        long totalAcknowledged = 0;
        long totalFailed = 0;
        for (DeliveryMode mode : MODES) {
            long s = (long) sent.get(mode).count();
            long a = (long) acknowledged.get(mode).count();
            long f = (long) failed.get(mode).count();
            stats.addPerMode(
                    ProducerModeStats.newBuilder()
                            .setDeliveryMode(mode)
                            .setSent(s)
                            .setAcknowledged(a)
                            .setFailed(f));
            totalSent += s;
            totalAcknowledged += a;
            totalFailed += f;
        }
        long transactions = transactionRecords.count();
        return stats.setSent(totalSent)
                .setAcknowledged(totalAcknowledged)
                .setFailed(totalFailed)
                .setTransactionsCommitted((long) committed.count())
                .setTransactionsAborted((long) aborted.count())
                .setRecordsPerTransaction(
                        transactions == 0 ? 0 : transactionRecords.totalAmount() / transactions)
                .build();
    }
}

package dev.exactlyonce.billing;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.server.StalledLoop;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Billing's counters, twice: Micrometer meters for /prometheus (monotonic; the names the chart's
 * dashboard queries: billing_orders_received_total, billing_invoices_sent_total{mode},
 * billing_transactions_total{outcome}, billing_crash_drills_fired_total,
 * billing_dead_lettered_total, billing_already_invoiced_total, billing_commits_retried_total,
 * billing_loop_stalled_seconds) and resettable totals for GetBillingStats / ResetBillingStats.
 */
@Singleton
class BillingMetrics {

    /** Resettable totals, in the order of the BillingStats fields. */
    enum Total {
        ORDERS_RECEIVED,
        INVOICES_SENT,
        FAILURES,
        RETRIES,
        DEAD_LETTERED,
        TRANSACTIONS_COMMITTED,
        TRANSACTIONS_ABORTED,
        PRODUCERS_RECREATED,
        CRASHES_FIRED,
        ALREADY_INVOICED,
        COMMITS_RETRIED
    }

    private static final DeliveryMode[] MODES = {
        DeliveryMode.AT_MOST_ONCE, DeliveryMode.AT_LEAST_ONCE, DeliveryMode.EXACTLY_ONCE
    };

    private final Map<Total, LongAdder> totals = new EnumMap<>(Total.class);
    private final Counter ordersReceived;
    private final Map<DeliveryMode, Counter> invoicesSent = new EnumMap<>(DeliveryMode.class);
    private final Counter committed;
    private final Counter aborted;
    private final Counter crashesFired;
    private final Counter deadLettered;
    private final Counter failures;
    private final Counter retries;
    private final Counter producersRecreated;
    private final Counter alreadyInvoiced;
    private final Counter commitsRetried;
    private final Timer batchLatency;
    private final DistributionSummary transactionOrders;

    BillingMetrics(MeterRegistry registry, SharedBillingConfig config, StalledLoop stalled) {
        for (Total total : Total.values()) {
            totals.put(total, new LongAdder());
        }
        Gauge.builder("billing.loop.stalled.seconds", stalled, StalledLoop::stalledSeconds)
                .description(
                        "seconds billing has been reading the same batch again (0 while it bills); "
                                + "past app.billing.stalled-after readiness is NOT_SERVING")
                .register(registry);
        ordersReceived =
                Counter.builder("billing.orders.received")
                        .description("order records polled from Kafka")
                        .register(registry);
        for (DeliveryMode mode : MODES) {
            invoicesSent.put(
                    mode,
                    Counter.builder("billing.invoices.sent")
                            .tag("mode", mode.name())
                            .description(
                                    "invoices written (exactly-once: counted when their transaction committed)")
                            .register(registry));
            Gauge.builder(
                            "billing.processing.mode",
                            config,
                            c -> c.current().getProcessingMode() == mode ? 1 : 0)
                    .description("1 for the active processing mode")
                    .tag("mode", mode.name())
                    .register(registry);
        }
        committed =
                Counter.builder("billing.transactions")
                        .tag("outcome", "committed")
                        .description("Kafka transactions (exactly-once)")
                        .register(registry);
        aborted =
                Counter.builder("billing.transactions")
                        .tag("outcome", "aborted")
                        .description("Kafka transactions (exactly-once)")
                        .register(registry);
        crashesFired =
                Counter.builder("billing.crash.drills.fired")
                        .description("crash drills fired by this process")
                        .register(registry);
        deadLettered =
                Counter.builder("billing.dead.lettered")
                        .description("orders sent to billing.dlq")
                        .register(registry);
        failures =
                Counter.builder("billing.failures")
                        .description("failed invoicing attempts (simulated)")
                        .register(registry);
        retries =
                Counter.builder("billing.retries")
                        .description("invoicing attempts retried after a failure")
                        .register(registry);
        producersRecreated =
                Counter.builder("billing.producers.recreated")
                        .description(
                                "producers closed and created anew after a fenced or fatal error")
                        .register(registry);
        alreadyInvoiced =
                Counter.builder("billing.already.invoiced")
                        .description(
                                "orders not invoiced again: their invoice was committed before (a client's retry)")
                        .register(registry);
        commitsRetried =
                Counter.builder("billing.commits.retried")
                        .description(
                                "commitTransaction calls retried after a timeout left the outcome unknown")
                        .register(registry);
        batchLatency =
                Timer.builder("billing.batch.latency")
                        .description("one poll batch, transform to last step")
                        .publishPercentileHistogram()
                        .register(registry);
        transactionOrders =
                DistributionSummary.builder("billing.transaction.orders")
                        .description(
                                "orders per committed exactly-once transaction (its poll batches"
                                        + " together)")
                        .register(registry);
    }

    void received(int orders) {
        ordersReceived.increment(orders);
        add(Total.ORDERS_RECEIVED, orders);
    }

    void sent(DeliveryMode mode, int invoices, int letters, long failed, long retried) {
        invoicesSent.get(mode).increment(invoices);
        add(Total.INVOICES_SENT, invoices);
        deadLettered.increment(letters);
        add(Total.DEAD_LETTERED, letters);
        failures.increment(failed);
        add(Total.FAILURES, failed);
        retries.increment(retried);
        add(Total.RETRIES, retried);
    }

    void transactionCommitted(int orders) {
        committed.increment();
        transactionOrders.record(orders);
        add(Total.TRANSACTIONS_COMMITTED, 1);
    }

    void transactionAborted() {
        aborted.increment();
        add(Total.TRANSACTIONS_ABORTED, 1);
    }

    void producerRecreated() {
        producersRecreated.increment();
        add(Total.PRODUCERS_RECREATED, 1);
    }

    void alreadyInvoiced(int orders) {
        alreadyInvoiced.increment(orders);
        add(Total.ALREADY_INVOICED, orders);
    }

    void commitRetried() {
        commitsRetried.increment();
        add(Total.COMMITS_RETRIED, 1);
    }

    void crashFired() {
        crashesFired.increment();
        add(Total.CRASHES_FIRED, 1);
    }

    void batchTook(long nanos) {
        batchLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    long total(Total total) {
        return totals.get(total).sum();
    }

    void reset() {
        totals.values().forEach(LongAdder::reset);
    }

    private void add(Total total, long amount) {
        totals.get(total).add(amount);
    }
}

package dev.exactlyonce.lab.drill;

import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.AuditRequest;
import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.GetOrderRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.grpc.v1.ResetRequest;
import dev.exactlyonce.lab.runner.PipelineClients;
import dev.exactlyonce.lab.runner.PipelineModes;
import dev.exactlyonce.lab.runner.Progress;
import dev.exactlyonce.lab.runner.RetryingOrderClient;
import dev.exactlyonce.lab.runner.SampleOrders;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The original lab's crash exercises as an asserted run. Per mode and fault: put producer and
 * consumers into the mode, Reset, arm the fault, place orders from a few concurrent clients, let
 * the consumer die and come back, Audit with the acknowledged count, and compare with {@link
 * ExpectedOutcome}.
 */
public final class Drill {

    /**
     * Exactly-once under a producer SIGKILL places orders with PlaceOrderBatch calls of this many
     * orders: the orders of a call the kill left unacknowledged must then be all stored or none.
     */
    static final int BATCH_ORDERS = 5;

    private final PipelineClients clients;
    private final PipelineModes modes;
    private final PipelineFaults faults;
    private final DrillSettings settings;
    private final Progress progress;

    public Drill(
            PipelineClients clients,
            PipelineFaults faults,
            DrillSettings settings,
            Progress progress) {
        this.clients = clients;
        this.modes = new PipelineModes(clients);
        this.faults = faults;
        this.settings = settings;
        this.progress = progress;
    }

    public List<DrillRow> run() throws Exception {
        List<DrillRow> rows = new ArrayList<>();
        try {
            for (Scenario scenario : settings.scenarios()) {
                rows.add(run(scenario.mode(), scenario.fault()));
            }
        } finally {
            modes.disarmCrash();
        }
        return rows;
    }

    DrillRow run(DeliveryMode mode, Fault fault) throws Exception {
        long start = System.nanoTime();
        String label = fault.label(settings.kills());
        progress.line(
                "%s, %s: %d orders from %d clients%s",
                mode,
                label,
                settings.orders(),
                settings.clients(),
                fault.isCrashDrill() ? "" : " (more if the strikes need longer)");
        // drained in the mode that produced the backlog: each mode measures lag against its own
        // positions
        modes.awaitDrained(settings.recoveryTimeout());
        modes.apply(mode);
        clients.query().reset(ResetRequest.getDefaultInstance());

        String before =
                fault.isBillingFault() ? faults.billingInstances() : faults.consumerInstances();
        if (fault.billingCrashPoint() != null) {
            modes.armBillingCrash(settings.crashAfter(), fault.billingCrashPoint());
        } else if (fault.isCrashDrill()) {
            modes.armCrash(settings.crashAfter(), fault.crashPoint());
        }
        boolean batches = mode == DeliveryMode.EXACTLY_ONCE && fault == Fault.SIGKILL_PRODUCER;
        OrderTraffic traffic =
                new OrderTraffic(
                        clients.producerChannel(),
                        settings.clients(),
                        settings.orders(),
                        batches ? BATCH_ORDERS : 1,
                        new SampleOrders("drill-" + mode.name().toLowerCase().replace('_', '-')),
                        RetryingOrderClient.of(retryPolicy(mode)));
        ExecutorService killer = Executors.newSingleThreadExecutor();
        try {
            Future<String> kills = null;
            if (!fault.isCrashDrill()) {
                traffic.holdOpen();
                kills = killer.submit(() -> strikeDuring(traffic, fault));
            }
            traffic.run();
            FaultOutcome outcome =
                    kills != null
                            ? outcomeOf(kills)
                            : fault.isBillingFault()
                                    ? awaitBillingCrashAndRestart(before)
                                    : awaitCrashAndRestart(before);
            String note = outcome.note() + "; " + traffic.retries() + " retried calls";
            AuditResponse audit =
                    clients.query()
                            .audit(
                                    AuditRequest.newBuilder()
                                            .setWaitSeconds(
                                                    (int) settings.recoveryTimeout().toSeconds())
                                            .setAcknowledged(traffic.acknowledged())
                                            .build());
            ExpectedOutcome expected = ExpectedOutcome.of(mode, fault);
            if (!audit.getDrained()) {
                note += "; not drained: " + audit.getInFlight() + " in flight";
            }
            if (!audit.getInvoices().getDrained()) {
                note +=
                        "; billing not drained: "
                                + audit.getInvoices().getInFlight()
                                + " in flight";
            }
            // the other leg, for the record: a billing fault leaves PostgreSQL alone and the other
            // way round
            note +=
                    fault.isBillingFault()
                            ? "; PostgreSQL leg: " + audit.getVerdict()
                            : "; invoice leg: " + audit.getInvoices().getVerdict();
            boolean batchesWhole = true;
            if (batches) {
                UnacknowledgedBatches unacknowledged =
                        UnacknowledgedBatches.of(traffic.unacknowledgedCalls(), this::isStored);
                note += "; " + unacknowledged;
                batchesWhole = unacknowledged.partly() == 0;
            }
            // a billing row's stored/distinct are committed invoices and distinct invoice ids
            DrillRow row =
                    fault.isBillingFault()
                            ? new DrillRow(
                                    mode.name(),
                                    label,
                                    traffic.sent(),
                                    traffic.acknowledged(),
                                    audit.getInvoices().getInvoicesTotal(),
                                    audit.getInvoices().getInvoicesDistinct(),
                                    audit.getInvoices().getLost(),
                                    audit.getInvoices().getDuplicated(),
                                    audit.getInvoices().getVerdict(),
                                    expected.description(),
                                    outcome.happened() && expected.holds(audit),
                                    note)
                            : new DrillRow(
                                    mode.name(),
                                    label,
                                    traffic.sent(),
                                    traffic.acknowledged(),
                                    audit.getStoredRows(),
                                    audit.getStoredDistinct(),
                                    audit.getLost(),
                                    audit.getDuplicated(),
                                    audit.getVerdict(),
                                    expected.description(),
                                    outcome.happened() && expected.holds(audit) && batchesWhole,
                                    note);
            progress.line(
                    "  %s %s — %s (%s) in %s",
                    row.mark(),
                    row.verdict(),
                    row.note(),
                    row.expected(),
                    Progress.seconds(System.nanoTime() - start));
            return row;
        } finally {
            killer.shutdownNow();
        }
    }

    /**
     * Clients retry with the same order ids, except in at-most-once: "at most once" is a promise
     * never to send twice, and a retry after an unknown outcome (the first attempt may have been
     * written) breaks it.
     */
    static RetryingOrderClient.Policy retryPolicy(DeliveryMode mode) {
        // one attempt of 30 s: long enough to wait (wait-for-ready) through a producer restart
        return mode == DeliveryMode.AT_MOST_ONCE
                ? RetryingOrderClient.Policy.noRetries(Duration.ofSeconds(30))
                : RetryingOrderClient.Policy.standard();
    }

    /**
     * The unacknowledged PlaceOrderBatch calls by what became of their orders: all stored, none, or
     * some (a broken transaction).
     */
    record UnacknowledgedBatches(int entirely, int none, int partly) {

        static UnacknowledgedBatches of(
                List<List<PlaceOrderRequest>> calls, Predicate<String> isStored) {
            int entirely = 0;
            int none = 0;
            int partly = 0;
            for (List<PlaceOrderRequest> call : calls) {
                long stored =
                        call.stream().map(PlaceOrderRequest::getOrderId).filter(isStored).count();
                if (stored == 0) {
                    none++;
                } else if (stored == call.size()) {
                    entirely++;
                } else {
                    partly++;
                }
            }
            return new UnacknowledgedBatches(entirely, none, partly);
        }

        @Override
        public String toString() {
            return (entirely + none + partly)
                    + " unacknowledged PlaceOrderBatch calls: "
                    + entirely
                    + " entirely stored, "
                    + none
                    + " entirely absent, "
                    + partly
                    + " partly";
        }
    }

    private boolean isStored(String orderId) {
        try {
            clients.query().getOrder(GetOrderRequest.newBuilder().setOrderId(orderId).build());
            return true;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Whether the fault really struck (a row without its fault proves nothing), and what happened.
     */
    private record FaultOutcome(boolean happened, String note) {}

    /**
     * The consumer halts by itself; the supervisor (or Kubernetes) restarts it, the disarm is
     * durable.
     */
    private FaultOutcome awaitCrashAndRestart(String before) throws Exception {
        try {
            faults.awaitConsumerRestarted(before, settings.recoveryTimeout());
            return new FaultOutcome(true, "consumer halted at the crash point and was restarted");
        } catch (ConditionTimeoutException e) {
            return new FaultOutcome(
                    false,
                    "the crash did not fire within "
                            + Progress.seconds(settings.recoveryTimeout()));
        }
    }

    /** Billing halts by itself at its crash point; the supervisor (or Kubernetes) restarts it. */
    private FaultOutcome awaitBillingCrashAndRestart(String before) throws Exception {
        try {
            faults.awaitBillingRestarted(before, settings.recoveryTimeout());
            return new FaultOutcome(true, "billing halted at the crash point and was restarted");
        } catch (ConditionTimeoutException e) {
            return new FaultOutcome(
                    false,
                    "the billing crash did not fire within "
                            + Progress.seconds(settings.recoveryTimeout()));
        }
    }

    private static FaultOutcome outcomeOf(Future<String> strikes) throws InterruptedException {
        try {
            return new FaultOutcome(true, strikes.get());
        } catch (ExecutionException e) {
            return new FaultOutcome(
                    false,
                    "the fault could not be struck or the pipeline did not recover: "
                            + e.getCause().getMessage());
        }
    }

    /**
     * K strikes at random points of the stream, each after the pipeline recovered from the previous
     * one. The traffic is held open until the last recovery: when recoveries take longer than the
     * planned orders last, the stream grows instead of the last strikes landing after it.
     */
    private String strikeDuring(OrderTraffic traffic, Fault fault) throws Exception {
        int times = settings.kills();
        try {
            for (int k = 0; k < times; k++) {
                double fraction =
                        0.1 + 0.8 * (k + ThreadLocalRandom.current().nextDouble()) / times;
                awaitAcknowledged(traffic, (long) (traffic.planned() * fraction));
                long at = traffic.acknowledged();
                String what = faults.inject(fault, settings.recoveryTimeout());
                progress.line(
                        "  %s after %d acknowledged orders; every service serves again", what, at);
            }
        } finally {
            traffic.release();
        }
        return fault.label(times) + " at random moments during the stream, recovered each time";
    }

    /**
     * Waits until {@code point} orders are acknowledged (or the traffic ends), however long a big
     * stream takes to get there; fails only when no order was acknowledged for the recovery
     * timeout.
     */
    private void awaitAcknowledged(OrderTraffic traffic, long point) {
        long[] last = {-1, System.nanoTime()}; // acknowledged count, and when it last moved
        await().forever()
                .pollInterval(Duration.ofMillis(5))
                .until(
                        () -> {
                            long now = traffic.acknowledged();
                            if (now >= point || traffic.done()) {
                                return true;
                            }
                            if (now != last[0]) {
                                last[0] = now;
                                last[1] = System.nanoTime();
                            } else if (System.nanoTime() - last[1]
                                    > settings.recoveryTimeout().toNanos()) {
                                throw new IllegalStateException(
                                        "no order acknowledged for "
                                                + Progress.seconds(settings.recoveryTimeout())
                                                + " ("
                                                + now
                                                + " of "
                                                + point
                                                + " before the next strike)");
                            }
                            return false;
                        });
    }
}

package dev.exactlyonce.lab.runner;

import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.BillingConfig;
import dev.exactlyonce.grpc.v1.BillingCrashPoint;
import dev.exactlyonce.grpc.v1.ConsumerConfig;
import dev.exactlyonce.grpc.v1.CrashPoint;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.GetBillingConfigRequest;
import dev.exactlyonce.grpc.v1.GetConsumerConfigRequest;
import dev.exactlyonce.grpc.v1.GetConsumerLagRequest;
import dev.exactlyonce.grpc.v1.GetProducerConfigRequest;
import dev.exactlyonce.grpc.v1.UpdateBillingConfigRequest;
import dev.exactlyonce.grpc.v1.UpdateConsumerConfigRequest;
import dev.exactlyonce.grpc.v1.UpdateProducerConfigRequest;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * Puts the producer, every consumer replica and billing into one delivery mode (through the shared,
 * durable settings) and waits until each replica reports it, so that a drill or a bench run
 * measures the mode it names. Idempotency follows the mode: on for exactly-once, off otherwise
 * (duplicates must show).
 */
public final class PipelineModes {

    static final Duration APPLY_TIMEOUT = Duration.ofSeconds(60);

    private final PipelineClients clients;

    public PipelineModes(PipelineClients clients) {
        this.clients = clients;
    }

    public void apply(DeliveryMode mode) {
        boolean exactlyOnce = mode == DeliveryMode.EXACTLY_ONCE;
        clients.producer()
                .updateProducerConfig(
                        UpdateProducerConfigRequest.newBuilder()
                                .setDeliveryMode(mode)
                                .setEnableTransactions(exactlyOnce)
                                .build());
        clients.consumer()
                .updateConsumerConfig(
                        UpdateConsumerConfigRequest.newBuilder()
                                .setProcessingMode(mode)
                                .setEnableIdempotency(exactlyOnce)
                                .setCrashAfterMessages(0)
                                .setFailureRate(0)
                                .setProcessingDelayMs(0)
                                .build());
        await("producer in " + mode)
                .atMost(APPLY_TIMEOUT)
                .pollInterval(Duration.ofMillis(200))
                .ignoreException(StatusRuntimeException.class)
                .until(
                        () ->
                                clients.producer()
                                                .getProducerConfig(
                                                        GetProducerConfigRequest
                                                                .getDefaultInstance())
                                                .getDeliveryMode()
                                        == mode);
        awaitConsumers(
                "consumers in " + mode,
                c ->
                        c.getProcessingMode() == mode
                                && c.getEnableIdempotency() == exactlyOnce
                                && c.getCrashAfterMessages() == 0);
        // billing's settings are shared through exactly-once.settings like the consumer's: one
        // replica stores them
        clients.billing()
                .updateBillingConfig(
                        UpdateBillingConfigRequest.newBuilder()
                                .setProcessingMode(mode)
                                .setCrashAfterMessages(0)
                                .setFailureRate(0)
                                .build());
        await("billing in " + mode)
                .atMost(APPLY_TIMEOUT)
                .pollInterval(Duration.ofMillis(200))
                .ignoreException(StatusRuntimeException.class)
                .until(
                        () -> {
                            BillingConfig billing =
                                    clients.billing()
                                            .getBillingConfig(
                                                    GetBillingConfigRequest.getDefaultInstance());
                            return billing.getProcessingMode() == mode
                                    && billing.getCrashAfterMessages() == 0;
                        });
    }

    /** Arms billing's one-shot crash drill: halt after the n-th order reaches {@code point}. */
    public void armBillingCrash(int afterMessages, BillingCrashPoint point) {
        clients.billing()
                .updateBillingConfig(
                        UpdateBillingConfigRequest.newBuilder()
                                .setCrashAfterMessages(afterMessages)
                                .setCrashPoint(point)
                                .build());
        await("billing crash armed (" + afterMessages + ", " + point + ")")
                .atMost(APPLY_TIMEOUT)
                .pollInterval(Duration.ofMillis(200))
                .ignoreException(StatusRuntimeException.class)
                .until(
                        () -> {
                            BillingConfig billing =
                                    clients.billing()
                                            .getBillingConfig(
                                                    GetBillingConfigRequest.getDefaultInstance());
                            return billing.getCrashAfterMessages() == afterMessages
                                    && billing.getCrashPoint() == point;
                        });
    }

    /**
     * Arms the one-shot crash drill on every replica: halt after the n-th message reaches {@code
     * point}.
     */
    public void armCrash(int afterMessages, CrashPoint point) {
        clients.consumer()
                .updateConsumerConfig(
                        UpdateConsumerConfigRequest.newBuilder()
                                .setCrashAfterMessages(afterMessages)
                                .setCrashPoint(point)
                                .build());
        awaitConsumers(
                "crash armed (" + afterMessages + ", " + point + ")",
                c -> c.getCrashAfterMessages() == afterMessages && c.getCrashPoint() == point);
    }

    public void disarmCrash() {
        clients.consumer()
                .updateConsumerConfig(
                        UpdateConsumerConfigRequest.newBuilder().setCrashAfterMessages(0).build());
        clients.billing()
                .updateBillingConfig(
                        UpdateBillingConfigRequest.newBuilder().setCrashAfterMessages(0).build());
    }

    /**
     * Waits until the consumer group and billing's group have no lag, so that a following Reset
     * starts from a quiet pipeline.
     */
    public void awaitDrained(Duration timeout) {
        awaitLagZero("consumer lag 0", GetConsumerLagRequest.getDefaultInstance(), timeout);
        String billingGroup =
                clients.billing()
                        .getBillingConfig(GetBillingConfigRequest.getDefaultInstance())
                        .getGroupId();
        awaitLagZero(
                "billing lag 0",
                GetConsumerLagRequest.newBuilder().setGroupId(billingGroup).build(),
                timeout);
    }

    /** Waits until the consumer group (PostgreSQL's leg) has no lag; billing's is not asked. */
    public void awaitStored(Duration timeout) {
        awaitLagZero("consumer lag 0", GetConsumerLagRequest.getDefaultInstance(), timeout);
    }

    /**
     * Waits for a group's lag to reach 0 for as long as it keeps going down: a big backlog (a
     * stream held open through a slow recovery) may take longer than {@code stalled}; only a lag
     * that stops moving for that long fails.
     */
    private void awaitLagZero(String what, GetConsumerLagRequest request, Duration stalled) {
        long[] lowest = {Long.MAX_VALUE, System.nanoTime()}; // the lowest lag seen, and when
        await(what)
                .forever()
                .pollInterval(Duration.ofMillis(250))
                .ignoreException(StatusRuntimeException.class)
                .until(
                        () -> {
                            long lag = clients.query().getConsumerLag(request).getTotalLag();
                            if (lag == 0) {
                                return true;
                            }
                            if (lag < lowest[0]) {
                                lowest[0] = lag;
                                lowest[1] = System.nanoTime();
                            } else if (System.nanoTime() - lowest[1] > stalled.toNanos()) {
                                throw new IllegalStateException(
                                        what
                                                + ": the lag stayed at "
                                                + lag
                                                + " or more for "
                                                + Progress.seconds(stalled));
                            }
                            return false;
                        });
    }

    private void awaitConsumers(String what, Predicate<ConsumerConfig> applied) {
        for (int i = 0; i < clients.consumerCount(); i++) {
            int replica = i;
            await(what + " on replica " + i)
                    .atMost(APPLY_TIMEOUT)
                    .pollInterval(Duration.ofMillis(200))
                    .ignoreException(StatusRuntimeException.class)
                    .until(
                            () ->
                                    applied.test(
                                            clients.consumer(replica)
                                                    .getConsumerConfig(
                                                            GetConsumerConfigRequest
                                                                    .getDefaultInstance())));
        }
    }
}

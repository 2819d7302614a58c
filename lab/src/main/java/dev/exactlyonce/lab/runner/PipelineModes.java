package dev.exactlyonce.lab.runner;

import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.ConsumerConfig;
import dev.exactlyonce.grpc.v1.CrashPoint;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.GetConsumerConfigRequest;
import dev.exactlyonce.grpc.v1.GetConsumerLagRequest;
import dev.exactlyonce.grpc.v1.GetProducerConfigRequest;
import dev.exactlyonce.grpc.v1.UpdateConsumerConfigRequest;
import dev.exactlyonce.grpc.v1.UpdateProducerConfigRequest;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * Puts the producer and every consumer replica into one delivery mode (through the shared, durable
 * settings) and waits until each replica reports it, so that a drill or a bench run measures the mode
 * it names. Idempotency follows the mode: on for exactly-once, off otherwise (duplicates must show).
 */
public final class PipelineModes {

    static final Duration APPLY_TIMEOUT = Duration.ofSeconds(60);

    private final PipelineClients clients;

    public PipelineModes(PipelineClients clients) {
        this.clients = clients;
    }

    public void apply(DeliveryMode mode) {
        boolean exactlyOnce = mode == DeliveryMode.EXACTLY_ONCE;
        clients.producer().updateProducerConfig(UpdateProducerConfigRequest.newBuilder()
                .setDeliveryMode(mode).setEnableTransactions(exactlyOnce).build());
        clients.consumer().updateConsumerConfig(UpdateConsumerConfigRequest.newBuilder()
                .setProcessingMode(mode)
                .setEnableIdempotency(exactlyOnce)
                .setCrashAfterMessages(0)
                .setFailureRate(0)
                .setProcessingDelayMs(0)
                .build());
        await("producer in " + mode).atMost(APPLY_TIMEOUT).pollInterval(Duration.ofMillis(200))
                .ignoreException(StatusRuntimeException.class)
                .until(() -> clients.producer().getProducerConfig(GetProducerConfigRequest.getDefaultInstance())
                        .getDeliveryMode() == mode);
        awaitConsumers("consumers in " + mode, c -> c.getProcessingMode() == mode
                && c.getEnableIdempotency() == exactlyOnce && c.getCrashAfterMessages() == 0);
    }

    /** Arms the one-shot crash drill on every replica: halt after the n-th message reaches {@code point}. */
    public void armCrash(int afterMessages, CrashPoint point) {
        clients.consumer().updateConsumerConfig(UpdateConsumerConfigRequest.newBuilder()
                .setCrashAfterMessages(afterMessages).setCrashPoint(point).build());
        awaitConsumers("crash armed (" + afterMessages + ", " + point + ")",
                c -> c.getCrashAfterMessages() == afterMessages && c.getCrashPoint() == point);
    }

    public void disarmCrash() {
        clients.consumer().updateConsumerConfig(UpdateConsumerConfigRequest.newBuilder().setCrashAfterMessages(0).build());
    }

    /** Waits until the consumer group has no lag, so that a following Reset starts from a quiet pipeline. */
    public void awaitDrained(Duration timeout) {
        await("consumer lag 0").atMost(timeout).pollInterval(Duration.ofMillis(250))
                .ignoreException(StatusRuntimeException.class)
                .until(() -> clients.query().getConsumerLag(GetConsumerLagRequest.getDefaultInstance()).getTotalLag() == 0);
    }

    private void awaitConsumers(String what, Predicate<ConsumerConfig> applied) {
        for (int i = 0; i < clients.consumerCount(); i++) {
            int replica = i;
            await(what + " on replica " + i).atMost(APPLY_TIMEOUT).pollInterval(Duration.ofMillis(200))
                    .ignoreException(StatusRuntimeException.class)
                    .until(() -> applied.test(clients.consumer(replica)
                            .getConsumerConfig(GetConsumerConfigRequest.getDefaultInstance())));
        }
    }
}

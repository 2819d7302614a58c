package dev.exactlyonce.consumer;

import dev.exactlyonce.grpc.v1.ConsumerConfig;
import dev.exactlyonce.grpc.v1.UpdateConsumerConfigRequest;
import dev.exactlyonce.kafka.KafkaConnection;
import dev.exactlyonce.kafka.SharedConfig;
import dev.exactlyonce.server.KafkaDependency;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.util.concurrent.TimeoutException;

/**
 * The consumer's runtime config, shared by every replica under key "consumer": the poll loop reads
 * {@link #current()} before each poll.
 */
@Singleton
public class SharedConsumerConfig
        extends SharedConfig<ConsumerConfig, UpdateConsumerConfigRequest> {

    static final String KEY = "consumer";

    public SharedConsumerConfig(
            ConsumerSettings defaults, KafkaDependency kafkaDependency, KafkaConnection kafka) {
        super(
                KEY,
                defaultsOf(defaults),
                ConsumerConfig.parser(),
                new ConsumerConfigRules(),
                kafkaDependency,
                kafka);
    }

    static ConsumerConfig defaultsOf(ConsumerSettings defaults) {
        return ConsumerConfig.newBuilder()
                .setProcessingMode(defaults.processingMode())
                .setEnableIdempotency(defaults.enableIdempotency())
                .setCrashAfterMessages(0)
                .setCrashPoint(defaults.crashPoint())
                .setFailureRate(defaults.failureRate())
                .setMaxAttempts(defaults.maxAttempts())
                .setProcessingDelayMs(defaults.processingDelayMs())
                .build();
    }

    /** The crash drill's one-shot disarm, durable before the process halts. */
    public ConsumerConfig disarmCrashDrill() throws TimeoutException, InterruptedException {
        return update(UpdateConsumerConfigRequest.newBuilder().setCrashAfterMessages(0).build());
    }

    @Override
    @PreDestroy
    public void close() {
        super.close();
    }
}

package dev.exactlyonce.consumer;

import dev.exactlyonce.grpc.v1.ConsumerConfig;
import dev.exactlyonce.grpc.v1.UpdateConsumerConfigRequest;
import dev.exactlyonce.kafka.KafkaConnection;
import dev.exactlyonce.kafka.SharedSettings;
import dev.exactlyonce.server.KafkaDependency;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer's runtime settings, shared by every replica through the compacted topic lab.settings
 * (key "consumer"). The poll loop reads {@link #current()} before each poll, so a change applies at
 * the next poll without a restart; a restarted replica starts with the newest stored value.
 */
@Singleton
public class SharedConsumerConfig {

    static final String KEY = "consumer";
    private static final Logger LOG = LoggerFactory.getLogger(SharedConsumerConfig.class);
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(10);

    private final SharedSettings<ConsumerConfig> settings;

    public SharedConsumerConfig(
            ConsumerSettings defaults, KafkaDependency kafkaDependency, KafkaConnection kafka) {
        try {
            // creates lab.settings when this is the first service of a fresh cluster
            kafkaDependency.check();
        } catch (Exception e) {
            LOG.warn(
                    "Kafka not reachable yet ({}); settings start from the defaults until it is",
                    e.toString());
        }
        this.settings =
                new SharedSettings<>(
                                kafka,
                                KEY,
                                defaultsOf(defaults),
                                ConsumerConfig.parser(),
                                ConsumerConfigRules::check,
                                value -> {})
                        .start(Duration.ofSeconds(10));
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

    public ConsumerConfig current() {
        return settings.current();
    }

    /** Validates, merges and writes durably; returns the value every replica now applies. */
    public synchronized ConsumerConfig update(UpdateConsumerConfigRequest update)
            throws TimeoutException, InterruptedException {
        ConsumerConfig next = ConsumerConfigRules.merge(current(), update);
        return settings.publish(next, WRITE_TIMEOUT);
    }

    /** The crash drill's one-shot disarm, durable before the process halts. */
    public ConsumerConfig disarmCrashDrill() throws TimeoutException, InterruptedException {
        return update(UpdateConsumerConfigRequest.newBuilder().setCrashAfterMessages(0).build());
    }

    @PreDestroy
    void close() {
        settings.close();
    }
}

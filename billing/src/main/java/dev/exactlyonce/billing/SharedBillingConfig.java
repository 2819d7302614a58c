package dev.exactlyonce.billing;

import dev.exactlyonce.grpc.v1.BillingConfig;
import dev.exactlyonce.grpc.v1.UpdateBillingConfigRequest;
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
 * Billing's runtime settings, shared by every replica through the compacted topic lab.settings (key
 * "billing"). The stage reads {@link #current()} once per poll batch, so a change applies at the
 * next batch without a restart; a restarted replica starts with the newest stored value.
 */
@Singleton
public class SharedBillingConfig {

    static final String KEY = "billing";
    private static final Logger LOG = LoggerFactory.getLogger(SharedBillingConfig.class);
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(10);

    private final SharedSettings<BillingConfig> settings;

    public SharedBillingConfig(
            BillingSettings defaults, KafkaDependency kafkaDependency, KafkaConnection kafka) {
        try {
            // creates lab.settings (and orders, invoices, ...) when this is the first service of a
            // fresh cluster
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
                                BillingConfig.parser(),
                                BillingConfigRules::check,
                                value -> {})
                        .start(Duration.ofSeconds(10));
    }

    static BillingConfig defaultsOf(BillingSettings defaults) {
        return BillingConfig.newBuilder()
                .setProcessingMode(defaults.processingMode())
                .setCrashAfterMessages(0)
                .setCrashPoint(defaults.crashPoint())
                .setFailureRate(defaults.failureRate())
                .setMaxAttempts(defaults.maxAttempts())
                .build();
    }

    public BillingConfig current() {
        return settings.current();
    }

    /** Validates, merges and writes durably; returns the value every replica now applies. */
    public synchronized BillingConfig update(UpdateBillingConfigRequest update)
            throws TimeoutException, InterruptedException {
        return settings.publish(BillingConfigRules.merge(current(), update), WRITE_TIMEOUT);
    }

    /** The crash drill's one-shot disarm, durable before the process halts. */
    BillingConfig disarmCrashDrill() throws TimeoutException, InterruptedException {
        return update(UpdateBillingConfigRequest.newBuilder().setCrashAfterMessages(0).build());
    }

    @PreDestroy
    void close() {
        settings.close();
    }
}

package dev.exactlyonce.billing;

import dev.exactlyonce.grpc.v1.BillingConfig;
import dev.exactlyonce.grpc.v1.UpdateBillingConfigRequest;
import dev.exactlyonce.kafka.KafkaConnection;
import dev.exactlyonce.kafka.SharedConfig;
import dev.exactlyonce.server.KafkaDependency;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.util.concurrent.TimeoutException;

/**
 * Billing's runtime config, shared by every replica under key "billing": the stage reads {@link
 * #current()} once per poll batch.
 */
@Singleton
public class SharedBillingConfig extends SharedConfig<BillingConfig, UpdateBillingConfigRequest> {

    static final String KEY = "billing";

    public SharedBillingConfig(
            BillingSettings defaults, KafkaDependency kafkaDependency, KafkaConnection kafka) {
        super(
                KEY,
                defaultsOf(defaults),
                BillingConfig.parser(),
                new BillingConfigRules(),
                kafkaDependency,
                kafka);
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

    /** The crash drill's one-shot disarm, durable before the process halts. */
    BillingConfig disarmCrashDrill() throws TimeoutException, InterruptedException {
        return update(UpdateBillingConfigRequest.newBuilder().setCrashAfterMessages(0).build());
    }

    @Override
    @PreDestroy
    public void close() {
        super.close();
    }
}

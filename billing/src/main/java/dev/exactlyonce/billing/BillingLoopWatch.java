package dev.exactlyonce.billing;

import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.server.StalledLoop;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;

/**
 * The billing loop's stall watch: a readiness dependency of billing (see {@link StalledLoop}), fed
 * by {@link BillingRecovery}.
 */
@Factory
class BillingLoopWatch {

    @Singleton
    StalledLoop stalledLoop(BillingSettings settings) {
        return new StalledLoop(
                Topics.ORDERS + " to " + Topics.INVOICES + ", group " + settings.groupId(),
                settings.stalledAfter());
    }
}

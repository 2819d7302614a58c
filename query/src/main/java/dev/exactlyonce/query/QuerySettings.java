package dev.exactlyonce.query;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;

/**
 * The query service's settings ({@code app.query.*}).
 *
 * @param consumerGroupId the real consumer's group, whose lag and position are reported (env
 *     CONSUMER_GROUP_ID)
 * @param billingGroupId the billing service's group: the invoice leg of the audit judges up to its
 *     committed offsets (env BILLING_GROUP_ID)
 * @param producerAddress host:port of the producer's gRPC server, asked for its acknowledged count
 *     (env PRODUCER_ADDRESS)
 * @param maxConcurrentAudits audits answered at once; more are refused with RESOURCE_EXHAUSTED (env
 *     MAX_CONCURRENT_AUDITS)
 */
@ConfigurationProperties("app.query")
public record QuerySettings(
        @Bindable(defaultValue = "orders-consumer") String consumerGroupId,
        @Bindable(defaultValue = "127.0.0.1:8000") String producerAddress,
        @Bindable(defaultValue = "orders-billing") String billingGroupId,
        @Bindable(defaultValue = "2") int maxConcurrentAudits) {}

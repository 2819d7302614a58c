package dev.exactlyonce.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.BillingCrashPoint;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.UpdateBillingConfigRequest;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.server.ProcessHalt;
import io.micronaut.configuration.kafka.ConsumerRegistry;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Provider;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * SIGTERM while billing commits its offsets. Micronaut's shutdown closes the listener through
 * micronaut-kafka, which wakes the listener's consumer once ({@code consumer.wakeup()}) and whose
 * poll loop ends only when its own {@code poll()} meets that wakeup. When the wakeup lands in
 * billing's {@code commitSync} instead, billing must pass it on ({@link
 * BillingRecovery#wakeUpAgain}); taken for a failed commit, it left billing polling and billing on
 * after SIGTERM, and the JVM never exited (chaos seed 5001).
 *
 * <p>Here the crash drill's BEFORE_COMMIT point wakes the consumer the way the shutdown does, just
 * before the commit ({@link WakeUpInsteadOfHalting}), so the wakeup lands in the commit every time.
 * Then the poll loop must end: the consumer closes and leaves the group, and the batch whose commit
 * was cut short stays uncommitted.
 */
class ShutdownWakeupTest {

    private static final int ORDERS = 200;

    @ParameterizedTest(name = "{0}")
    @EnumSource(
            value = DeliveryMode.class,
            names = {"AT_LEAST_ONCE", "AT_MOST_ONCE"})
    void aWakeupThatLandsInTheOffsetCommitStillEndsThePollLoop(DeliveryMode mode) throws Exception {
        String group = BillingPipeline.unique("billing-wakeup");
        BillingPipeline.startGroupAtEnd(group);
        Map<String, Object> properties =
                BillingPipeline.billingProperties(group, BillingPipeline.unique("billing-pod"));
        properties.put(WakeUpInsteadOfHalting.PROPERTY, "true");

        try (ApplicationContext billing =
                ApplicationContext.builder().environments("test").properties(properties).start()) {
            BillingPipeline.awaitAssigned(billing);
            billing.getBean(SharedBillingConfig.class)
                    .update(
                            UpdateBillingConfigRequest.newBuilder()
                                    .setProcessingMode(mode)
                                    .setFailureRate(0)
                                    .setCrashAfterMessages(20)
                                    .setCrashPoint(BillingCrashPoint.BEFORE_COMMIT)
                                    .build());
            BillingPipeline.send(
                    BillingPipeline.orders(
                            BillingPipeline.unique("wakeup-" + mode.name().toLowerCase()), ORDERS));

            WakeUpInsteadOfHalting wakeUp = billing.getBean(WakeUpInsteadOfHalting.class);
            await().atMost(Duration.ofSeconds(30)).until(() -> wakeUp.wakeups() == 1);
            // the loop ended and closed the consumer, which left the group
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> members(group) == 0);
            long committed =
                    BillingPipeline.committed(group).values().stream()
                            .mapToLong(Long::longValue)
                            .sum();
            long end;
            try (Admin admin = BillingPipeline.admin()) {
                end =
                        BillingPipeline.endOffsets(admin, Topics.ORDERS, Topics.ORDERS_PARTITIONS)
                                .values()
                                .stream()
                                .mapToLong(Long::longValue)
                                .sum();
            }
            assertThat(committed)
                    .as("the woken batch's offsets were not committed")
                    .isLessThan(end);
        }
    }

    private static int members(String group) throws Exception {
        try (Admin admin = BillingPipeline.admin()) {
            return admin.describeConsumerGroups(List.of(group))
                    .all()
                    .get()
                    .get(group)
                    .members()
                    .size();
        }
    }

    /**
     * The crash drill's halt, for this test only: instead of halting, it wakes every listener
     * consumer as micronaut-kafka's close() does ({@code ConsumerState.wakeUp}), and returns, so
     * the stage goes on into its offset commit with the wakeup pending.
     */
    @Singleton
    @Replaces(InProcessHalt.class)
    @Requires(property = WakeUpInsteadOfHalting.PROPERTY, value = "true")
    static class WakeUpInsteadOfHalting implements ProcessHalt {

        static final String PROPERTY = "billing-test.wake-up-instead-of-halting";

        private final Provider<ConsumerRegistry> consumers;
        private final AtomicInteger wakeups = new AtomicInteger();

        WakeUpInsteadOfHalting(Provider<ConsumerRegistry> consumers) {
            this.consumers = consumers;
        }

        @Override
        public void halt(int status) {
            ConsumerRegistry registry = consumers.get();
            registry.getConsumerIds().forEach(id -> registry.getConsumer(id).wakeup());
            wakeups.incrementAndGet();
        }

        int wakeups() {
            return wakeups.get();
        }
    }
}

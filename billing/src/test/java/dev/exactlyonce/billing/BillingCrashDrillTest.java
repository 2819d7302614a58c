package dev.exactlyonce.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.BillingCrashPoint;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.UpdateBillingConfigRequest;
import dev.exactlyonce.kafka.GroupProtocol;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.server.CrashDrillHalt;
import io.micronaut.context.ApplicationContext;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Billing's semantics table, proven against the real broker: billing crashes at a crash point
 * (in-process, see {@link InProcessHalt}), a new billing process starts under the same pod name,
 * and the committed invoices (read_committed) show what the mode predicts, exactly.
 */
class BillingCrashDrillTest {

    private static final int ORDERS = 300;
    private static final int CRASH_AFTER = 40;

    @ParameterizedTest(name = "{0} crash {1}: {2}")
    @CsvSource({
        "EXACTLY_ONCE,  AFTER_SEND,    exact",
        "EXACTLY_ONCE,  BEFORE_COMMIT, exact",
        "EXACTLY_ONCE,  AFTER_COMMIT,  exact",
        "AT_LEAST_ONCE, AFTER_SEND,    duplicates",
        "AT_LEAST_ONCE, AFTER_COMMIT,  exact",
        "AT_MOST_ONCE,  BEFORE_COMMIT, exact",
        "AT_MOST_ONCE,  AFTER_COMMIT,  losses"
    })
    void crashAndRestart(DeliveryMode mode, BillingCrashPoint point, String expected)
            throws Exception {
        crashAndRestart(mode, point, expected, GroupProtocol.CLASSIC);
    }

    /**
     * Exactly-once under KIP-848's consumer group protocol: the broker assigns the partitions, and
     * the restarted process (a new member) gets them once the crashed member's session, the
     * broker's group.consumer.session.timeout.ms (10 s in the testkit), is over.
     */
    @ParameterizedTest(name = "consumer protocol: {0} crash {1}: {2}")
    @CsvSource({
        "EXACTLY_ONCE,  AFTER_SEND,    exact",
        "EXACTLY_ONCE,  BEFORE_COMMIT, exact",
        "EXACTLY_ONCE,  AFTER_COMMIT,  exact"
    })
    void crashAndRestartUnderTheConsumerProtocol(
            DeliveryMode mode, BillingCrashPoint point, String expected) throws Exception {
        crashAndRestart(mode, point, expected, GroupProtocol.CONSUMER);
    }

    private void crashAndRestart(
            DeliveryMode mode, BillingCrashPoint point, String expected, GroupProtocol protocol)
            throws Exception {
        String group = BillingPipeline.unique("billing-crash");
        String pod = BillingPipeline.unique("billing-pod");
        String prefix =
                BillingPipeline.unique(
                        mode.name().toLowerCase() + "-" + point.name().toLowerCase());
        BillingPipeline.startGroupAtEnd(group);

        try (ApplicationContext first = BillingPipeline.startBilling(group, pod, protocol)) {
            BillingPipeline.awaitAssigned(first);
            first.getBean(SharedBillingConfig.class)
                    .update(
                            UpdateBillingConfigRequest.newBuilder()
                                    .setProcessingMode(mode)
                                    .setFailureRate(0)
                                    .setCrashAfterMessages(CRASH_AFTER)
                                    .setCrashPoint(point)
                                    .build());
            BillingPipeline.send(BillingPipeline.orders(prefix, ORDERS));
            InProcessHalt halt = first.getBean(InProcessHalt.class);
            await().atMost(Duration.ofSeconds(30)).until(() -> halt.fired() == 1);
            assertThat(halt.lastStatus()).isEqualTo(CrashDrillHalt.EXIT_CODE);
        }

        try (ApplicationContext restarted = BillingPipeline.startBilling(group, pod, protocol)) {
            // one-shot: the disarm was stored before the crash
            assertThat(
                            restarted
                                    .getBean(SharedBillingConfig.class)
                                    .current()
                                    .getCrashAfterMessages())
                    .isZero();
            BillingPipeline.awaitCaughtUp(group);
            // what GetBillingStats shows: the restarted replica's positions are the group's
            // committed offsets
            Map<TopicPartition, Long> committed = BillingPipeline.committed(group);
            assertThat(restarted.getBean(BillingStage.class).committedPositions())
                    .isNotEmpty()
                    .allSatisfy(
                            (partition, position) ->
                                    assertThat(position)
                                            .isEqualTo(
                                                    committed.get(
                                                            new TopicPartition(
                                                                    Topics.ORDERS, partition))));
            // the invoices' transaction markers may land just after the offsets show: wait for the
            // outcome
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertOutcome(expected, BillingPipeline.invoiced(prefix)));
            assertThat(restarted.getBean(InProcessHalt.class).fired()).isZero();
            assertThat(BillingPipeline.groupType(group)).isEqualTo(protocol.groupType());
        }
    }

    private static void assertOutcome(String expected, BillingPipeline.Invoiced invoiced) {
        switch (expected) {
            case "exact" ->
                    assertThat(invoiced)
                            .as("every order exactly one committed invoice")
                            .isEqualTo(new BillingPipeline.Invoiced(ORDERS, ORDERS));
            case "duplicates" -> {
                assertThat(invoiced.distinct()).as("none lost").isEqualTo(ORDERS);
                assertThat(invoiced.total())
                        .as("the crashed batch invoiced twice")
                        .isGreaterThan(ORDERS);
            }
            case "losses" -> {
                assertThat(invoiced.distinct()).as("the crashed batch lost").isLessThan(ORDERS);
                assertThat(invoiced.total()).as("none twice").isEqualTo(invoiced.distinct());
            }
            default -> throw new IllegalArgumentException(expected);
        }
    }
}

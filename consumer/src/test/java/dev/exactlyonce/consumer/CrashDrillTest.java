package dev.exactlyonce.consumer;

import static dev.exactlyonce.grpc.v1.DeliveryMode.AT_LEAST_ONCE;
import static dev.exactlyonce.grpc.v1.DeliveryMode.AT_MOST_ONCE;
import static dev.exactlyonce.grpc.v1.DeliveryMode.EXACTLY_ONCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.CrashPoint;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.UpdateConsumerConfigRequest;
import dev.exactlyonce.kafka.GroupProtocol;
import dev.exactlyonce.server.CrashDrillHalt;
import io.micronaut.context.ApplicationContext;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The semantics table, proven: a consumer crashes at a crash point (in-process, see {@link
 * InProcessHalt}), a new one starts under the same pod name, and the database shows what the mode
 * predicts.
 */
class CrashDrillTest {

    private static final int ORDERS = 300;
    private static final int CRASH_AFTER = 40;

    @ParameterizedTest(name = "{0} crash {1}")
    @CsvSource({
        "EXACTLY_ONCE, BEFORE_DB_COMMIT",
        "EXACTLY_ONCE, AFTER_DB_COMMIT",
        "EXACTLY_ONCE, AFTER_OFFSET_COMMIT",
        "AT_LEAST_ONCE, AFTER_DB_COMMIT",
        "AT_MOST_ONCE, AFTER_OFFSET_COMMIT"
    })
    void crashAndRestart(DeliveryMode mode, CrashPoint point) throws Exception {
        crashAndRestart(mode, point, GroupProtocol.CLASSIC);
    }

    /**
     * Exactly-once under KIP-848's consumer group protocol: the restarted process joins under the
     * same static member name, which the broker releases only when the crashed member's session
     * (the broker's group.consumer.session.timeout.ms, 10 s in the testkit) is over.
     */
    @ParameterizedTest(name = "consumer protocol: {0} crash {1}")
    @CsvSource({"EXACTLY_ONCE, BEFORE_DB_COMMIT", "EXACTLY_ONCE, AFTER_DB_COMMIT"})
    void crashAndRestartUnderTheConsumerProtocol(DeliveryMode mode, CrashPoint point)
            throws Exception {
        crashAndRestart(mode, point, GroupProtocol.CONSUMER);
    }

    private void crashAndRestart(DeliveryMode mode, CrashPoint point, GroupProtocol protocol)
            throws Exception {
        String group = Pipeline.unique("crash");
        String pod = Pipeline.unique("pod");
        String prefix =
                Pipeline.unique(mode.name().toLowerCase() + "-" + point.name().toLowerCase());
        Pipeline.startGroupAtEnd(group);

        try (ApplicationContext first = Pipeline.startConsumer(group, pod, protocol)) {
            OrderConsumer consumer = first.getBean(OrderConsumer.class);
            await().atMost(Duration.ofSeconds(30)).until(() -> consumer.partitions().size() == 3);
            first.getBean(SharedConsumerConfig.class)
                    .update(
                            UpdateConsumerConfigRequest.newBuilder()
                                    .setProcessingMode(mode)
                                    // at-least-once shows its duplicates only without the
                                    // message-id check
                                    .setEnableIdempotency(mode == EXACTLY_ONCE)
                                    .setFailureRate(0)
                                    .setCrashAfterMessages(CRASH_AFTER)
                                    .setCrashPoint(point)
                                    .build());
            Pipeline.send(Pipeline.orders(prefix, ORDERS));
            InProcessHalt halt = first.getBean(InProcessHalt.class);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> halt.fired() == 1 && !consumer.isRunning());
            assertThat(halt.lastStatus()).isEqualTo(CrashDrillHalt.EXIT_CODE);
        }

        try (ApplicationContext restarted = Pipeline.startConsumer(group, pod, protocol)) {
            // one-shot: the disarm was stored before the crash, and the crash was counted durably
            assertThat(
                            restarted
                                    .getBean(SharedConsumerConfig.class)
                                    .current()
                                    .getCrashAfterMessages())
                    .isZero();
            assertThat(restarted.getBean(CrashDrill.class).crashesFired()).isEqualTo(1);
            Pipeline.awaitCaughtUp(group);
            Pipeline.Stored stored = Pipeline.stored(prefix);
            switch (mode) {
                case EXACTLY_ONCE ->
                        assertThat(stored).isEqualTo(new Pipeline.Stored(ORDERS, ORDERS));
                case AT_LEAST_ONCE -> {
                    assertThat(stored.distinct()).as("none lost").isEqualTo(ORDERS);
                    assertThat(stored.rows())
                            .as("the crashed batch written twice")
                            .isGreaterThan(ORDERS);
                }
                case AT_MOST_ONCE -> {
                    assertThat(stored.distinct()).as("the crashed batch lost").isLessThan(ORDERS);
                    assertThat(stored.rows()).as("none twice").isEqualTo(stored.distinct());
                }
                default -> throw new IllegalArgumentException(mode.name());
            }
            assertThat(restarted.getBean(InProcessHalt.class).fired()).isZero();
            assertThat(Pipeline.groupType(group)).isEqualTo(protocol.groupType());
        }
    }
}

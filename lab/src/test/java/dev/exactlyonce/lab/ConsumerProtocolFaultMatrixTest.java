package dev.exactlyonce.lab;

import static dev.exactlyonce.lab.drill.Fault.BILLING_CRASH_BEFORE_COMMIT;
import static dev.exactlyonce.lab.drill.Fault.CRASH_AFTER_DB_COMMIT;
import static dev.exactlyonce.lab.drill.Fault.CRASH_BEFORE_DB_COMMIT;
import static dev.exactlyonce.lab.drill.Fault.PAUSE_BILLING;
import static dev.exactlyonce.lab.drill.Fault.PAUSE_CONSUMER;
import static dev.exactlyonce.lab.drill.Fault.ROLLING_RESTART_KAFKA;
import static dev.exactlyonce.lab.drill.Fault.SIGKILL_BILLING;
import static dev.exactlyonce.lab.drill.Fault.SIGKILL_CONSUMER;
import static dev.exactlyonce.lab.drill.Fault.SIGKILL_GROUP_COORDINATOR;
import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.kafka.GroupProtocol;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rows of {@link FaultMatrixTest} that move consumer-group members, in exactly-once, with the
 * consumer and billing replicas on KIP-848's consumer group protocol ({@code --group-protocol
 * consumer}): the consumer halted by its crash drill before and after its database commit and
 * restarted under its static member name, billing halted between {@code sendOffsetsToTransaction}
 * and its commit, a consumer replica and billing SIGKILLed (the broker reassigns their partitions),
 * a consumer replica and billing paused past the broker's session timeout (they wake up removed
 * from the group and must join again), the group coordinator's broker SIGKILLed, and a rolling
 * restart of the three brokers. Same lab shape as {@link FaultMatrixTest}: three brokers, three
 * consumer replicas.
 */
class ConsumerProtocolFaultMatrixTest {

    @RegisterExtension
    static LabFixture fixture = LabFixture.perClass(3, 3, GroupProtocol.CONSUMER);

    @Test
    void exactlyOnceHoldsWhenTheBrokersRunTheGroups(@TempDir Path out) throws Exception {
        fixture.runMatrix(
                List.of(DeliveryMode.EXACTLY_ONCE),
                List.of(
                        CRASH_BEFORE_DB_COMMIT,
                        CRASH_AFTER_DB_COMMIT,
                        BILLING_CRASH_BEFORE_COMMIT,
                        SIGKILL_CONSUMER,
                        SIGKILL_BILLING,
                        PAUSE_CONSUMER,
                        PAUSE_BILLING,
                        SIGKILL_GROUP_COORDINATOR,
                        ROLLING_RESTART_KAFKA),
                out);
        assertThat(fixture.output())
                .contains(
                        "consumer group protocol of consumer and billing: consumer",
                        "exited with code 70 (crash drill halt)",
                        "exited with code 137 (SIGKILL)");
    }
}

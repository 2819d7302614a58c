package dev.exactlyonce.lab.drill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExpectedOutcomeTest {

    private static AuditResponse audit(long lost, long duplicated) {
        return AuditResponse.newBuilder().setLost(lost).setDuplicated(duplicated).setDrained(true).build();
    }

    @Test
    void exactlyOnceAllowsNeitherLossNorDuplicatesUnderAnyFault() {
        for (Fault fault : Fault.values()) {
            ExpectedOutcome expected = ExpectedOutcome.of(DeliveryMode.EXACTLY_ONCE, fault);
            assertThat(expected.holds(audit(0, 0))).isTrue();
            assertThat(expected.holds(audit(1, 0))).isFalse();
            assertThat(expected.holds(audit(0, 1))).isFalse();
        }
    }

    @Test
    void atLeastOnceCrashAfterDbCommitMustDuplicateAndNeverLose() {
        ExpectedOutcome crash = ExpectedOutcome.of(DeliveryMode.AT_LEAST_ONCE, Fault.CRASH_AFTER_DB_COMMIT);
        assertThat(crash.holds(audit(0, 5))).isTrue();
        assertThat(crash.holds(audit(0, 0))).as("the crash must show its duplicates").isFalse();
        assertThat(crash.holds(audit(1, 5))).isFalse();
        ExpectedOutcome kill = ExpectedOutcome.of(DeliveryMode.AT_LEAST_ONCE, Fault.SIGKILL_CONSUMER);
        assertThat(kill.holds(audit(0, 0))).isTrue();
        assertThat(kill.holds(audit(0, 7))).isTrue();
        assertThat(kill.holds(audit(2, 0))).isFalse();
    }

    @Test
    void atMostOnceCrashAfterOffsetCommitMustLoseAndNeverDuplicate() {
        ExpectedOutcome crash = ExpectedOutcome.of(DeliveryMode.AT_MOST_ONCE, Fault.CRASH_AFTER_OFFSET_COMMIT);
        assertThat(crash.holds(audit(3, 0))).isTrue();
        assertThat(crash.holds(audit(0, 0))).as("the crash must show its losses").isFalse();
        assertThat(crash.holds(audit(3, 1))).isFalse();
        ExpectedOutcome kill = ExpectedOutcome.of(DeliveryMode.AT_MOST_ONCE, Fault.SIGKILL_CONSUMER);
        assertThat(kill.holds(audit(4, 0))).isTrue();
        assertThat(kill.holds(audit(0, 1))).isFalse();
    }

    @Test
    void everyCrashPointHasAnExactOutcomeInEveryMode() {
        // at-least-once: write rows, commit offsets
        assertThat(ExpectedOutcome.of(DeliveryMode.AT_LEAST_ONCE, Fault.CRASH_BEFORE_DB_COMMIT).holds(audit(0, 1))).isFalse();
        assertThat(ExpectedOutcome.of(DeliveryMode.AT_LEAST_ONCE, Fault.CRASH_AFTER_OFFSET_COMMIT).holds(audit(0, 0))).isTrue();
        assertThat(ExpectedOutcome.of(DeliveryMode.AT_LEAST_ONCE, Fault.CRASH_AFTER_OFFSET_COMMIT).holds(audit(0, 2))).isFalse();
        // at-most-once: commit offsets, write rows
        assertThat(ExpectedOutcome.of(DeliveryMode.AT_MOST_ONCE, Fault.CRASH_BEFORE_DB_COMMIT).holds(audit(5, 0))).isTrue();
        assertThat(ExpectedOutcome.of(DeliveryMode.AT_MOST_ONCE, Fault.CRASH_BEFORE_DB_COMMIT).holds(audit(0, 0))).isFalse();
        assertThat(ExpectedOutcome.of(DeliveryMode.AT_MOST_ONCE, Fault.CRASH_AFTER_DB_COMMIT).holds(audit(0, 0))).isTrue();
        assertThat(ExpectedOutcome.of(DeliveryMode.AT_MOST_ONCE, Fault.CRASH_AFTER_DB_COMMIT).holds(audit(1, 0))).isFalse();
    }

    @Test
    void anUndrainedAuditNeverPasses() {
        AuditResponse undrained = AuditResponse.newBuilder().setDrained(false).setInFlight(10).build();
        assertThat(ExpectedOutcome.of(DeliveryMode.EXACTLY_ONCE, Fault.SIGKILL_CONSUMER).holds(undrained)).isFalse();
    }

    @Test
    void theMatrixPutsEveryModeThroughEveryFault() {
        List<Scenario> matrix = Scenario.plan(List.of(DeliveryMode.values()).subList(1, 4), false, true, 1, List.of(), 3);
        assertThat(matrix).hasSize(3 * Fault.values().length);
        List<Scenario> standard = Scenario.plan(List.of(DeliveryMode.AT_MOST_ONCE, DeliveryMode.EXACTLY_ONCE), true, false, 2,
                List.of(Fault.SIGKILL_CONSUMER), 3);
        assertThat(standard).extracting(Scenario::fault).containsExactly(Fault.CRASH_AFTER_OFFSET_COMMIT,
                Fault.SIGKILL_CONSUMER, Fault.CRASH_BEFORE_DB_COMMIT, Fault.CRASH_AFTER_DB_COMMIT,
                Fault.CRASH_AFTER_OFFSET_COMMIT, Fault.SIGKILL_CONSUMER);
    }

    @Test
    void aSingleBrokerLabLeavesOutTheFaultsThatNeedThree() {
        List<Scenario> matrix = Scenario.plan(List.of(DeliveryMode.EXACTLY_ONCE), false, true, 1, List.of(), 1);
        assertThat(matrix).extracting(Scenario::fault).doesNotContain(Fault.TWO_BROKERS_DOWN)
                .contains(Fault.SIGKILL_PARTITION_LEADER, Fault.ROLLING_RESTART_KAFKA);
    }

    @Test
    void everyModeGetsItsTellingCrashPoints() {
        assertThat(Fault.crashesFor(DeliveryMode.AT_MOST_ONCE)).containsExactly(Fault.CRASH_AFTER_OFFSET_COMMIT);
        assertThat(Fault.crashesFor(DeliveryMode.AT_LEAST_ONCE)).containsExactly(Fault.CRASH_AFTER_DB_COMMIT);
        assertThat(Fault.crashesFor(DeliveryMode.EXACTLY_ONCE)).containsExactly(
                Fault.CRASH_BEFORE_DB_COMMIT, Fault.CRASH_AFTER_DB_COMMIT, Fault.CRASH_AFTER_OFFSET_COMMIT);
    }
}

package dev.exactlyonce.lab.drill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.InvoiceAudit;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExpectedOutcomeTest {

    private static AuditResponse audit(long lost, long duplicated) {
        return AuditResponse.newBuilder()
                .setLost(lost)
                .setDuplicated(duplicated)
                .setDrained(true)
                .build();
    }

    @Test
    void exactlyOnceAllowsNeitherLossNorDuplicatesUnderAnyFault() {
        for (Fault fault : Fault.values()) {
            // the same rule on the leg the fault is judged on: PostgreSQL, or the invoices for
            // billing's faults
            ExpectedOutcome expected = ExpectedOutcome.of(DeliveryMode.EXACTLY_ONCE, fault);
            boolean invoices = fault.isBillingFault();
            assertThat(expected.holds(of(fault, invoices ? invoiceAudit(0, 0) : bothLegs(0, 0, 0))))
                    .isTrue();
            assertThat(expected.holds(of(fault, invoices ? invoiceAudit(1, 0) : bothLegs(1, 0, 0))))
                    .isFalse();
            assertThat(expected.holds(of(fault, invoices ? invoiceAudit(0, 1) : bothLegs(0, 1, 0))))
                    .isFalse();
            if (!invoices) {
                assertThat(
                                expected.holds(
                                        of(
                                                fault,
                                                bothLegs(0, 0, 0).toBuilder()
                                                        .setOutOfKafkaOrder(1)
                                                        .build())))
                        .as("stored out of Kafka's order")
                        .isFalse();
                // the invoice leg counts too: a retried order invoiced twice is a failed row
                assertThat(expected.holds(of(fault, bothLegs(0, 0, 2))))
                        .as("invoiced twice")
                        .isFalse();
                assertThat(expected.holds(of(fault, audit(0, 0))))
                        .as("the invoice leg not drained")
                        .isFalse();
            }
        }
    }

    /**
     * The audit of a poison-order row also shows its one dead letter on each leg, named in the
     * verdict.
     */
    private static AuditResponse of(Fault fault, AuditResponse audit) {
        return fault == Fault.POISON_ORDER ? poisoned(audit) : audit;
    }

    private static AuditResponse poisoned(AuditResponse audit) {
        return audit.toBuilder()
                .setDeadLettered(1)
                .setVerdict("STORED_ONCE_EXCEPT (1 dead-lettered)")
                .setInvoices(audit.getInvoices().toBuilder().setDeadLettered(1))
                .build();
    }

    @Test
    void aPoisonOrderMustBeDeadLetteredOnBothLegsAndNamedInEveryMode() {
        for (DeliveryMode mode :
                List.of(
                        DeliveryMode.AT_MOST_ONCE,
                        DeliveryMode.AT_LEAST_ONCE,
                        DeliveryMode.EXACTLY_ONCE)) {
            ExpectedOutcome expected = ExpectedOutcome.of(mode, Fault.POISON_ORDER);
            AuditResponse clean = bothLegs(0, 0, 0);
            assertThat(expected.holds(poisoned(clean))).as(mode.name()).isTrue();
            assertThat(expected.holds(clean)).as(mode + ": not dead-lettered").isFalse();
            assertThat(
                            expected.holds(
                                    poisoned(clean).toBuilder().setVerdict("EXACTLY_ONCE").build()))
                    .as(mode + ": not named")
                    .isFalse();
            assertThat(
                            expected.holds(
                                    poisoned(clean).toBuilder()
                                            .setInvoices(clean.getInvoices())
                                            .build()))
                    .as(mode + ": billing did not dead-letter it")
                    .isFalse();
        }
    }

    @Test
    void onlyExactlyOnceMustKeepKafkasOrder() {
        AuditResponse replayed = audit(0, 3).toBuilder().setOutOfKafkaOrder(3).build();
        assertThat(
                        ExpectedOutcome.of(DeliveryMode.AT_LEAST_ONCE, Fault.CRASH_AFTER_DB_COMMIT)
                                .holds(replayed))
                .isTrue();
    }

    @Test
    void atLeastOnceCrashAfterDbCommitMustDuplicateAndNeverLose() {
        ExpectedOutcome crash =
                ExpectedOutcome.of(DeliveryMode.AT_LEAST_ONCE, Fault.CRASH_AFTER_DB_COMMIT);
        assertThat(crash.holds(audit(0, 5))).isTrue();
        assertThat(crash.holds(audit(0, 0))).as("the crash must show its duplicates").isFalse();
        assertThat(crash.holds(audit(1, 5))).isFalse();
        ExpectedOutcome kill =
                ExpectedOutcome.of(DeliveryMode.AT_LEAST_ONCE, Fault.SIGKILL_CONSUMER);
        assertThat(kill.holds(audit(0, 0))).isTrue();
        assertThat(kill.holds(audit(0, 7))).isTrue();
        assertThat(kill.holds(audit(2, 0))).isFalse();
    }

    @Test
    void atMostOnceCrashAfterOffsetCommitMustLoseAndNeverDuplicate() {
        ExpectedOutcome crash =
                ExpectedOutcome.of(DeliveryMode.AT_MOST_ONCE, Fault.CRASH_AFTER_OFFSET_COMMIT);
        assertThat(crash.holds(audit(3, 0))).isTrue();
        assertThat(crash.holds(audit(0, 0))).as("the crash must show its losses").isFalse();
        assertThat(crash.holds(audit(3, 1))).isFalse();
        ExpectedOutcome kill =
                ExpectedOutcome.of(DeliveryMode.AT_MOST_ONCE, Fault.SIGKILL_CONSUMER);
        assertThat(kill.holds(audit(4, 0))).isTrue();
        assertThat(kill.holds(audit(0, 1))).isFalse();
    }

    @Test
    void everyCrashPointHasAnExactOutcomeInEveryMode() {
        // at-least-once: write rows, commit offsets
        assertThat(
                        ExpectedOutcome.of(DeliveryMode.AT_LEAST_ONCE, Fault.CRASH_BEFORE_DB_COMMIT)
                                .holds(audit(0, 1)))
                .isFalse();
        assertThat(
                        ExpectedOutcome.of(
                                        DeliveryMode.AT_LEAST_ONCE, Fault.CRASH_AFTER_OFFSET_COMMIT)
                                .holds(audit(0, 0)))
                .isTrue();
        assertThat(
                        ExpectedOutcome.of(
                                        DeliveryMode.AT_LEAST_ONCE, Fault.CRASH_AFTER_OFFSET_COMMIT)
                                .holds(audit(0, 2)))
                .isFalse();
        // at-most-once: commit offsets, write rows
        assertThat(
                        ExpectedOutcome.of(DeliveryMode.AT_MOST_ONCE, Fault.CRASH_BEFORE_DB_COMMIT)
                                .holds(audit(5, 0)))
                .isTrue();
        assertThat(
                        ExpectedOutcome.of(DeliveryMode.AT_MOST_ONCE, Fault.CRASH_BEFORE_DB_COMMIT)
                                .holds(audit(0, 0)))
                .isFalse();
        assertThat(
                        ExpectedOutcome.of(DeliveryMode.AT_MOST_ONCE, Fault.CRASH_AFTER_DB_COMMIT)
                                .holds(audit(0, 0)))
                .isTrue();
        assertThat(
                        ExpectedOutcome.of(DeliveryMode.AT_MOST_ONCE, Fault.CRASH_AFTER_DB_COMMIT)
                                .holds(audit(1, 0)))
                .isFalse();
    }

    @Test
    void anUndrainedAuditNeverPasses() {
        AuditResponse undrained =
                AuditResponse.newBuilder().setDrained(false).setInFlight(10).build();
        assertThat(
                        ExpectedOutcome.of(DeliveryMode.EXACTLY_ONCE, Fault.SIGKILL_CONSUMER)
                                .holds(undrained))
                .isFalse();
    }

    @Test
    void theMatrixPutsEveryModeThroughEveryFault() {
        List<Scenario> matrix =
                Scenario.plan(
                        List.of(DeliveryMode.values()).subList(1, 4), false, true, 1, List.of(), 3);
        assertThat(matrix).hasSize(3 * Fault.values().length);
        List<Scenario> standard =
                Scenario.plan(
                        List.of(DeliveryMode.AT_MOST_ONCE, DeliveryMode.EXACTLY_ONCE),
                        true,
                        false,
                        2,
                        List.of(Fault.SIGKILL_CONSUMER),
                        3);
        assertThat(standard)
                .extracting(Scenario::fault)
                .containsExactly(
                        Fault.CRASH_AFTER_OFFSET_COMMIT,
                        Fault.BILLING_CRASH_AFTER_COMMIT,
                        Fault.SIGKILL_CONSUMER,
                        Fault.CRASH_BEFORE_DB_COMMIT,
                        Fault.CRASH_AFTER_DB_COMMIT,
                        Fault.CRASH_AFTER_OFFSET_COMMIT,
                        Fault.BILLING_CRASH_AFTER_SEND,
                        Fault.BILLING_CRASH_BEFORE_COMMIT,
                        Fault.BILLING_CRASH_AFTER_COMMIT,
                        Fault.SIGKILL_CONSUMER);
    }

    @Test
    void aSingleBrokerLabLeavesOutTheFaultsThatNeedThree() {
        List<Scenario> matrix =
                Scenario.plan(List.of(DeliveryMode.EXACTLY_ONCE), false, true, 1, List.of(), 1);
        assertThat(matrix)
                .extracting(Scenario::fault)
                .doesNotContain(Fault.TWO_BROKERS_DOWN)
                .contains(Fault.SIGKILL_PARTITION_LEADER, Fault.ROLLING_RESTART_KAFKA);
    }

    /** PostgreSQL leg lost/duplicated, invoice leg duplicated; both drained. */
    private static AuditResponse bothLegs(long lost, long duplicated, long invoicesDuplicated) {
        return audit(lost, duplicated).toBuilder()
                .setInvoices(
                        InvoiceAudit.newBuilder()
                                .setDuplicated(invoicesDuplicated)
                                .setDrained(true))
                .build();
    }

    private static AuditResponse invoiceAudit(long lost, long duplicated) {
        return AuditResponse.newBuilder()
                .setDrained(true)
                .setInvoices(
                        InvoiceAudit.newBuilder()
                                .setLost(lost)
                                .setDuplicated(duplicated)
                                .setDrained(true))
                .build();
    }

    @Test
    void billingRowsAreJudgedOnTheInvoiceLegAsBillingsStepsPredict() {
        for (Fault fault :
                List.of(
                        Fault.BILLING_CRASH_AFTER_SEND,
                        Fault.BILLING_CRASH_BEFORE_COMMIT,
                        Fault.BILLING_CRASH_AFTER_COMMIT,
                        Fault.SIGKILL_BILLING)) {
            ExpectedOutcome exactlyOnce = ExpectedOutcome.of(DeliveryMode.EXACTLY_ONCE, fault);
            assertThat(exactlyOnce.holds(invoiceAudit(0, 0))).isTrue();
            assertThat(exactlyOnce.holds(invoiceAudit(0, 1))).isFalse();
            // the PostgreSQL leg's figures do not decide a billing row
            assertThat(exactlyOnce.holds(invoiceAudit(0, 0).toBuilder().setLost(3).build()))
                    .isTrue();
            // an undrained invoice leg never passes
            assertThat(exactlyOnce.holds(AuditResponse.newBuilder().setDrained(true).build()))
                    .isFalse();
        }
        // at-least-once sends, then commits: a crash between them invoices twice
        assertThat(
                        ExpectedOutcome.of(
                                        DeliveryMode.AT_LEAST_ONCE, Fault.BILLING_CRASH_AFTER_SEND)
                                .holds(invoiceAudit(0, 4)))
                .isTrue();
        assertThat(
                        ExpectedOutcome.of(
                                        DeliveryMode.AT_LEAST_ONCE, Fault.BILLING_CRASH_AFTER_SEND)
                                .holds(invoiceAudit(0, 0)))
                .isFalse();
        assertThat(
                        ExpectedOutcome.of(
                                        DeliveryMode.AT_LEAST_ONCE,
                                        Fault.BILLING_CRASH_AFTER_COMMIT)
                                .holds(invoiceAudit(0, 0)))
                .isTrue();
        // at-most-once commits, then sends: a crash between them loses the batch
        assertThat(
                        ExpectedOutcome.of(
                                        DeliveryMode.AT_MOST_ONCE, Fault.BILLING_CRASH_AFTER_COMMIT)
                                .holds(invoiceAudit(6, 0)))
                .isTrue();
        assertThat(
                        ExpectedOutcome.of(
                                        DeliveryMode.AT_MOST_ONCE, Fault.BILLING_CRASH_AFTER_COMMIT)
                                .holds(invoiceAudit(0, 0)))
                .isFalse();
        assertThat(
                        ExpectedOutcome.of(
                                        DeliveryMode.AT_MOST_ONCE,
                                        Fault.BILLING_CRASH_BEFORE_COMMIT)
                                .holds(invoiceAudit(0, 0)))
                .isTrue();
        assertThat(Fault.billingCrashesFor(DeliveryMode.AT_MOST_ONCE))
                .containsExactly(Fault.BILLING_CRASH_AFTER_COMMIT);
        assertThat(Fault.billingCrashesFor(DeliveryMode.AT_LEAST_ONCE))
                .containsExactly(Fault.BILLING_CRASH_AFTER_SEND);
    }

    @Test
    void everyModeGetsItsTellingCrashPoints() {
        assertThat(Fault.crashesFor(DeliveryMode.AT_MOST_ONCE))
                .containsExactly(Fault.CRASH_AFTER_OFFSET_COMMIT);
        assertThat(Fault.crashesFor(DeliveryMode.AT_LEAST_ONCE))
                .containsExactly(Fault.CRASH_AFTER_DB_COMMIT);
        assertThat(Fault.crashesFor(DeliveryMode.EXACTLY_ONCE))
                .containsExactly(
                        Fault.CRASH_BEFORE_DB_COMMIT,
                        Fault.CRASH_AFTER_DB_COMMIT,
                        Fault.CRASH_AFTER_OFFSET_COMMIT);
    }
}

package dev.exactlyonce.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.lab.drill.Drill;
import dev.exactlyonce.lab.drill.DrillReport;
import dev.exactlyonce.lab.drill.DrillRow;
import dev.exactlyonce.lab.drill.DrillSettings;
import dev.exactlyonce.lab.drill.Fault;
import dev.exactlyonce.lab.drill.LabFaults;
import dev.exactlyonce.lab.drill.Scenario;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Billing with three replicas sharing the orders partitions: a SIGKILL of one of them mid-stream is
 * a rebalance (its partitions move to the survivors, then back to it when it restarts under the
 * same pod name). Exactly-once: every order one committed invoice, the killed replica's open
 * transaction aborted and fenced; at-least-once: none lost.
 */
class BillingRebalanceTest {

    @RegisterExtension static LabFixture fixture = LabFixture.perClass(1, 1, false, 3);

    @Test
    void aKilledReplicasPartitionsMoveAndEveryOrderIsInvoicedAsItsModePromises(@TempDir Path out)
            throws Exception {
        List<Scenario> plan =
                List.of(
                        new Scenario(DeliveryMode.AT_LEAST_ONCE, Fault.SIGKILL_BILLING),
                        new Scenario(DeliveryMode.EXACTLY_ONCE, Fault.SIGKILL_BILLING));
        DrillSettings settings = new DrillSettings(plan, 600, 100, 4, 2, Duration.ofMinutes(2));

        List<DrillRow> rows =
                new Drill(
                                fixture.clients(),
                                new LabFaults(fixture.lab()),
                                settings,
                                fixture.progress())
                        .run();
        DrillReport report = new DrillReport(rows);
        report.print(System.out);
        report.write(out);

        assertThat(fixture.lab().billings()).hasSize(3);
        assertThat(rows).allSatisfy(row -> assertThat(row.passed()).as(row.toString()).isTrue());
        DrillRow exactlyOnce = rows.get(1);
        assertThat(exactlyOnce.lost()).as(exactlyOnce.toString()).isZero();
        assertThat(exactlyOnce.duplicated()).as(exactlyOnce.toString()).isZero();
        assertThat(fixture.output())
                .contains("exited with code 137 (SIGKILL)")
                .containsPattern("billing-[0-2] restarted");
    }
}

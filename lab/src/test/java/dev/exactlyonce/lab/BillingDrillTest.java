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
 * Billing's rows of the drill against one lab (real child JVMs, real Runtime.halt and kill -9 of
 * billing-0), judged on the audit's invoice leg: every billing crash point in every mode, and a
 * SIGKILL and a 20 s pause (kill -STOP) of billing mid-stream in each mode.
 */
class BillingDrillTest {

    @RegisterExtension static LabFixture fixture = LabFixture.perClass(1);

    @Test
    void billingsRowsMatchItsSemantics(@TempDir Path out) throws Exception {
        List<DeliveryMode> modes =
                List.of(
                        DeliveryMode.AT_MOST_ONCE,
                        DeliveryMode.AT_LEAST_ONCE,
                        DeliveryMode.EXACTLY_ONCE);
        List<Scenario> plan =
                Scenario.plan(modes, false, true, 1, List.of(), 1).stream()
                        .filter(s -> s.fault().isBillingFault())
                        .toList();
        DrillSettings settings = new DrillSettings(plan, 300, 100, 4, 1, Duration.ofMinutes(2));

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

        long billingFaults = Fault.EXTERNAL.stream().filter(Fault::isBillingFault).count();
        assertThat(rows)
                .hasSize(modes.size() * (Fault.BILLING_CRASHES.size() + (int) billingFaults));
        assertThat(rows).allSatisfy(row -> assertThat(row.passed()).as(row.toString()).isTrue());
        assertThat(rows)
                .filteredOn(row -> row.mode().equals("EXACTLY_ONCE"))
                .allSatisfy(
                        row -> {
                            assertThat(row.lost()).as(row.toString()).isZero();
                            assertThat(row.duplicated()).as(row.toString()).isZero();
                            assertThat(row.distinct())
                                    .as(row.toString())
                                    .isEqualTo(row.acknowledged());
                        });
        assertThat(fixture.output())
                .contains(
                        "billing-0 (pid",
                        "exited with code 70 (crash drill halt)",
                        "exited with code 137 (SIGKILL)");
    }
}

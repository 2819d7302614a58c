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
 * The fault matrix in its short form (what `lab drill --matrix --consumers 3` runs in its long form):
 * three Kafka brokers and three consumer replicas; every crash point in every mode; then, per mode,
 * SIGKILLs of a consumer replica (a rebalance), a SIGKILL of the producer with group-committed
 * transactions open, a PostgreSQL restart, and the broker faults (SIGKILL of a partition leader, of the
 * transaction coordinator, of the group coordinator, a clean rolling restart, two brokers down), all
 * mid-stream. Every row must match the semantics table.
 */
class FaultMatrixTest {

    @RegisterExtension
    static LabFixture fixture = LabFixture.perClass(3, 3);

    @Test
    void everyRowOfTheMatrixMatchesTheSemanticsTable(@TempDir Path out) throws Exception {
        List<DeliveryMode> modes = List.of(DeliveryMode.AT_MOST_ONCE, DeliveryMode.AT_LEAST_ONCE, DeliveryMode.EXACTLY_ONCE);
        List<Scenario> matrix = Scenario.plan(modes, true, true, 2, Fault.EXTERNAL, 3);
        DrillSettings settings = new DrillSettings(matrix, 300, 100, 4, 2, Duration.ofMinutes(2));

        List<DrillRow> rows = new Drill(fixture.clients(), new LabFaults(fixture.lab()), settings, fixture.progress()).run();
        DrillReport report = new DrillReport(rows);
        report.print(System.out);
        report.write(out);

        assertThat(rows).hasSize(modes.size() * Fault.values().length);
        assertThat(rows).allSatisfy(row -> assertThat(row.passed()).as(row.toString()).isTrue());
        assertThat(rows).filteredOn(row -> row.mode().equals("EXACTLY_ONCE")).allSatisfy(row -> {
            assertThat(row.lost()).as(row.toString()).isZero();
            assertThat(row.duplicated()).as(row.toString()).isZero();
        });
        assertThat(fixture.output()).contains("exited with code 70 (crash drill halt)", "exited with code 137 (SIGKILL)");
    }
}

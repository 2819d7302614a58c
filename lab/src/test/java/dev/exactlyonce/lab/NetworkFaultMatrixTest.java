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
 * The network rows of the fault matrix in their short form (what `lab drill --modes ... --no-crashes
 * --faults NET_...` runs with more strikes): a lab whose every link passes a fault proxy, three brokers,
 * two consumer replicas; per mode: the producer cut from Kafka longer than the clients' deadline, replies
 * lost after commits, PostgreSQL replies lost during the consumer's COMMIT, a consumer partitioned from
 * Kafka past its session timeout, the query's links cut, 200 ms added to PostgreSQL and to Kafka. Every
 * row must match the semantics table; exactly-once 0 lost and 0 duplicated.
 */
class NetworkFaultMatrixTest {

    @RegisterExtension
    static LabFixture fixture = LabFixture.perClass(2, 3, true);

    @Test
    void everyRowOfTheMatrixMatchesTheSemanticsTable(@TempDir Path out) throws Exception {
        List<DeliveryMode> modes = List.of(DeliveryMode.AT_MOST_ONCE, DeliveryMode.AT_LEAST_ONCE, DeliveryMode.EXACTLY_ONCE);
        List<Fault> faults = Fault.NETWORK;
        List<Scenario> matrix = modes.stream().flatMap(mode -> faults.stream().map(fault -> new Scenario(mode, fault))).toList();
        DrillSettings settings = new DrillSettings(matrix, 300, 100, 4, 1, Duration.ofMinutes(2));

        List<DrillRow> rows = new Drill(fixture.clients(), new LabFaults(fixture.lab()), settings, fixture.progress()).run();
        DrillReport report = new DrillReport(rows);
        report.print(System.out);
        report.write(out);

        assertThat(rows).hasSize(modes.size() * faults.size());
        assertThat(rows).allSatisfy(row -> assertThat(row.passed()).as(row.toString()).isTrue());
        assertThat(rows).filteredOn(row -> row.mode().equals("EXACTLY_ONCE")).allSatisfy(row -> {
            assertThat(row.lost()).as(row.toString()).isZero();
            assertThat(row.duplicated()).as(row.toString()).isZero();
        });
        assertThat(fixture.output()).contains("fault proxies on every link");
    }
}

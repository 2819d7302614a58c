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
 * The hanging-transaction row in exactly-once against one lab (one broker): a foreign transaction
 * left open on every partition of orders mid-stream stalls the last stable offsets, the consumer
 * reads up to them and waits (ListTransactions, GetConsumerLag), and an abort through the Admin API
 * ends it; nothing is lost or duplicated on either leg. {@link FaultMatrixTest} runs the row in
 * every mode on three brokers.
 */
class HangingTransactionDrillTest {

    @RegisterExtension static LabFixture fixture = LabFixture.perClass(1);

    @Test
    void theConsumerWaitsBehindTheOpenTransactionAndNothingIsLostAfterTheAbort(@TempDir Path out)
            throws Exception {
        DrillSettings settings =
                new DrillSettings(
                        List.of(new Scenario(DeliveryMode.EXACTLY_ONCE, Fault.HANGING_TRANSACTION)),
                        300,
                        100,
                        4,
                        1,
                        Duration.ofMinutes(2));

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

        assertThat(rows).hasSize(1);
        DrillRow row = rows.get(0);
        assertThat(row.passed()).as(row.toString()).isTrue();
        assertThat(row.lost()).as(row.toString()).isZero();
        assertThat(row.duplicated()).as(row.toString()).isZero();
        assertThat(row.distinct()).as(row.toString()).isEqualTo(row.acknowledged());
        assertThat(fixture.output())
                .contains(
                        "ListTransactions: ONGOING for ",
                        "GetConsumerLag: lag 0, ",
                        "then aborted it with Admin.abortTransaction");
    }
}

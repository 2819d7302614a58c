package dev.exactlyonce.lab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exactlyonce.grpc.v1.AuditRequest;
import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.CompareSemanticsRequest;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.lab.bench.Bench;
import dev.exactlyonce.lab.bench.BenchReport;
import dev.exactlyonce.lab.bench.BenchResult;
import dev.exactlyonce.lab.bench.BenchSettings;
import dev.exactlyonce.lab.bench.Workload;
import dev.exactlyonce.lab.drill.Drill;
import dev.exactlyonce.lab.drill.DrillReport;
import dev.exactlyonce.lab.drill.DrillRow;
import dev.exactlyonce.lab.drill.DrillSettings;
import dev.exactlyonce.lab.drill.Fault;
import dev.exactlyonce.lab.drill.LabFaults;
import dev.exactlyonce.lab.drill.Scenario;
import dev.exactlyonce.lab.runner.CpuAccount;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short drill of all three modes and a tiny bench against one lab (real child JVMs, real
 * crashes).
 */
class DrillAndBenchTest {

    @RegisterExtension static LabFixture fixture = LabFixture.perClass(1);

    @Test
    void everyModeBehavesAsItsSemanticsPredictUnderCrashesAndKill9(@TempDir Path out)
            throws Exception {
        // one telling crash per mode, then exactly-once under external faults: short, but every
        // verdict
        DrillSettings settings =
                new DrillSettings(
                        List.of(
                                new Scenario(
                                        DeliveryMode.AT_MOST_ONCE, Fault.CRASH_AFTER_OFFSET_COMMIT),
                                new Scenario(
                                        DeliveryMode.AT_LEAST_ONCE, Fault.CRASH_AFTER_DB_COMMIT),
                                new Scenario(
                                        DeliveryMode.EXACTLY_ONCE, Fault.CRASH_AFTER_DB_COMMIT),
                                new Scenario(DeliveryMode.EXACTLY_ONCE, Fault.SIGKILL_CONSUMER),
                                new Scenario(DeliveryMode.EXACTLY_ONCE, Fault.SIGKILL_PRODUCER),
                                new Scenario(DeliveryMode.EXACTLY_ONCE, Fault.RESTART_POSTGRES)),
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

        assertThat(rows)
                .extracting(DrillRow::mode, DrillRow::fault)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                "AT_MOST_ONCE", "crash AFTER_OFFSET_COMMIT"),
                        org.assertj.core.groups.Tuple.tuple(
                                "AT_LEAST_ONCE", "crash AFTER_DB_COMMIT"),
                        org.assertj.core.groups.Tuple.tuple(
                                "EXACTLY_ONCE", "crash AFTER_DB_COMMIT"),
                        org.assertj.core.groups.Tuple.tuple("EXACTLY_ONCE", "SIGKILL consumer x1"),
                        org.assertj.core.groups.Tuple.tuple("EXACTLY_ONCE", "SIGKILL producer x1"),
                        org.assertj.core.groups.Tuple.tuple(
                                "EXACTLY_ONCE", "restart PostgreSQL x1"));
        assertThat(rows).allSatisfy(row -> assertThat(row.passed()).as(row.toString()).isTrue());
        DrillRow atMostOnce = rows.get(0);
        assertThat(atMostOnce.lost()).isPositive();
        assertThat(atMostOnce.duplicated()).isZero();
        DrillRow atLeastOnce = rows.get(1);
        assertThat(atLeastOnce.duplicated()).isPositive();
        assertThat(atLeastOnce.lost()).isZero();
        assertThat(rows.subList(2, 6))
                .allSatisfy(
                        row -> {
                            assertThat(row.lost()).isZero();
                            assertThat(row.duplicated()).isZero();
                            // a call cut by the producer's SIGKILL may have committed without its
                            // answer: stored, never acknowledged
                            assertThat(row.distinct()).isGreaterThanOrEqualTo(row.acknowledged());
                        });
        // the producer kill cut PlaceOrderBatch calls: each one's orders were checked, none was
        // stored in part
        assertThat(rows.get(4).note())
                .contains("unacknowledged PlaceOrderBatch calls:")
                .endsWith(", 0 partly");
        assertThat(fixture.output())
                .contains(
                        "exited with code 70 (crash drill halt)", "exited with code 137 (SIGKILL)");
        assertThat(out.resolve("drill.csv")).exists();
        assertThat(new ObjectMapper().readTree(out.resolve("drill.json").toFile())).hasSize(6);
        assertThat(Files.readString(out.resolve("drill.md")))
                .contains("| EXACTLY_ONCE | SIGKILL consumer x1 |");
    }

    @Test
    void benchReportsReconcileWithTheAudit(@TempDir Path out) throws Exception {
        BenchSettings settings =
                new BenchSettings(
                        List.of(DeliveryMode.AT_LEAST_ONCE, DeliveryMode.EXACTLY_ONCE),
                        List.of(Workload.PLACE_ORDER, Workload.STREAM_ORDERS),
                        8,
                        2,
                        50,
                        400,
                        Duration.ZERO,
                        Duration.ZERO,
                        2,
                        true,
                        0);
        List<BenchResult> results =
                new Bench(
                                fixture.clients(),
                                Optional.of(fixture.lab()),
                                settings,
                                fixture.progress())
                        .run();
        BenchReport report = new BenchReport(results);
        report.print(System.out);
        report.write(out);

        assertThat(out.resolve("bench.csv")).exists();
        assertThat(out.resolve("bench.png")).exists().isNotEmptyFile();
        assertThat(Files.readAllLines(out.resolve("bench.csv"))).hasSize(1 + 4);
        JsonNode json = new ObjectMapper().readTree(out.resolve("bench.json").toFile());
        assertThat(json).hasSize(4);
        for (JsonNode row : json) {
            // every order offered was acknowledged, stored once, and the audit agrees
            assertThat(row.get("acknowledged").asLong()).isEqualTo(400);
            assertThat(row.get("storedDistinct").asLong()).isEqualTo(400);
            assertThat(row.get("storedRows").asLong()).isEqualTo(400);
            assertThat(row.get("lost").asLong()).isZero();
            // the invoice leg: billing read the same orders, one committed invoice each
            assertThat(row.get("invoicesDistinct").asLong()).isEqualTo(400);
            assertThat(row.get("invoiceVerdict").asText()).isEqualTo("EXACTLY_ONCE");
            assertThat(row.get("invoicedPerSecond").asDouble()).isPositive();
            assertThat(row.get("residentMemoryMiB").get("consumer-0").asLong()).isPositive();
            // the lab's default database, as PostgreSQL reported it, and its ceiling in this run
            assertThat(row.get("database").asText())
                    .isEqualTo("durable (fsync on, synchronous_commit on)");
            assertThat(row.get("ceiling").get("rows").asLong()).isEqualTo(400);
            assertThat(row.get("ceiling").get("rowsPerSecond").asDouble()).isPositive();
            assertThat(row.get("storedOfCeiling").asDouble()).isPositive();
            // where the CPU went: every process of the pipeline is accounted, and the ones that did
            // the work used some
            JsonNode cpu = row.get("cpuPercentOfCore");
            assertThat(cpu.fieldNames())
                    .toIterable()
                    .contains(
                            CpuAccount.LOAD_GENERATOR,
                            CpuAccount.KAFKA,
                            "producer-0",
                            "consumer-0",
                            "billing-0",
                            "query-0",
                            CpuAccount.POSTGRES);
            for (String busy :
                    List.of(
                            "producer-0",
                            "consumer-0",
                            CpuAccount.POSTGRES,
                            CpuAccount.LOAD_GENERATOR,
                            CpuAccount.KAFKA)) {
                assertThat(cpu.get(busy).asDouble()).as(busy).isPositive();
            }
        }
        assertThat(json.get(3).get("verdict").asText()).isEqualTo("EXACTLY_ONCE");
        // the last run's window is still open: an independent audit finds the same counts
        AuditResponse audit =
                fixture.clients()
                        .query()
                        .audit(AuditRequest.newBuilder().setAcknowledged(400).build());
        assertThat(audit.getStoredDistinct()).isEqualTo(json.get(3).get("storedDistinct").asLong());
        assertThat(
                        fixture.clients()
                                .query()
                                .compareSemantics(CompareSemanticsRequest.getDefaultInstance())
                                .getModesList())
                .filteredOn(m -> m.getMode() == DeliveryMode.EXACTLY_ONCE)
                .singleElement()
                .satisfies(m -> assertThat(m.getLatestBenchmarksList()).isNotEmpty());
    }
}

package dev.exactlyonce.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.lab.drill.Fault;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault matrix in its short form (what `lab drill --matrix --consumers 3` runs in its long
 * form): three Kafka brokers and three consumer replicas; every crash point in every mode; then,
 * per mode, SIGKILLs of a consumer replica (a rebalance), a SIGKILL of the producer with
 * group-committed transactions open, a PostgreSQL restart, and the broker faults (SIGKILL of a
 * partition leader, of the transaction coordinator, of the group coordinator, a clean rolling
 * restart, two brokers down), a poison order, and a hanging transaction aborted through the Admin
 * API, all mid-stream. Every row must match the semantics table.
 */
class FaultMatrixTest {

    @RegisterExtension static LabFixture fixture = LabFixture.perClass(3, 3);

    @Test
    void everyRowOfTheMatrixMatchesTheSemanticsTable(@TempDir Path out) throws Exception {
        // the network rows have a class of their own (NetworkFaultMatrixTest): their lab runs
        // behind fault proxies
        fixture.runMatrix(
                Stream.concat(Fault.CRASHES.stream(), Fault.EXTERNAL.stream())
                        .filter(fault -> !Fault.NETWORK.contains(fault))
                        .toList(),
                out);
        assertThat(fixture.output())
                .contains(
                        "exited with code 70 (crash drill halt)", "exited with code 137 (SIGKILL)");
    }
}

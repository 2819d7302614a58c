package dev.exactlyonce.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.lab.drill.Fault;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The network rows of the fault matrix in their short form (what `lab drill --modes ...
 * --no-crashes --faults NET_...` runs with more strikes): a lab whose every link passes a fault
 * proxy, three brokers, two consumer replicas; per mode: the producer cut from Kafka longer than
 * the clients' deadline, replies lost after commits, PostgreSQL replies lost during the consumer's
 * COMMIT, a consumer partitioned from Kafka past its session timeout, the query's links cut, 200 ms
 * added to PostgreSQL and to Kafka. Every row must match the semantics table; exactly-once 0 lost
 * and 0 duplicated.
 */
class NetworkFaultMatrixTest {

    @RegisterExtension static LabFixture fixture = LabFixture.perClass(2, 3, true);

    @Test
    void everyRowOfTheMatrixMatchesTheSemanticsTable(@TempDir Path out) throws Exception {
        fixture.runMatrix(Fault.NETWORK, out);
        assertThat(fixture.output()).contains("fault proxies on every link");
    }
}

package dev.exactlyonce.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.kafka.GroupProtocol;
import dev.exactlyonce.lab.drill.Drill;
import dev.exactlyonce.lab.drill.DrillReport;
import dev.exactlyonce.lab.drill.DrillRow;
import dev.exactlyonce.lab.drill.DrillSettings;
import dev.exactlyonce.lab.drill.Fault;
import dev.exactlyonce.lab.drill.LabFaults;
import dev.exactlyonce.lab.drill.Scenario;
import dev.exactlyonce.lab.network.NetworkLinks;
import dev.exactlyonce.lab.runner.Lab;
import dev.exactlyonce.lab.runner.LabSettings;
import dev.exactlyonce.lab.runner.PipelineClients;
import dev.exactlyonce.lab.runner.Progress;
import dev.exactlyonce.lab.runner.ServiceJars;
import dev.exactlyonce.lab.runner.ServicePorts;
import dev.exactlyonce.testkit.KafkaTopology;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A lab on random free ports (never the defaults, so a lab someone runs by hand is not disturbed),
 * whose output goes to the test log and is kept for assertions. Registered as an extension
 * ({@code @RegisterExtension static LabFixture fixture = LabFixture.perClass(3)}) it starts one lab
 * and its clients before a class's tests and closes both after them; {@link #start(int)} is for a
 * test that owns its lab's lifecycle itself.
 */
public final class LabFixture implements BeforeAllCallback, AfterAllCallback {

    private final int consumersPerClass;
    private final int brokersPerClass;
    private final boolean networkFaults;
    private final int billingReplicas;
    private final GroupProtocol groupProtocol;
    private Lab lab;
    private PipelineClients clients;

    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private final Progress progress =
            new Progress(
                    new PrintStream(
                            new OutputStream() {
                                @Override
                                public synchronized void write(int b) {
                                    captured.write(b);
                                    System.out.write(b);
                                }

                                @Override
                                public synchronized void write(byte[] b, int off, int len) {
                                    captured.write(b, off, len);
                                    System.out.write(b, off, len);
                                }
                            },
                            true,
                            StandardCharsets.UTF_8));

    public LabFixture() {
        this(1, 1, false, 1);
    }

    private LabFixture(
            int consumersPerClass,
            int brokersPerClass,
            boolean networkFaults,
            int billingReplicas) {
        this(
                consumersPerClass,
                brokersPerClass,
                networkFaults,
                billingReplicas,
                GroupProtocol.CLASSIC);
    }

    private LabFixture(
            int consumersPerClass,
            int brokersPerClass,
            boolean networkFaults,
            int billingReplicas,
            GroupProtocol groupProtocol) {
        this.groupProtocol = groupProtocol;
        this.billingReplicas = billingReplicas;
        this.consumersPerClass = consumersPerClass;
        this.brokersPerClass = brokersPerClass;
        this.networkFaults = networkFaults;
    }

    /**
     * A fixture that runs one lab with this many consumer replicas and one broker for a whole test
     * class.
     */
    public static LabFixture perClass(int consumers) {
        return new LabFixture(consumers, 1, false, 1);
    }

    /**
     * A fixture that runs one lab with this many consumer replicas and Kafka brokers (1 or 3) for a
     * whole test class.
     */
    public static LabFixture perClass(int consumers, int brokers) {
        return new LabFixture(consumers, brokers, false, 1);
    }

    /**
     * Likewise, every link behind a fault proxy (network faults); the clients reach the producer
     * through one.
     */
    public static LabFixture perClass(int consumers, int brokers, boolean networkFaults) {
        return new LabFixture(consumers, brokers, networkFaults, 1);
    }

    /** Likewise, with this many billing replicas. */
    public static LabFixture perClass(
            int consumers, int brokers, boolean networkFaults, int billingReplicas) {
        return new LabFixture(consumers, brokers, networkFaults, billingReplicas);
    }

    /** Likewise, the consumer and billing replicas on {@code groupProtocol}. */
    public static LabFixture perClass(int consumers, int brokers, GroupProtocol groupProtocol) {
        return new LabFixture(consumers, brokers, false, 1, groupProtocol);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        lab = start(consumersPerClass, brokersPerClass);
        clients = new PipelineClients(lab.clientEndpoints(), lab.controlToken());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (clients != null) {
            clients.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    /** The class's lab (registered as an extension). */
    public Lab lab() {
        return lab;
    }

    /** Clients of the class's lab (registered as an extension). */
    public PipelineClients clients() {
        return clients;
    }

    public Lab start(int consumers, int brokers) throws Exception {
        return start(consumers, brokers, List.of());
    }

    /** A lab whose services' JVMs get {@code jvmOptions} after the default ones. */
    public Lab start(int consumers, int brokers, List<String> jvmOptions) throws Exception {
        ServiceJars jars = ServiceJars.nextToLab();
        try {
            jars.requireAll();
        } catch (IllegalStateException e) {
            throw new IllegalStateException(
                    "the lab tests start the services' shaded jars; the reactor builds "
                            + "producer, consumer and query before lab (mvn verify from the root), or run "
                            + "mvn -B -q -o -pl producer,consumer,query package -DskipTests first. "
                            + e.getMessage(),
                    e);
        }
        LabSettings settings =
                LabSettings.defaults()
                        .withPorts(
                                freeKafkaPorts(brokers),
                                freePostgresPort(),
                                freeServicePorts(consumers))
                        .withConsumers(consumers)
                        .withBrokers(brokers)
                        .withNetworkFaults(networkFaults)
                        .withBillingReplicas(billingReplicas)
                        .withGroupProtocol(groupProtocol);
        List<String> options = new ArrayList<>(settings.jvmOptions());
        options.addAll(jvmOptions);
        return Lab.start(settings.withJvmOptions(options), progress);
    }

    /**
     * Every mode through every fault, one strike per row, 300 orders each, against this class's
     * lab; checks that every row is as the semantics predict and exactly-once lost and duplicated
     * nothing.
     */
    public List<DrillRow> runMatrix(List<Fault> faults, Path out) throws Exception {
        return runMatrix(
                List.of(
                        DeliveryMode.AT_MOST_ONCE,
                        DeliveryMode.AT_LEAST_ONCE,
                        DeliveryMode.EXACTLY_ONCE),
                faults,
                out);
    }

    /** The same, in these modes only. */
    public List<DrillRow> runMatrix(List<DeliveryMode> modes, List<Fault> faults, Path out)
            throws Exception {
        List<Scenario> matrix =
                modes.stream()
                        .flatMap(mode -> faults.stream().map(fault -> new Scenario(mode, fault)))
                        .toList();
        DrillSettings settings = new DrillSettings(matrix, 300, 100, 4, 1, Duration.ofMinutes(2));
        List<DrillRow> rows = new Drill(clients, new LabFaults(lab), settings, progress).run();
        DrillReport report = new DrillReport(rows);
        report.print(System.out);
        report.write(out);

        assertThat(rows).hasSize(modes.size() * faults.size());
        assertThat(rows).allSatisfy(row -> assertThat(row.passed()).as(row.toString()).isTrue());
        assertThat(rows)
                .filteredOn(row -> row.mode().equals("EXACTLY_ONCE"))
                .allSatisfy(
                        row -> {
                            assertThat(row.lost()).as(row.toString()).isZero();
                            assertThat(row.duplicated()).as(row.toString()).isZero();
                        });
        return rows;
    }

    public Progress progress() {
        return progress;
    }

    public String output() {
        synchronized (captured) {
            return captured.toString(StandardCharsets.UTF_8);
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /*
     * Every port a lab binds comes from below Linux's ephemeral range (32768-60999): a port in it can be
     * taken as the source port of any outgoing connection between the check and the bind, and held for as
     * long as that connection lives (it once kept the producer's management port for 3 minutes). Disjoint
     * ranges: Kafka 20000-23399, PostgreSQL 23500-25603, gRPC 26000-28932, management 29000-31932.
     */

    /** A PostgreSQL port whose fault proxies' ports (+100..+103) are free too. */
    static int freePostgresPort() {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = 23_500 + ThreadLocalRandom.current().nextInt(2_000);
            if (IntStream.rangeClosed(0, 3)
                    .allMatch(
                            i ->
                                    isFree(
                                            port
                                                    + (i == 0
                                                            ? 0
                                                            : NetworkLinks.POSTGRES_PROXY_OFFSET
                                                                    + i
                                                                    - 1)))) {
                return port;
            }
        }
        throw new IllegalStateException("no free PostgreSQL port found");
    }

    /** A first client port whose Kafka layout (client and controller port per node) is all free. */
    static int freeKafkaPorts(int brokers) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int first = 20_000 + ThreadLocalRandom.current().nextInt(3_000);
            KafkaTopology topology = new KafkaTopology(brokers, first, NetworkLinks.KAFKA_LINKS);
            if (topology.ports().stream().allMatch(LabFixture::isFree)) {
                return first;
            }
        }
        throw new IllegalStateException("no free Kafka port range found");
    }

    /**
     * A grpc base and a management base whose whole layout (base+0..+3, replicas +10*i) is free.
     */
    static ServicePorts freeServicePorts(int consumers) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int grpc = ThreadLocalRandom.current().nextInt(26_000, 28_900) / 100 * 100;
            ServicePorts ports = new ServicePorts(grpc, grpc + 3_000);
            boolean free =
                    IntStream.concat(
                                    IntStream.of(
                                            ports.producerGrpc(),
                                            ports.producerManagement(),
                                            ports.queryGrpc(),
                                            ports.queryManagement()),
                                    IntStream.range(0, ServicePorts.MAX_CONSUMERS)
                                            .flatMap(
                                                    i ->
                                                            IntStream.of(
                                                                    ports.consumerGrpc(i),
                                                                    ports.consumerManagement(i),
                                                                    ports.billingGrpc(i),
                                                                    ports.billingManagement(i))))
                            .allMatch(LabFixture::isFree);
            if (free) {
                return ports;
            }
        }
        throw new IllegalStateException("no free port range found");
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}

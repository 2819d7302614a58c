package dev.exactlyonce.lab;

import dev.exactlyonce.kafka.GroupProtocol;
import dev.exactlyonce.lab.runner.LabSettings;
import dev.exactlyonce.lab.runner.ServiceJars;
import dev.exactlyonce.lab.runner.ServicePorts;
import dev.exactlyonce.testkit.DatabaseDurability;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The options of a lab this process starts ({@code up}, and {@code drill}/{@code bench} without
 * --against).
 */
public class LabOptions {

    @Option(
            names = "--data",
            paramLabel = "DIR",
            description =
                    "Data directory (Kafka, PostgreSQL, logs), kept across runs. Default: a fresh temporary one.")
    Path data;

    @Option(
            names = "--kafka-port",
            defaultValue = "9092",
            description =
                    "First Kafka client port; broker i listens on +i, its controller on +100+i (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(
            names = "--brokers",
            defaultValue = "" + LabSettings.DEFAULT_BROKERS,
            description =
                    "Kafka brokers, 1 or 3; with 3: replication factor 3, min.insync.replicas 2 (default: ${DEFAULT-VALUE};"
                            + " bench: 1 unless given).")
    int brokers;

    @Option(
            names = "--transaction-version",
            defaultValue = "2",
            description =
                    "transaction.version of a fresh cluster: 2 (KIP-890, Kafka 4's default) or 1 (default: ${DEFAULT-VALUE}).")
    short transactionVersion;

    @Option(
            names = "--network-faults",
            description =
                    "Route every service's Kafka and PostgreSQL connections through fault proxies of its own, so drills can cut or slow each link.")
    boolean networkFaults;

    @Option(
            names = "--database-durability",
            paramLabel = "durable|unsafe-fast",
            defaultValue = "durable",
            converter = DurabilityConverter.class,
            description =
                    "PostgreSQL's commits: durable (fsync and synchronous_commit on, as the chart's postgres:17) or"
                            + " unsafe-fast (both off: faster, and a power loss can lose acknowledged orders)"
                            + " (default: ${DEFAULT-VALUE}).")
    DatabaseDurability databaseDurability;

    @Option(
            names = "--group-protocol",
            paramLabel = "classic|consumer",
            defaultValue = "classic",
            converter = GroupProtocolConverter.class,
            description =
                    "Consumer group protocol of the consumer and billing replicas: classic (Kafka's default) or"
                            + " consumer (KIP-848: the brokers assign partitions and hold the session timeout)"
                            + " (default: ${DEFAULT-VALUE}).")
    GroupProtocol groupProtocol;

    /** classic, consumer: Kafka's names for the protocols. */
    static final class GroupProtocolConverter implements ITypeConverter<GroupProtocol> {
        @Override
        public GroupProtocol convert(String value) {
            try {
                return GroupProtocol.fromName(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** durable, unsafe-fast: the names the help shows, not the enum's. */
    static final class DurabilityConverter implements ITypeConverter<DatabaseDurability> {
        @Override
        public DatabaseDurability convert(String value) {
            try {
                return DatabaseDurability.fromLabel(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    @Option(
            names = "--postgres-port",
            defaultValue = "5432",
            description = "PostgreSQL port (default: ${DEFAULT-VALUE}).")
    int postgresPort;

    @Option(
            names = "--grpc-base-port",
            defaultValue = "8000",
            description =
                    "Producer gRPC port; consumer-i is +1+10*i, query +3 (default: ${DEFAULT-VALUE}).")
    int grpcBasePort;

    @Option(
            names = "--management-base-port",
            defaultValue = "9000",
            description =
                    "Producer management port; consumer-i is +1+10*i, query +3 (default: ${DEFAULT-VALUE}).")
    int managementBasePort;

    @Option(
            names = "--consumers",
            defaultValue = "1",
            description = "Consumer replicas, 1..3 (default: ${DEFAULT-VALUE}).")
    int consumers;

    @Option(
            names = "--billing-replicas",
            defaultValue = "1",
            description =
                    "Billing replicas, 1..3 (billing-i on 8002+10*i / 9002+10*i; more than one: a kill is a rebalance) (default: ${DEFAULT-VALUE}).")
    int billingReplicas;

    @Option(
            names = "--repo",
            paramLabel = "DIR",
            description =
                    "Repository root holding <service>/target/<service>.jar. Default: found from lab.jar's location.")
    Path repo;

    @Option(
            names = "--child-jvm-options",
            defaultValue = LabSettings.DEFAULT_JVM_OPTIONS_TEXT,
            description = "Options of every service JVM (default: ${DEFAULT-VALUE}).")
    String childJvmOptions;

    public LabSettings settings() {
        List<String> jvmOptions =
                Arrays.stream(childJvmOptions.trim().split("\\s+"))
                        .filter(s -> !s.isEmpty())
                        .toList();
        return new LabSettings(
                data,
                brokers,
                kafkaPort,
                postgresPort,
                new ServicePorts(grpcBasePort, managementBasePort),
                consumers,
                billingReplicas,
                repo == null ? ServiceJars.nextToLab() : new ServiceJars(repo),
                jvmOptions,
                Duration.ofSeconds(15),
                transactionVersion,
                networkFaults,
                databaseDurability,
                groupProtocol);
    }
}

package dev.exactlyonce.lab.runner;

import dev.exactlyonce.kafka.GroupProtocol;
import dev.exactlyonce.lab.network.NetworkLinks;
import dev.exactlyonce.testkit.DatabaseDurability;
import dev.exactlyonce.testkit.KafkaTopology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything {@link Lab} needs to start the pipeline.
 *
 * @param dataDir where Kafka, PostgreSQL and the logs live; null = a fresh temporary directory,
 *     deleted at the end
 * @param brokers Kafka nodes, 1 or 3 (each its own supervised process), on kafkaPort, kafkaPort+1,
 *     kafkaPort+2
 * @param consumers consumer replicas, 1..3
 * @param billingReplicas billing replicas, 1..3 (more than one shares the orders partitions: a kill
 *     is a rebalance)
 * @param jvmOptions options of every child JVM (heap size first)
 * @param stopGrace how long a child may take to stop after SIGTERM before it gets SIGKILL
 * @param transactionVersion the {@code transaction.version} a fresh cluster is formatted with (2:
 *     KIP-890's transactions v2, Kafka 4's default; 1: the old protocol, for comparison)
 * @param networkFaults every service reaches Kafka and PostgreSQL through fault proxies of its own
 *     ({@code NetworkLinks}), so that a drill can cut or slow one link; off, they connect directly
 * @param databaseDurability whether PostgreSQL's commits wait for the disk: {@link
 *     DatabaseDurability#DURABLE} (fsync and synchronous_commit on, the default, as the chart's
 *     postgres:17 runs) or {@link DatabaseDurability#UNSAFE_FAST} (both off)
 * @param groupProtocol the consumer group protocol of the consumer and billing replicas ({@code
 *     APP_GROUP_PROTOCOL}): {@link GroupProtocol#CLASSIC}, the default, or {@link
 *     GroupProtocol#CONSUMER} (KIP-848)
 */
public record LabSettings(
        Path dataDir,
        int brokers,
        int kafkaPort,
        int postgresPort,
        ServicePorts ports,
        int consumers,
        int billingReplicas,
        ServiceJars jars,
        List<String> jvmOptions,
        Duration stopGrace,
        short transactionVersion,
        boolean networkFaults,
        DatabaseDurability databaseDurability,
        GroupProtocol groupProtocol) {

    /**
     * Three brokers by default: replication is what makes a broker's death survivable, and killing
     * one is an exercise of the lab. {@code --brokers 1} is the lighter laptop set-up.
     */
    public static final int DEFAULT_BROKERS = 3;

    /**
     * A 160 MiB heap, together with two malloc arenas (MALLOC_ARENA_MAX, set by {@link Lab}), keeps
     * each service's peak resident memory under 384 MiB under full load: the services' live data is
     * small (25–28 MiB in the old generation of query and producer during an exactly-once bench),
     * and a larger heap only fills with garbage before a collection; with 256 MiB the query service
     * peaked at 460 MiB, with 160 MiB at 345 MiB (one bench each, docs/results.md "Start-up and
     * memory"). The serial collector is what the JVM picks by itself in a container with fewer than
     * two CPUs, and on this 2-core machine it leaves the most CPU to the pipeline.
     */
    public static final String DEFAULT_JVM_OPTIONS_TEXT =
            "-Xmx160m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError";

    public static final List<String> DEFAULT_JVM_OPTIONS =
            List.of(DEFAULT_JVM_OPTIONS_TEXT.split(" "));

    public LabSettings {
        if (consumers < 1 || consumers > ServicePorts.MAX_CONSUMERS) {
            throw new IllegalArgumentException(
                    "consumers must be 1.." + ServicePorts.MAX_CONSUMERS + ", was " + consumers);
        }
        if (billingReplicas < 1 || billingReplicas > ServicePorts.MAX_CONSUMERS) {
            throw new IllegalArgumentException(
                    "billing replicas must be 1.."
                            + ServicePorts.MAX_CONSUMERS
                            + ", was "
                            + billingReplicas);
        }
        if (brokers != 1 && brokers != 3) {
            throw new IllegalArgumentException("brokers must be 1 or 3, was " + brokers);
        }
        if (transactionVersion != 1 && transactionVersion != 2) {
            throw new IllegalArgumentException(
                    "transaction.version must be 1 or 2, was " + transactionVersion);
        }
        jvmOptions = List.copyOf(jvmOptions);
        Objects.requireNonNull(databaseDurability, "databaseDurability");
        Objects.requireNonNull(groupProtocol, "groupProtocol");
    }

    /**
     * The defaults of {@code lab up}: the ports of ARCHITECTURE.md, one consumer, a temporary data
     * directory.
     */
    public static LabSettings defaults() {
        return new LabSettings(
                null,
                DEFAULT_BROKERS,
                9092,
                5432,
                ServicePorts.DEFAULT,
                1,
                1,
                ServiceJars.nextToLab(),
                DEFAULT_JVM_OPTIONS,
                Duration.ofSeconds(15),
                (short) 2,
                false,
                DatabaseDurability.DURABLE,
                GroupProtocol.CLASSIC);
    }

    public LabSettings withDataDir(Path dir) {
        return edit(b -> b.dataDir = dir);
    }

    /** The child JVMs' options (the default heap and collector, then whatever is added). */
    public LabSettings withJvmOptions(List<String> options) {
        return edit(b -> b.jvmOptions = options);
    }

    public LabSettings withPorts(int kafka, int postgres, ServicePorts services) {
        return edit(
                b -> {
                    b.kafkaPort = kafka;
                    b.postgresPort = postgres;
                    b.ports = services;
                });
    }

    public LabSettings withConsumers(int replicas) {
        return edit(b -> b.consumers = replicas);
    }

    public LabSettings withBrokers(int nodes) {
        return edit(b -> b.brokers = nodes);
    }

    public LabSettings withTransactionVersion(short version) {
        return edit(b -> b.transactionVersion = version);
    }

    public LabSettings withBillingReplicas(int replicas) {
        return edit(b -> b.billingReplicas = replicas);
    }

    public LabSettings withNetworkFaults(boolean proxies) {
        return edit(b -> b.networkFaults = proxies);
    }

    public LabSettings withDatabaseDurability(DatabaseDurability durability) {
        return edit(b -> b.databaseDurability = durability);
    }

    public LabSettings withGroupProtocol(GroupProtocol protocol) {
        return edit(b -> b.groupProtocol = protocol);
    }

    /** A copy with some components changed: the one place that lists them all. */
    private LabSettings edit(java.util.function.Consumer<Components> change) {
        Components b = new Components(this);
        change.accept(b);
        return new LabSettings(
                b.dataDir,
                b.brokers,
                b.kafkaPort,
                b.postgresPort,
                b.ports,
                b.consumers,
                b.billingReplicas,
                jars,
                b.jvmOptions,
                stopGrace,
                b.transactionVersion,
                b.networkFaults,
                b.databaseDurability,
                b.groupProtocol);
    }

    /** The components the withers change, as mutable fields. */
    private static final class Components {
        Path dataDir;
        int brokers;
        int kafkaPort;
        int postgresPort;
        ServicePorts ports;
        int consumers;
        int billingReplicas;
        List<String> jvmOptions;
        short transactionVersion;
        boolean networkFaults;
        DatabaseDurability databaseDurability;
        GroupProtocol groupProtocol;

        Components(LabSettings from) {
            dataDir = from.dataDir;
            brokers = from.brokers;
            kafkaPort = from.kafkaPort;
            postgresPort = from.postgresPort;
            ports = from.ports;
            consumers = from.consumers;
            billingReplicas = from.billingReplicas;
            jvmOptions = from.jvmOptions;
            transactionVersion = from.transactionVersion;
            networkFaults = from.networkFaults;
            databaseDurability = from.databaseDurability;
            groupProtocol = from.groupProtocol;
        }
    }

    public KafkaTopology kafkaTopology() {
        return new KafkaTopology(
                brokers, kafkaPort, networkFaults ? NetworkLinks.KAFKA_LINKS : List.of());
    }
}

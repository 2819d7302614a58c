package dev.exactlyonce.lab.runner;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything {@link Lab} needs to start the pipeline.
 *
 * @param dataDir where Kafka, PostgreSQL and the logs live; null = a fresh temporary directory, deleted at the end
 * @param consumers consumer replicas, 1..3
 * @param jvmOptions options of every child JVM (heap size first)
 * @param stopGrace how long a child may take to stop after SIGTERM before it gets SIGKILL
 */
public record LabSettings(Path dataDir, int kafkaPort, int postgresPort, ServicePorts ports, int consumers,
                          ServiceJars jars, List<String> jvmOptions, Duration stopGrace) {

    /**
     * A 256 MiB heap, together with two malloc arenas (MALLOC_ARENA_MAX, set by {@link Lab}), keeps each
     * service's resident memory under 512 MiB under full load (with 384 MiB and G1 the query service reached
     * 549 MiB, with 256 MiB alone 522 MiB); the serial collector is what the JVM picks by itself in a container
     * with fewer than two CPUs, and on this 2-core machine it leaves the most CPU to the pipeline.
     */
    public static final String DEFAULT_JVM_OPTIONS_TEXT = "-Xmx256m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError";
    public static final List<String> DEFAULT_JVM_OPTIONS = List.of(DEFAULT_JVM_OPTIONS_TEXT.split(" "));

    public LabSettings {
        if (consumers < 1 || consumers > ServicePorts.MAX_CONSUMERS) {
            throw new IllegalArgumentException("consumers must be 1.." + ServicePorts.MAX_CONSUMERS + ", was " + consumers);
        }
        jvmOptions = List.copyOf(jvmOptions);
    }

    /** The defaults of {@code lab up}: the ports of ARCHITECTURE.md, one consumer, a temporary data directory. */
    public static LabSettings defaults() {
        return new LabSettings(null, 9092, 5432, ServicePorts.DEFAULT, 1, ServiceJars.nextToLab(),
                DEFAULT_JVM_OPTIONS, Duration.ofSeconds(15));
    }

    public LabSettings withDataDir(Path dir) {
        return new LabSettings(dir, kafkaPort, postgresPort, ports, consumers, jars, jvmOptions, stopGrace);
    }

    public LabSettings withPorts(int kafka, int postgres, ServicePorts services) {
        return new LabSettings(dataDir, kafka, postgres, services, consumers, jars, jvmOptions, stopGrace);
    }

    public LabSettings withConsumers(int replicas) {
        return new LabSettings(dataDir, kafkaPort, postgresPort, ports, replicas, jars, jvmOptions, stopGrace);
    }
}

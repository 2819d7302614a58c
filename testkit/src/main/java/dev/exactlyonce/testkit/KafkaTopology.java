package dev.exactlyonce.testkit;

import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Where the nodes of a KRaft cluster listen, and how much it replicates. Every node is a combined broker
 * and controller (KRaft voter): node {@code n} (1-based) takes client port {@code firstClientPort + n - 1}
 * and controller port {@code firstClientPort + 100 + n - 1}, so the lab's ports stay predictable
 * (9092, 9093, 9094 for clients; 9192, 9193, 9194 for the controller quorum).
 *
 * <p>With three nodes everything is replicated three times and a write needs two in-sync copies
 * ({@code min.insync.replicas=2}): one broker can die without losing an acknowledged record or
 * stopping producers; two down stop {@code acks=all} writes with NOT_ENOUGH_REPLICAS instead of
 * acknowledging a record that one disk holds.
 */
public record KafkaTopology(int brokers, int firstClientPort) {

    static final int CONTROLLER_PORT_OFFSET = 100;

    public KafkaTopology {
        if (brokers != 1 && brokers != 3) {
            throw new IllegalArgumentException("brokers must be 1 or 3, was " + brokers);
        }
    }

    public static KafkaTopology single(int clientPort) {
        return new KafkaTopology(1, clientPort);
    }

    public int clientPort(int node) {
        return firstClientPort + node - 1;
    }

    public int controllerPort(int node) {
        return firstClientPort + CONTROLLER_PORT_OFFSET + node - 1;
    }

    /** controller.quorum.voters: every node votes. */
    public String voters() {
        return IntStream.rangeClosed(1, brokers).mapToObj(n -> n + "@127.0.0.1:" + controllerPort(n))
                .collect(Collectors.joining(","));
    }

    public String bootstrapServers() {
        return IntStream.rangeClosed(1, brokers).mapToObj(n -> "127.0.0.1:" + clientPort(n))
                .collect(Collectors.joining(","));
    }

    public short replicationFactor() {
        return (short) brokers;
    }

    /** 2 of 3 (the exactly-once guides' setting); 1 of 1 on a single broker. */
    public int minInsyncReplicas() {
        return brokers == 1 ? 1 : 2;
    }
}

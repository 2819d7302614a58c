package dev.exactlyonce.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Where the nodes of a KRaft cluster listen, and how much it replicates. Every node is a combined
 * broker and controller (KRaft voter): node {@code n} (1-based) takes client port {@code
 * firstClientPort + n - 1} and controller port {@code firstClientPort + 100 + n - 1}, so the lab's
 * ports stay predictable (9092, 9093, 9094 for clients; 9192, 9193, 9194 for the controller
 * quorum).
 *
 * <p>With three nodes everything is replicated three times and a write needs two in-sync copies
 * ({@code min.insync.replicas=2}): one broker can die without losing an acknowledged record or
 * stopping producers; two down stop {@code acks=all} writes with NOT_ENOUGH_REPLICAS instead of
 * acknowledging a record that one disk holds.
 */
public record KafkaTopology(int brokers, int firstClientPort, List<String> links) {

    static final int CONTROLLER_PORT_OFFSET = 100;
    static final int LINK_PORT_OFFSET = 200;
    static final int LINK_PROXY_PORT_OFFSET = 300;
    static final int MAX_LINKS = 8;

    /**
     * @param links names of per-service links (e.g. PRODUCER, CONSUMER): each node gets one more
     *     listener per link, bound on {@link #linkPort} and advertised as {@link #linkProxyPort},
     *     where a fault proxy forwards to it; a service bootstrapped through its link's proxies
     *     then reaches every node only through them, so one service's Kafka connections can be cut
     *     alone
     */
    public KafkaTopology {
        if (brokers != 1 && brokers != 3) {
            throw new IllegalArgumentException("brokers must be 1 or 3, was " + brokers);
        }
        if (links.size() > MAX_LINKS) {
            throw new IllegalArgumentException("at most " + MAX_LINKS + " links");
        }
        links = List.copyOf(links);
    }

    public KafkaTopology(int brokers, int firstClientPort) {
        this(brokers, firstClientPort, List.of());
    }

    /** The port node {@code node}'s listener for {@code link} binds. */
    public int linkPort(String link, int node) {
        return firstClientPort + LINK_PORT_OFFSET + 10 * linkIndex(link) + node - 1;
    }

    /** The port node {@code node} advertises for {@code link}: its proxy's. */
    public int linkProxyPort(String link, int node) {
        return firstClientPort + LINK_PROXY_PORT_OFFSET + 10 * linkIndex(link) + node - 1;
    }

    /** The bootstrap servers a service behind {@code link} uses: the link's proxies. */
    public String linkBootstrapServers(String link) {
        return IntStream.rangeClosed(1, brokers)
                .mapToObj(n -> "127.0.0.1:" + linkProxyPort(link, n))
                .collect(Collectors.joining(","));
    }

    /**
     * Every port this layout needs free: clients, controllers, link listeners and their proxies.
     */
    public List<Integer> ports() {
        List<Integer> ports = new ArrayList<>();
        for (int node = 1; node <= brokers; node++) {
            ports.add(clientPort(node));
            ports.add(controllerPort(node));
            for (String link : links) {
                ports.add(linkPort(link, node));
                ports.add(linkProxyPort(link, node));
            }
        }
        return ports;
    }

    private int linkIndex(String link) {
        int index = links.indexOf(link);
        if (index < 0) {
            throw new IllegalArgumentException("no link " + link + " in " + links);
        }
        return index;
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
        return IntStream.rangeClosed(1, brokers)
                .mapToObj(n -> n + "@127.0.0.1:" + controllerPort(n))
                .collect(Collectors.joining(","));
    }

    public String bootstrapServers() {
        return IntStream.rangeClosed(1, brokers)
                .mapToObj(n -> "127.0.0.1:" + clientPort(n))
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

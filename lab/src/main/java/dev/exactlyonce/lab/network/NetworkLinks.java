package dev.exactlyonce.lab.network;

import dev.exactlyonce.testkit.FaultyLink;
import dev.exactlyonce.testkit.KafkaTopology;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every link of the lab that a drill can break, each a set of {@link FaultyLink} proxies: a
 * service's connections to Kafka (one proxy per broker, through the broker's listener for that
 * service), a service's connections to PostgreSQL, and the drill clients' connections to the
 * producer. Link names read like the picture: {@code producer-kafka}, {@code consumer-0-kafka},
 * {@code consumer-0-postgres}, {@code query-postgres}, {@code client-producer}.
 *
 * <p>Why proxies and not network namespaces or iptables: they need no root and no kernel feature,
 * work the same on a laptop and in CI, act per service rather than per port (all services share
 * 127.0.0.1), and hold established connections as well as new ones.
 */
public final class NetworkLinks implements AutoCloseable {

    /** The Kafka listeners each node opens, one per service replica that can sit behind a proxy. */
    public static final List<String> KAFKA_LINKS =
            List.of("PRODUCER", "CONSUMER0", "CONSUMER1", "CONSUMER2", "QUERY", "BILLING");

    /** PostgreSQL's proxies listen from the database port + this on: consumer-0..2, then query. */
    public static final int POSTGRES_PROXY_OFFSET = 100;

    private final Map<String, List<FaultyLink>> links = new LinkedHashMap<>();

    private NetworkLinks() {}

    /**
     * @param clientProducerPort where the drill's clients reach the producer through a proxy (0:
     *     any free port)
     */
    public static NetworkLinks start(
            KafkaTopology kafka, int postgresPort, int producerGrpcPort, int clientProducerPort)
            throws IOException {
        NetworkLinks network = new NetworkLinks();
        try {
            for (String listener : kafka.links()) {
                List<FaultyLink> proxies = new ArrayList<>();
                for (int node = 1; node <= kafka.brokers(); node++) {
                    proxies.add(
                            new FaultyLink(
                                    kafkaLinkName(listener) + "-" + node,
                                    kafka.linkProxyPort(listener, node),
                                    kafka.linkPort(listener, node)));
                }
                network.links.put(kafkaLinkName(listener), proxies);
            }
            for (String service : postgresClients()) {
                network.links.put(
                        service + "-postgres",
                        List.of(
                                new FaultyLink(
                                        service + "-postgres",
                                        postgresProxyPort(postgresPort, service),
                                        postgresPort)));
            }
            network.links.put(
                    "client-producer",
                    List.of(
                            new FaultyLink(
                                    "client-producer", clientProducerPort, producerGrpcPort)));
            return network;
        } catch (IOException e) {
            network.close();
            throw e;
        }
    }

    /** The Kafka listener of a service replica: consumer-1 → CONSUMER1, producer-0 → PRODUCER. */
    public static String kafkaListener(String pod) {
        return pod.startsWith("consumer-")
                ? pod.replace("-", "").toUpperCase()
                : pod.replaceAll("-\\d+$", "").toUpperCase();
    }

    /** The services that reach PostgreSQL through a proxy of their own. */
    static List<String> postgresClients() {
        return List.of("consumer-0", "consumer-1", "consumer-2", "query-0");
    }

    /**
     * Whether this pod reaches PostgreSQL through a proxy of its own (the consumers and the query
     * do).
     */
    public static boolean usesPostgres(String pod) {
        return postgresClients().contains(pod);
    }

    /** Where {@code service} (e.g. consumer-0, query-0) reaches PostgreSQL through its proxy. */
    public static int postgresProxyPort(int postgresPort, String service) {
        int index = postgresClients().indexOf(service);
        if (index < 0) {
            throw new IllegalArgumentException("no PostgreSQL link for " + service);
        }
        return postgresPort + POSTGRES_PROXY_OFFSET + index;
    }

    private static String kafkaLinkName(String listener) {
        return listener.toLowerCase().replaceAll("(\\d)$", "-$1") + "-kafka";
    }

    /** The proxies of a link, e.g. {@code producer-kafka}. */
    public List<FaultyLink> link(String name) {
        List<FaultyLink> proxies = links.get(name);
        if (proxies == null) {
            throw new IllegalArgumentException("no link " + name + "; links: " + links.keySet());
        }
        return proxies;
    }

    public List<String> names() {
        return List.copyOf(links.keySet());
    }

    public int clientProducerPort() {
        return link("client-producer").get(0).port();
    }

    public void partition(String name) {
        link(name).forEach(FaultyLink::partition);
    }

    public void dropReplies(String name) {
        link(name).forEach(FaultyLink::dropReplies);
    }

    public void heal(String name) {
        link(name).forEach(FaultyLink::heal);
    }

    public void reset(String name) {
        link(name).forEach(FaultyLink::reset);
    }

    public void delay(String name, Duration delay) {
        link(name).forEach(l -> l.delay(delay));
    }

    @Override
    public void close() {
        links.values().forEach(proxies -> proxies.forEach(FaultyLink::close));
    }
}

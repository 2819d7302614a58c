package dev.exactlyonce.lab.runner;

import dev.exactlyonce.testkit.EmbeddedKafkaBroker;
import dev.exactlyonce.testkit.KafkaTopology;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * The lab's Kafka: one supervised child JVM per KRaft node (combined broker and controller), like
 * one pod per broker, so a drill can SIGKILL a node or bounce it with SIGTERM and the supervisor
 * starts it again on the same ports and data. Also the admin questions a broker drill asks: who
 * leads a partition, which node coordinates a transactional.id or a consumer group, are all
 * replicas back in sync.
 */
public final class KafkaCluster implements AutoCloseable {

    private final KafkaTopology topology;
    private final List<SupervisedProcess> nodes = new ArrayList<>();
    private Admin admin;

    KafkaCluster(
            KafkaTopology topology,
            Path dataDir,
            short transactionVersion,
            Path logDir,
            Progress progress) {
        this.topology = topology;
        for (int node = 1; node <= topology.brokers(); node++) {
            ChildSpec spec =
                    KafkaNodeProcess.spec(
                            topology,
                            node,
                            dataDir.resolve("kafka-" + (node - 1)),
                            transactionVersion,
                            logDir.resolve("kafka-" + (node - 1) + ".log"));
            nodes.add(new SupervisedProcess(spec, progress));
        }
    }

    /** Starts every node (in parallel: a KRaft quorum forms only once a majority runs). */
    void start(Progress progress) throws IOException {
        for (int node = 1; node <= nodes.size(); node++) {
            SupervisedProcess process = nodes.get(node - 1);
            process.start();
            progress.line(
                    "started %s (pid %d) node.id %d, client 127.0.0.1:%d, controller 127.0.0.1:%d, log %s",
                    process.name(),
                    process.pid(),
                    node,
                    topology.clientPort(node),
                    topology.controllerPort(node),
                    process.spec().logFile());
        }
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, topology.bootstrapServers());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        admin = Admin.create(props);
    }

    /** Waits until every node is registered as a broker. */
    void awaitBrokers(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            try {
                int registered = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size();
                if (registered == topology.brokers()) {
                    return;
                }
                last = registered + " of " + topology.brokers() + " brokers registered";
            } catch (ExecutionException | TimeoutException e) {
                last = e.toString();
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(
                "Kafka did not form a cluster of "
                        + topology.brokers()
                        + " within "
                        + Progress.seconds(timeout)
                        + " ("
                        + last
                        + "); see "
                        + nodes.get(0).spec().logFile());
    }

    /**
     * The finalized feature levels, e.g. {@code metadata.version=27, transaction.version=2}: what
     * the cluster really runs, not what the release could.
     */
    public Map<String, Short> finalizedFeatures() throws InterruptedException, ExecutionException {
        FeatureMetadata features = admin.describeFeatures().featureMetadata().get();
        Map<String, Short> levels = new TreeMap<>();
        features.finalizedFeatures()
                .forEach((name, range) -> levels.put(name, range.maxVersionLevel()));
        return levels;
    }

    static String describe(Map<String, Short> features) {
        return features.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(", "));
    }

    public KafkaTopology topology() {
        return topology;
    }

    public String bootstrapServers() {
        return topology.bootstrapServers();
    }

    public Admin admin() {
        return admin;
    }

    public List<SupervisedProcess> nodes() {
        return List.copyOf(nodes);
    }

    /** The lab's process for a Kafka node id (1-based, as Kafka numbers them). */
    public SupervisedProcess node(int nodeId) {
        return nodes.get(nodeId - 1);
    }

    /** The node id leading a partition, or -1 while it has no leader. */
    public int leaderOf(String topic, int partition)
            throws InterruptedException, ExecutionException {
        TopicDescription description =
                admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        Node leader = description.partitions().get(partition).leader();
        return leader == null ? -1 : leader.id();
    }

    /** True when every node is back as a full replica ({@link #inSync(int)}). */
    public boolean fullyReplicated() {
        return IntStream.rangeClosed(1, nodes.size()).allMatch(this::inSync);
    }

    /**
     * True when this node is back as a full replica: it answers a client request on its own port,
     * and every partition it holds a replica of has it in sync. The chart's readiness probe of a
     * broker pod asks the same ({@code eo.kafkaInSyncCheck}). Asking the node itself matters: a
     * KRaft broker serves requests only once the controller took its new registration, which is
     * also what drops a killed node from the in-sync replicas. Asked anywhere else right after a
     * quick restart, the metadata still lists the old process as in sync.
     */
    public boolean inSync(int nodeId) {
        Properties props = new Properties();
        props.put(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                "127.0.0.1:" + topology.clientPort(nodeId));
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "4000");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        Admin direct = Admin.create(props);
        try {
            var names =
                    direct.listTopics(new ListTopicsOptions().listInternal(true))
                            .names()
                            .get(5, TimeUnit.SECONDS);
            for (TopicDescription description :
                    direct.describeTopics(names)
                            .allTopicNames()
                            .get(5, TimeUnit.SECONDS)
                            .values()) {
                for (TopicPartitionInfo partition : description.partitions()) {
                    boolean replica = partition.replicas().stream().anyMatch(n -> n.id() == nodeId);
                    boolean caughtUp = partition.isr().stream().anyMatch(n -> n.id() == nodeId);
                    if (replica && !caughtUp) {
                        return false;
                    }
                }
            }
            return true;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            direct.close(Duration.ofSeconds(1));
        }
    }

    /** The Kafka node id (1-based) of one of this cluster's node processes. */
    public int nodeId(SupervisedProcess node) {
        int index = nodes.indexOf(node);
        if (index < 0) {
            throw new IllegalArgumentException(node.name() + " is not a Kafka node of this lab");
        }
        return index + 1;
    }

    public static String kafkaVersion() {
        return EmbeddedKafkaBroker.kafkaVersion();
    }

    /** SIGTERM to every node at once (Kafka's clean shutdown), SIGKILL after {@code grace}. */
    void stop(Duration grace) {
        if (admin != null) {
            admin.close(Duration.ofSeconds(1));
        }
        List<Thread> stoppers =
                nodes.stream()
                        .map(n -> new Thread(() -> n.stop(grace), "stop-" + n.name()))
                        .toList();
        stoppers.forEach(Thread::start);
        for (Thread stopper : stoppers) {
            try {
                stopper.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(15));
    }
}

package dev.exactlyonce.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One KRaft Kafka node (combined broker and controller) running in this JVM, from Kafka's own
 * server classes, with transactions enabled: a whole single-node cluster for the tests, or one node
 * of the lab's three (each in its own process, so a drill can SIGKILL it). It can be stopped and
 * started again on the same ports and data directory. A fresh data directory is formatted at the
 * newest production metadata version, whose default feature levels include {@code
 * transaction.version=2} (KIP-890, transactions v2), unless {@link #withTransactionVersion} asks
 * for the old protocol.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    /** Any stable id works; it only has to stay the same across restarts of one data directory. */
    private static final String CLUSTER_ID = "ExactlyOnceLab0000001A";

    private final KafkaTopology topology;
    private final int nodeId;
    private final int port;
    private final int controllerPort;
    private final Path dataDir;
    private short transactionVersion = TRANSACTION_VERSION_DEFAULT;
    private final Map<String, String> brokerSettings = new LinkedHashMap<>();
    private KafkaRaftServer server;

    /** Leaves {@code transaction.version} at the release's default (2 on Kafka 4). */
    public static final short TRANSACTION_VERSION_DEFAULT = -1;

    /**
     * A single-node cluster.
     *
     * @param port the client port; 0 picks a free one
     * @param dataDir the log directory; formatted on first start, reused afterwards
     */
    public EmbeddedKafkaBroker(int port, Path dataDir) {
        this.port = port == 0 ? freePort() : port;
        this.controllerPort = freePortOtherThan(this.port);
        this.topology = null;
        this.nodeId = 1;
        this.dataDir = dataDir;
    }

    /** Node {@code nodeId} (1-based) of {@code topology}, on the topology's ports. */
    public EmbeddedKafkaBroker(KafkaTopology topology, int nodeId, Path dataDir) {
        this.topology = topology;
        this.nodeId = nodeId;
        this.port = topology.clientPort(nodeId);
        this.controllerPort = topology.controllerPort(nodeId);
        this.dataDir = dataDir;
    }

    /**
     * Formats a fresh data directory with this {@code transaction.version} (1: the pre-KIP-890
     * protocol).
     */
    public EmbeddedKafkaBroker withTransactionVersion(short version) {
        this.transactionVersion = version;
        return this;
    }

    /**
     * A broker setting of this node beyond the defaults below, e.g. a short {@code
     * transactional.id.expiration.ms} to show in seconds what happens after days.
     */
    public EmbeddedKafkaBroker withBrokerSetting(String name, String value) {
        brokerSettings.put(name, value);
        return this;
    }

    public synchronized EmbeddedKafkaBroker start() {
        if (server != null) {
            return this;
        }
        try {
            Files.createDirectories(dataDir);
            KafkaConfig config = new KafkaConfig(properties(), false);
            if (!Files.exists(dataDir.resolve("meta.properties"))) {
                format();
            }
            server = new KafkaRaftServer(config, Time.SYSTEM);
            server.startup();
            LOG.info("embedded Kafka {} listening on {}", kafkaVersion(), bootstrapServers());
            return this;
        } catch (Exception e) {
            throw new IllegalStateException(
                    "embedded Kafka could not start on port " + port + ": " + e, e);
        }
    }

    public synchronized void stop() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }

    public boolean isRunning() {
        return server != null;
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public int nodeId() {
        return nodeId;
    }

    public static String kafkaVersion() {
        return org.apache.kafka.common.utils.AppInfoParser.getVersion();
    }

    @Override
    public void close() {
        stop();
    }

    private void format() throws Exception {
        Formatter formatter =
                new Formatter()
                        .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                        .setClusterId(CLUSTER_ID)
                        .setNodeId(nodeId)
                        .setControllerListenerName("CONTROLLER")
                        .setMetadataLogDirectory(dataDir.toString())
                        .addDirectory(dataDir.toString())
                        .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION);
        if (transactionVersion != TRANSACTION_VERSION_DEFAULT) {
            formatter.setFeatureLevel("transaction.version", transactionVersion);
        }
        formatter.run();
    }

    private Properties properties() {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(nodeId));
        p.put(
                "controller.quorum.voters",
                topology != null ? topology.voters() : nodeId + "@127.0.0.1:" + controllerPort);
        StringBuilder listeners =
                new StringBuilder(
                        "PLAINTEXT://127.0.0.1:"
                                + port
                                + ",CONTROLLER://127.0.0.1:"
                                + controllerPort);
        StringBuilder advertised = new StringBuilder("PLAINTEXT://127.0.0.1:" + port);
        StringBuilder protocols = new StringBuilder("PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        if (topology != null) {
            // one listener per service link, advertised at the link's fault proxy (see
            // KafkaTopology)
            for (String link : topology.links()) {
                String listener = "LINK_" + link;
                listeners
                        .append(',')
                        .append(listener)
                        .append("://127.0.0.1:")
                        .append(topology.linkPort(link, nodeId));
                advertised
                        .append(',')
                        .append(listener)
                        .append("://127.0.0.1:")
                        .append(topology.linkProxyPort(link, nodeId));
                protocols.append(',').append(listener).append(":PLAINTEXT");
            }
        }
        p.put("listeners", listeners.toString());
        p.put("advertised.listeners", advertised.toString());
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", protocols.toString());
        p.put("log.dirs", dataDir.toString());
        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "false");
        // every topic, the internal ones (offsets, transaction state) included, has one copy per
        // node and
        // needs min.insync.replicas of them for an acks=all write; a replica that fell out of sync
        // never leads
        String replicas = String.valueOf(topology != null ? topology.replicationFactor() : 1);
        String minInsync = String.valueOf(topology != null ? topology.minInsyncReplicas() : 1);
        p.put("default.replication.factor", replicas);
        p.put("min.insync.replicas", minInsync);
        p.put("unclean.leader.election.enable", "false");
        p.put("offsets.topic.replication.factor", replicas);
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.replication.factor", replicas);
        p.put("transaction.state.log.min.isr", minInsync);
        p.put("transaction.state.log.num.partitions", "5");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("group.min.session.timeout.ms", "1000");
        // the consumer group protocol (KIP-848, group.protocol=consumer; Kafka 4 enables it, see
        // group.coordinator.rebalance.protocols): the broker, not the client, holds the session
        // timeout and heartbeat interval. The services' classic values (10 s, 2 s) instead of
        // Kafka's 45 s and 5 s, whose minimums are those defaults too.
        p.put("group.consumer.min.session.timeout.ms", "1000");
        p.put("group.consumer.session.timeout.ms", "10000");
        p.put("group.consumer.min.heartbeat.interval.ms", "1000");
        p.put("group.consumer.heartbeat.interval.ms", "2000");
        p.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
        p.put("log.segment.bytes", String.valueOf(256 * 1024 * 1024));
        p.put("log.retention.bytes", String.valueOf(8L * 1024 * 1024 * 1024));
        p.putAll(brokerSettings);
        return p;
    }

    /**
     * A free port other than {@code taken}. A port picked before and not bound yet is free to the
     * kernel, which can hand it out again: a CI run once got the client port twice, and Kafka
     * refused its client and controller listeners on one port.
     */
    static int freePortOtherThan(int taken) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = freePort();
            if (port != taken) {
                return port;
            }
        }
        throw new IllegalStateException("no free port other than " + taken);
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }
}

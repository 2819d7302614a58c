package dev.exactlyonce.testkit;

import dev.exactlyonce.kafka.Topics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Three in-process Kafka nodes where the settings topic has one replica, on node 3, and every other
 * topic lives on nodes 1 and 2: with node 3 down the orders are readable and the shared settings
 * are not, which is what a replica meets when it starts while the settings partition has no leader.
 * The services' settings tests (consumer and billing {@code SettingsReadFirstTest}) run on it.
 */
public final class SettingsApartCluster implements AutoCloseable {

    private static final int SETTINGS_NODE = 3;

    private final List<EmbeddedKafkaBroker> nodes;
    private final KafkaTopology topology;

    private SettingsApartCluster(KafkaTopology topology, List<EmbeddedKafkaBroker> nodes) {
        this.topology = topology;
        this.nodes = nodes;
    }

    /**
     * Starts the three nodes (client ports {@code firstClientPort}.. +2, controllers +100) and
     * creates the pipeline's topics, the settings topic on node 3 alone.
     */
    public static SettingsApartCluster start(Path dir, int firstClientPort) throws Exception {
        KafkaTopology topology = new KafkaTopology(3, firstClientPort);
        List<EmbeddedKafkaBroker> nodes =
                IntStream.rangeClosed(1, 3)
                        .mapToObj(
                                n ->
                                        // no controlled shutdown: the last node to stop would
                                        // wait minutes for a controller quorum that is gone
                                        new EmbeddedKafkaBroker(
                                                        topology, n, dir.resolve("node-" + n))
                                                .withBrokerSetting(
                                                        "controlled.shutdown.enable", "false"))
                        .toList();
        SettingsApartCluster cluster = new SettingsApartCluster(topology, nodes);
        try {
            // a three-voter quorum: the nodes start together, each on a thread of its own
            ExecutorService starting = Executors.newFixedThreadPool(nodes.size());
            try {
                CompletableFuture.allOf(
                                nodes.stream()
                                        .map(
                                                node ->
                                                        CompletableFuture.runAsync(
                                                                node::start, starting))
                                        .toArray(CompletableFuture[]::new))
                        .join();
            } finally {
                starting.shutdown();
            }
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.allServers()))) {
                admin.createTopics(topicsWithTheSettingsApart()).all().get();
            }
            return cluster;
        } catch (Exception | Error e) {
            cluster.close();
            throw e;
        }
    }

    /** Every node: for the set-up, while node 3 runs. */
    public String allServers() {
        return topology.bootstrapServers();
    }

    /** Nodes 1 and 2, the services' bootstrap list: they answer while node 3 is down. */
    public String servers() {
        return nodes.get(0).bootstrapServers() + "," + nodes.get(1).bootstrapServers();
    }

    /**
     * Stores a setting as SharedSettings writes it (acks=all, no transaction: a transaction's
     * commit marker could still be on its way when node 3 stops).
     */
    public void storeSetting(String key, byte[] value) throws Exception {
        try (KafkaProducer<String, byte[]> writer =
                new KafkaProducer<>(
                        producerSettings(), new StringSerializer(), new ByteArraySerializer())) {
            writer.send(new ProducerRecord<>(Topics.SETTINGS, key, value)).get();
        }
    }

    /**
     * Starts {@code group} at the end of "orders", and creates the group and transaction
     * coordinators' topics on the way: with three replicas, two nodes could not.
     */
    public void prepareGroup(String group) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", allServers()))) {
            Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
            for (int p = 0; p < Topics.ORDERS_PARTITIONS; p++) {
                ends.put(new TopicPartition(Topics.ORDERS, p), OffsetSpec.latest());
            }
            Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
            admin.listOffsets(ends)
                    .all()
                    .get()
                    .forEach((tp, info) -> start.put(tp, new OffsetAndMetadata(info.offset())));
            admin.alterConsumerGroupOffsets(group, start).all().get();
        }
        Properties p = producerSettings();
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "first-transaction-" + UUID.randomUUID());
        try (KafkaProducer<String, byte[]> transactional =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            transactional.initTransactions();
        }
    }

    /** The settings become unreadable: their only replica stops. */
    public void stopSettingsNode() {
        nodes.get(SETTINGS_NODE - 1).stop();
    }

    /** The settings become readable again. */
    public void startSettingsNode() {
        nodes.get(SETTINGS_NODE - 1).start();
    }

    /** Stops the nodes together, as a cluster goes down: one by one, the last has no quorum. */
    @Override
    public void close() {
        nodes.parallelStream().forEach(EmbeddedKafkaBroker::stop);
    }

    private Properties producerSettings() {
        Properties p = new Properties();
        p.put("bootstrap.servers", allServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return p;
    }

    private static List<NewTopic> topicsWithTheSettingsApart() {
        List<NewTopic> topics = new ArrayList<>();
        for (NewTopic topic : Topics.definitions()) {
            boolean settings = topic.name().equals(Topics.SETTINGS);
            Map<Integer, List<Integer>> replicas = new HashMap<>();
            for (int p = 0; p < topic.numPartitions(); p++) {
                replicas.put(p, settings ? List.of(SETTINGS_NODE) : List.of(1, 2));
            }
            Map<String, String> configs = new HashMap<>();
            if (topic.configs() != null) {
                configs.putAll(topic.configs());
            }
            if (settings) {
                // one replica: a write needs only it
                configs.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "1");
            }
            topics.add(new NewTopic(topic.name(), replicas).configs(configs));
        }
        return topics;
    }
}

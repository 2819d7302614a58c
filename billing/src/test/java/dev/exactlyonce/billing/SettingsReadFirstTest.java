package dev.exactlyonce.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.BillingConfig;
import dev.exactlyonce.grpc.v1.BillingCrashPoint;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.testkit.ControlToken;
import dev.exactlyonce.testkit.EmbeddedKafkaBroker;
import dev.exactlyonce.testkit.KafkaTopology;
import io.micronaut.context.ApplicationContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A billing replica that starts while the settings topic is unreadable holds the defaults
 * (exactly-once, no simulated failures), and the settings stored at runtime may say otherwise: it
 * must bill nothing until it has read them, not bill under a guessed mode once its start-up wait
 * ran out.
 *
 * <p>Three in-process brokers. The settings topic has one replica, on node 3; every other topic
 * lives on nodes 1 and 2. With node 3 down the orders are readable and the settings are not. The
 * stored settings (at-least-once, every attempt failing, one attempt) make each order a dead
 * letter, where the defaults would invoice it.
 */
class SettingsReadFirstTest {

    /** Client ports 24092..24094, controllers 24192..24194: clear of the shared test broker's. */
    private static final KafkaTopology CLUSTER = new KafkaTopology(3, 24_092);

    private static final int SETTINGS_NODE = 3;

    @Test
    void billsNothingUntilTheStoredSettingsAreRead(@TempDir Path dir) throws Exception {
        List<EmbeddedKafkaBroker> nodes =
                IntStream.rangeClosed(1, 3)
                        .mapToObj(
                                n ->
                                        // no controlled shutdown: the last node to stop would
                                        // wait minutes for a controller quorum that is gone
                                        new EmbeddedKafkaBroker(
                                                        CLUSTER, n, dir.resolve("node-" + n))
                                                .withBrokerSetting(
                                                        "controlled.shutdown.enable", "false"))
                        .toList();
        String servers = CLUSTER.bootstrapServers();
        String readable = nodes.get(0).bootstrapServers() + "," + nodes.get(1).bootstrapServers();
        String group = BillingPipeline.unique("settings-first");
        String prefix = BillingPipeline.unique("settings-first");
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
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", servers))) {
                createTopicsAwayFromTheSettings(admin);
                // the group and the transaction coordinators' topics exist before node 3 goes
                // (created with three replicas, which two nodes could not do); the group starts
                // at the end of "orders"
                Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
                admin.listOffsets(
                                IntStream.range(0, Topics.ORDERS_PARTITIONS)
                                        .boxed()
                                        .collect(
                                                HashMap::new,
                                                (m, p) ->
                                                        m.put(
                                                                new TopicPartition(
                                                                        Topics.ORDERS, p),
                                                                OffsetSpec.latest()),
                                                HashMap::putAll))
                        .all()
                        .get()
                        .forEach((tp, info) -> start.put(tp, new OffsetAndMetadata(info.offset())));
                admin.alterConsumerGroupOffsets(group, start).all().get();
            }
            storeSettings(
                    servers,
                    BillingConfig.newBuilder()
                            .setProcessingMode(DeliveryMode.AT_LEAST_ONCE)
                            .setCrashPoint(BillingCrashPoint.AFTER_SEND)
                            .setFailureRate(1)
                            .setMaxAttempts(1)
                            .build());

            nodes.get(SETTINGS_NODE - 1).stop();
            try (ApplicationContext billing = startBilling(readable, group)) {
                BillingPipeline.send(readable, BillingPipeline.orders(prefix, 10));

                // the orders are there to read, the settings are not: nothing is billed
                await().during(Duration.ofSeconds(8))
                        .atMost(Duration.ofSeconds(12))
                        .pollInterval(Duration.ofMillis(500))
                        .until(() -> billed(readable, prefix) == 0);

                nodes.get(SETTINGS_NODE - 1).start();
                // once read, the stored settings apply: every order a dead letter, none invoiced
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(500))
                        .until(
                                () ->
                                        BillingPipeline.committedRecords(
                                                                readable,
                                                                Topics.BILLING_DLQ,
                                                                prefix)
                                                        .size()
                                                == 10);
                assertThat(billing.getBean(SharedBillingConfig.class).current())
                        .extracting(BillingConfig::getProcessingMode, BillingConfig::getMaxAttempts)
                        .containsExactly(DeliveryMode.AT_LEAST_ONCE, 1);
                assertThat(BillingPipeline.committedRecords(readable, Topics.INVOICES, prefix))
                        .isEmpty();
            }
        } finally {
            // together, as a cluster goes down: one by one, the last would have no quorum
            nodes.parallelStream().forEach(EmbeddedKafkaBroker::stop);
        }
    }

    /** The settings topic on node 3 alone; the others on nodes 1 and 2. */
    private static void createTopicsAwayFromTheSettings(Admin admin) throws Exception {
        List<NewTopic> topics =
                Topics.definitions().stream()
                        .map(
                                topic -> {
                                    boolean settings = topic.name().equals(Topics.SETTINGS);
                                    Map<Integer, List<Integer>> replicas = new HashMap<>();
                                    for (int p = 0; p < topic.numPartitions(); p++) {
                                        replicas.put(
                                                p,
                                                settings ? List.of(SETTINGS_NODE) : List.of(1, 2));
                                    }
                                    Map<String, String> configs = new HashMap<>();
                                    if (topic.configs() != null) {
                                        configs.putAll(topic.configs());
                                    }
                                    if (settings) {
                                        configs.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "1");
                                    }
                                    return new NewTopic(topic.name(), replicas).configs(configs);
                                })
                        .toList();
        admin.createTopics(topics).all().get();
    }

    /**
     * What a runtime UpdateBillingConfig stored earlier, under billing's key, written as
     * SharedSettings writes it (acks=all, no transaction: a transaction's commit marker could still
     * be on its way when node 3 stops). Then a transactional producer's first call, which creates
     * the transaction coordinators' topic while node 3 still runs.
     */
    private static void storeSettings(String servers, BillingConfig stored) throws Exception {
        Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", servers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, byte[]> writer =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            writer.send(
                            new ProducerRecord<>(
                                    Topics.SETTINGS, SharedBillingConfig.KEY, stored.toByteArray()))
                    .get();
        }
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, BillingPipeline.unique("first-transaction"));
        try (KafkaProducer<String, byte[]> transactional =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            transactional.initTransactions();
        }
    }

    private static ApplicationContext startBilling(String servers, String group) {
        Map<String, Object> properties = new HashMap<>();
        properties.put("kafka.bootstrap.servers", servers);
        properties.putAll(ControlToken.TEST.serverProperties());
        properties.put("app.billing.group-id", group);
        properties.put("app.pod-name", BillingPipeline.unique("billing-pod"));
        return ApplicationContext.builder().environments("test").properties(properties).start();
    }

    /** Invoices and dead letters of this test's orders. */
    private static int billed(String servers, String prefix) {
        return BillingPipeline.committedRecords(servers, Topics.INVOICES, prefix).size()
                + BillingPipeline.committedRecords(servers, Topics.BILLING_DLQ, prefix).size();
    }
}

package dev.exactlyonce.query.kafka;

import dev.exactlyonce.grpc.v1.KafkaBroker;
import dev.exactlyonce.grpc.v1.ListTopicsResponse;
import dev.exactlyonce.grpc.v1.TopicInfo;
import dev.exactlyonce.grpc.v1.TopicPartitionInfo;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The cluster as the Admin API describes it: brokers, controller, finalized feature levels, and
 * each topic's partitions with leader, replicas, ISR, offsets, replication factor and
 * min.insync.replicas.
 */
@Singleton
public class TopicCatalog {

    private static final long TIMEOUT_MS = 10_000;
    private final Admin admin;

    public TopicCatalog(Admin admin) {
        this.admin = admin;
    }

    public ListTopicsResponse cluster()
            throws ExecutionException, InterruptedException, TimeoutException {
        DescribeClusterResult cluster = admin.describeCluster();
        ListTopicsResponse.Builder response =
                ListTopicsResponse.newBuilder().addAllTopics(topics());
        cluster.nodes().get(TIMEOUT_MS, TimeUnit.MILLISECONDS).stream()
                .sorted(Comparator.comparingInt(Node::id))
                .forEach(
                        n ->
                                response.addBrokers(
                                        KafkaBroker.newBuilder()
                                                .setId(n.id())
                                                .setHost(n.host())
                                                .setPort(n.port())));
        Node controller = cluster.controller().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        response.setControllerId(controller == null ? -1 : controller.id());
        admin.describeFeatures()
                .featureMetadata()
                .get(TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .finalizedFeatures()
                .forEach(
                        (name, range) ->
                                response.putFinalizedFeatures(name, range.maxVersionLevel()));
        return response.build();
    }

    public List<TopicInfo> topics()
            throws ExecutionException, InterruptedException, TimeoutException {
        // the internal topics too: the transaction state log and the offsets topic are replicated
        // like the rest
        var names =
                admin.listTopics(new ListTopicsOptions().listInternal(true))
                        .names()
                        .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        Map<String, TopicDescription> descriptions =
                admin.describeTopics(names).allTopicNames().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        descriptions
                .values()
                .forEach(
                        d ->
                                d.partitions()
                                        .forEach(
                                                p -> {
                                                    TopicPartition tp =
                                                            new TopicPartition(
                                                                    d.name(), p.partition());
                                                    earliest.put(tp, OffsetSpec.earliest());
                                                    latest.put(tp, OffsetSpec.latest());
                                                }));
        Map<TopicPartition, ListOffsetsResultInfo> starts =
                admin.listOffsets(earliest).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        Map<TopicPartition, ListOffsetsResultInfo> ends =
                admin.listOffsets(latest).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);

        List<ConfigResource> resources =
                names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
        Map<ConfigResource, Config> configs =
                admin.describeConfigs(resources).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);

        List<TopicInfo> topics = new ArrayList<>();
        descriptions.values().stream()
                .sorted((a, b) -> a.name().compareTo(b.name()))
                .forEach(
                        d -> {
                            ConfigEntry minInsync =
                                    configs.get(
                                                    new ConfigResource(
                                                            ConfigResource.Type.TOPIC, d.name()))
                                            .get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
                            TopicInfo.Builder topic =
                                    TopicInfo.newBuilder()
                                            .setName(d.name())
                                            .setPartitionCount(d.partitions().size())
                                            .setReplicationFactor(
                                                    d.partitions().isEmpty()
                                                            ? 0
                                                            : d.partitions()
                                                                    .get(0)
                                                                    .replicas()
                                                                    .size())
                                            .setMinInsyncReplicas(
                                                    minInsync == null
                                                            ? 1
                                                            : Integer.parseInt(minInsync.value()));
                            d.partitions()
                                    .forEach(
                                            p -> {
                                                TopicPartition tp =
                                                        new TopicPartition(d.name(), p.partition());
                                                topic.addPartitions(
                                                        TopicPartitionInfo.newBuilder()
                                                                .setPartition(p.partition())
                                                                .setLeader(
                                                                        p.leader() == null
                                                                                ? -1
                                                                                : p.leader().id())
                                                                .addAllReplicas(
                                                                        p.replicas().stream()
                                                                                .map(Node::id)
                                                                                .toList())
                                                                .addAllIsr(
                                                                        p.isr().stream()
                                                                                .map(Node::id)
                                                                                .toList())
                                                                .setStartOffset(
                                                                        starts.get(tp).offset())
                                                                .setEndOffset(
                                                                        ends.get(tp).offset()));
                                            });
                            topics.add(topic.build());
                        });
        return topics;
    }
}

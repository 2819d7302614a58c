package dev.exactlyonce.query.kafka;

import dev.exactlyonce.grpc.v1.TopicInfo;
import dev.exactlyonce.grpc.v1.TopicPartitionInfo;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;

/** The cluster's topics as the Admin API describes them: partitions, leader, replicas, ISR, offsets. */
@Singleton
public class TopicCatalog {

    private static final long TIMEOUT_MS = 10_000;
    private final Admin admin;

    public TopicCatalog(Admin admin) {
        this.admin = admin;
    }

    public List<TopicInfo> topics() throws ExecutionException, InterruptedException, TimeoutException {
        var names = admin.listTopics().names().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        Map<String, TopicDescription> descriptions =
                admin.describeTopics(names).allTopicNames().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        descriptions.values().forEach(d -> d.partitions().forEach(p -> {
            TopicPartition tp = new TopicPartition(d.name(), p.partition());
            earliest.put(tp, OffsetSpec.earliest());
            latest.put(tp, OffsetSpec.latest());
        }));
        Map<TopicPartition, ListOffsetsResultInfo> starts =
                admin.listOffsets(earliest).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        Map<TopicPartition, ListOffsetsResultInfo> ends =
                admin.listOffsets(latest).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);

        List<TopicInfo> topics = new ArrayList<>();
        descriptions.values().stream().sorted((a, b) -> a.name().compareTo(b.name())).forEach(d -> {
            TopicInfo.Builder topic = TopicInfo.newBuilder().setName(d.name()).setPartitionCount(d.partitions().size());
            d.partitions().forEach(p -> {
                TopicPartition tp = new TopicPartition(d.name(), p.partition());
                topic.addPartitions(TopicPartitionInfo.newBuilder()
                        .setPartition(p.partition())
                        .setLeader(p.leader() == null ? -1 : p.leader().id())
                        .addAllReplicas(p.replicas().stream().map(Node::id).toList())
                        .addAllIsr(p.isr().stream().map(Node::id).toList())
                        .setStartOffset(starts.get(tp).offset())
                        .setEndOffset(ends.get(tp).offset()));
            });
            topics.add(topic.build());
        });
        return topics;
    }
}

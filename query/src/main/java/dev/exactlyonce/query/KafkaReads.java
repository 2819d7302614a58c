package dev.exactlyonce.query;

import dev.exactlyonce.grpc.v1.GetConsumerLagRequest;
import dev.exactlyonce.grpc.v1.GetConsumerLagResponse;
import dev.exactlyonce.grpc.v1.ListTopicsResponse;
import dev.exactlyonce.query.kafka.ConsumerLagReader;
import dev.exactlyonce.query.kafka.TopicCatalog;
import jakarta.inject.Singleton;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * ListTopics and GetConsumerLag: the cluster as Kafka's Admin describes it ({@link TopicCatalog}),
 * and a group's lag against the position it really resumes from ({@link ConsumerLagReader}); the
 * real consumer's group unless the request names another.
 */
@Singleton
class KafkaReads {

    private final TopicCatalog topics;
    private final ConsumerLagReader lagReader;
    private final QuerySettings settings;

    KafkaReads(TopicCatalog topics, ConsumerLagReader lagReader, QuerySettings settings) {
        this.topics = topics;
        this.lagReader = lagReader;
        this.settings = settings;
    }

    ListTopicsResponse topics() throws ExecutionException, InterruptedException, TimeoutException {
        return topics.cluster();
    }

    GetConsumerLagResponse lag(GetConsumerLagRequest request)
            throws ExecutionException, InterruptedException, TimeoutException {
        String group = settings.consumerGroupId();
        if (request.hasGroupId()) {
            group = request.getGroupId().strip();
            if (group.isEmpty() || group.length() > 255) {
                throw ArgumentChecks.invalid("group_id", "must be 1..255 characters when set");
            }
        }
        return lagReader.lag(group);
    }
}

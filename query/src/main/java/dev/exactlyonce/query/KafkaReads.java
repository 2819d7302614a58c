package dev.exactlyonce.query;

import dev.exactlyonce.grpc.v1.GetConsumerLagRequest;
import dev.exactlyonce.grpc.v1.GetConsumerLagResponse;
import dev.exactlyonce.grpc.v1.ListTopicsResponse;
import dev.exactlyonce.grpc.v1.ListTransactionsRequest;
import dev.exactlyonce.grpc.v1.ListTransactionsResponse;
import dev.exactlyonce.query.kafka.ConsumerLagReader;
import dev.exactlyonce.query.kafka.OpenTransactions;
import dev.exactlyonce.query.kafka.TopicCatalog;
import jakarta.inject.Singleton;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * ListTopics, GetConsumerLag and ListTransactions: the cluster as Kafka's Admin describes it
 * ({@link TopicCatalog}), a group's lag against the position it really resumes from ({@link
 * ConsumerLagReader}; the real consumer's group unless the request names another), and the open
 * transactions with the last stable offsets they hold back ({@link OpenTransactions}).
 */
@Singleton
class KafkaReads {

    private final TopicCatalog topics;
    private final ConsumerLagReader lagReader;
    private final OpenTransactions transactions;
    private final QuerySettings settings;

    KafkaReads(
            TopicCatalog topics,
            ConsumerLagReader lagReader,
            OpenTransactions transactions,
            QuerySettings settings) {
        this.topics = topics;
        this.lagReader = lagReader;
        this.transactions = transactions;
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

    ListTransactionsResponse transactions(ListTransactionsRequest request)
            throws ExecutionException, InterruptedException, TimeoutException {
        int limit = OpenTransactions.MAX_LISTED;
        if (request.hasLimit()) {
            limit = request.getLimit();
            if (limit < 1 || limit > OpenTransactions.MAX_LISTED) {
                throw ArgumentChecks.invalid(
                        "limit", "must be 1.." + OpenTransactions.MAX_LISTED + ", was " + limit);
            }
        }
        long minAgeMs = request.getMinAgeMs();
        if (minAgeMs < 0) {
            throw ArgumentChecks.invalid("min_age_ms", "must not be negative, was " + minAgeMs);
        }
        return transactions.list(limit, minAgeMs);
    }
}

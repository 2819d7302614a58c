package dev.exactlyonce.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionReplica;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaFilter;

/**
 * An {@link AdminClient} for a bean that has to exist at start-up (micronaut-kafka's, the query
 * service's): when no bootstrap name resolves yet ({@link KafkaBootstrap}) the real Admin is
 * constructed by the first call that comes once one does, instead of the constructor failing the
 * start-up. Until then every call throws the retriable {@link UnresolvableBootstrapException}
 * (synchronously, where the real client would hand back a failed future), {@link #metrics} is empty
 * and {@link #close} closes nothing. With a name that resolves, the real Admin is constructed at
 * once, as before.
 *
 * <p>Every method of {@link Admin} without a default is passed on to the real one.
 */
public final class DeferredAdminClient extends AdminClient {

    private final String bootstrapServers;
    private final Supplier<? extends Admin> construct;
    private Admin delegate; // guarded by this
    private boolean closed;

    private DeferredAdminClient(String bootstrapServers, Supplier<? extends Admin> construct) {
        this.bootstrapServers = bootstrapServers;
        this.construct = construct;
    }

    /** Constructs the Admin now if a bootstrap name resolves, else on the first call that can. */
    public static AdminClient of(String bootstrapServers, Supplier<? extends Admin> construct) {
        DeferredAdminClient admin = new DeferredAdminClient(bootstrapServers, construct);
        if (KafkaBootstrap.problem(bootstrapServers).isEmpty()) {
            try {
                admin.admin();
            } catch (UnresolvableBootstrapException e) {
                // resolved a moment ago, not any more: the first call that can constructs it
            }
        }
        return admin;
    }

    /**
     * The real Admin, constructed now if need be.
     *
     * @throws UnresolvableBootstrapException while no bootstrap name resolves
     */
    private synchronized Admin admin() {
        if (closed) {
            throw new IllegalStateException("the admin client is closed");
        }
        if (delegate == null) {
            delegate = KafkaBootstrap.create(bootstrapServers, construct);
        }
        return delegate;
    }

    /** Whether the real Admin exists (a bootstrap name resolved at some call). */
    public synchronized boolean constructed() {
        return delegate != null;
    }

    @Override
    public void close(Duration timeout) {
        Admin admin;
        synchronized (this) {
            closed = true;
            admin = delegate;
        }
        if (admin != null) {
            admin.close(timeout);
        }
    }

    @Override
    public Map<MetricName, ? extends Metric> metrics() {
        Admin admin;
        synchronized (this) {
            admin = delegate;
        }
        return admin != null ? admin.metrics() : Map.of();
    }

    // --- passed on to the real Admin

    @Override
    public CreateTopicsResult createTopics(
            Collection<NewTopic> newTopics, CreateTopicsOptions options) {
        return admin().createTopics(newTopics, options);
    }

    @Override
    public DeleteTopicsResult deleteTopics(
            TopicCollection topicCollection, DeleteTopicsOptions options) {
        return admin().deleteTopics(topicCollection, options);
    }

    @Override
    public ListTopicsResult listTopics(ListTopicsOptions options) {
        return admin().listTopics(options);
    }

    @Override
    public DescribeTopicsResult describeTopics(
            TopicCollection topicCollection, DescribeTopicsOptions options) {
        return admin().describeTopics(topicCollection, options);
    }

    @Override
    public DescribeClusterResult describeCluster(DescribeClusterOptions options) {
        return admin().describeCluster(options);
    }

    @Override
    public DescribeAclsResult describeAcls(
            AclBindingFilter aclBindingFilter, DescribeAclsOptions options) {
        return admin().describeAcls(aclBindingFilter, options);
    }

    @Override
    public CreateAclsResult createAcls(
            Collection<AclBinding> aclBindings, CreateAclsOptions options) {
        return admin().createAcls(aclBindings, options);
    }

    @Override
    public DeleteAclsResult deleteAcls(
            Collection<AclBindingFilter> aclBindingFilters, DeleteAclsOptions options) {
        return admin().deleteAcls(aclBindingFilters, options);
    }

    @Override
    public DescribeConfigsResult describeConfigs(
            Collection<ConfigResource> configResources, DescribeConfigsOptions options) {
        return admin().describeConfigs(configResources, options);
    }

    @Override
    public AlterConfigsResult incrementalAlterConfigs(
            Map<ConfigResource, Collection<AlterConfigOp>> configResourceToCollection,
            AlterConfigsOptions options) {
        return admin().incrementalAlterConfigs(configResourceToCollection, options);
    }

    @Override
    public AlterReplicaLogDirsResult alterReplicaLogDirs(
            Map<TopicPartitionReplica, String> topicPartitionReplicaToString,
            AlterReplicaLogDirsOptions options) {
        return admin().alterReplicaLogDirs(topicPartitionReplicaToString, options);
    }

    @Override
    public DescribeLogDirsResult describeLogDirs(
            Collection<Integer> integers, DescribeLogDirsOptions options) {
        return admin().describeLogDirs(integers, options);
    }

    @Override
    public DescribeReplicaLogDirsResult describeReplicaLogDirs(
            Collection<TopicPartitionReplica> topicPartitionReplicas,
            DescribeReplicaLogDirsOptions options) {
        return admin().describeReplicaLogDirs(topicPartitionReplicas, options);
    }

    @Override
    public CreatePartitionsResult createPartitions(
            Map<String, NewPartitions> stringToNewPartitions, CreatePartitionsOptions options) {
        return admin().createPartitions(stringToNewPartitions, options);
    }

    @Override
    public DeleteRecordsResult deleteRecords(
            Map<TopicPartition, RecordsToDelete> topicPartitionToRecordsToDelete,
            DeleteRecordsOptions options) {
        return admin().deleteRecords(topicPartitionToRecordsToDelete, options);
    }

    @Override
    public CreateDelegationTokenResult createDelegationToken(CreateDelegationTokenOptions options) {
        return admin().createDelegationToken(options);
    }

    @Override
    public RenewDelegationTokenResult renewDelegationToken(
            byte[] hmac, RenewDelegationTokenOptions options) {
        return admin().renewDelegationToken(hmac, options);
    }

    @Override
    public ExpireDelegationTokenResult expireDelegationToken(
            byte[] hmac, ExpireDelegationTokenOptions options) {
        return admin().expireDelegationToken(hmac, options);
    }

    @Override
    public DescribeDelegationTokenResult describeDelegationToken(
            DescribeDelegationTokenOptions options) {
        return admin().describeDelegationToken(options);
    }

    @Override
    public DescribeConsumerGroupsResult describeConsumerGroups(
            Collection<String> strings, DescribeConsumerGroupsOptions options) {
        return admin().describeConsumerGroups(strings, options);
    }

    @Override
    public ListConsumerGroupsResult listConsumerGroups(ListConsumerGroupsOptions options) {
        return admin().listConsumerGroups(options);
    }

    @Override
    public ListConsumerGroupOffsetsResult listConsumerGroupOffsets(
            Map<String, ListConsumerGroupOffsetsSpec> stringToListConsumerGroupOffsetsSpec,
            ListConsumerGroupOffsetsOptions options) {
        return admin().listConsumerGroupOffsets(stringToListConsumerGroupOffsetsSpec, options);
    }

    @Override
    public ListStreamsGroupOffsetsResult listStreamsGroupOffsets(
            Map<String, ListStreamsGroupOffsetsSpec> stringToListStreamsGroupOffsetsSpec,
            ListStreamsGroupOffsetsOptions options) {
        return admin().listStreamsGroupOffsets(stringToListStreamsGroupOffsetsSpec, options);
    }

    @Override
    public DeleteConsumerGroupsResult deleteConsumerGroups(
            Collection<String> strings, DeleteConsumerGroupsOptions options) {
        return admin().deleteConsumerGroups(strings, options);
    }

    @Override
    public DeleteStreamsGroupsResult deleteStreamsGroups(
            Collection<String> strings, DeleteStreamsGroupsOptions options) {
        return admin().deleteStreamsGroups(strings, options);
    }

    @Override
    public DeleteConsumerGroupOffsetsResult deleteConsumerGroupOffsets(
            String groupId,
            Set<TopicPartition> topicPartitions,
            DeleteConsumerGroupOffsetsOptions options) {
        return admin().deleteConsumerGroupOffsets(groupId, topicPartitions, options);
    }

    @Override
    public DeleteStreamsGroupOffsetsResult deleteStreamsGroupOffsets(
            String groupId,
            Set<TopicPartition> topicPartitions,
            DeleteStreamsGroupOffsetsOptions options) {
        return admin().deleteStreamsGroupOffsets(groupId, topicPartitions, options);
    }

    @Override
    public ListGroupsResult listGroups(ListGroupsOptions options) {
        return admin().listGroups(options);
    }

    @Override
    public ElectLeadersResult electLeaders(
            ElectionType electionType,
            Set<TopicPartition> topicPartitions,
            ElectLeadersOptions options) {
        return admin().electLeaders(electionType, topicPartitions, options);
    }

    @Override
    public AlterPartitionReassignmentsResult alterPartitionReassignments(
            Map<TopicPartition, Optional<NewPartitionReassignment>> topicPartitionToOptional,
            AlterPartitionReassignmentsOptions options) {
        return admin().alterPartitionReassignments(topicPartitionToOptional, options);
    }

    @Override
    public ListPartitionReassignmentsResult listPartitionReassignments(
            Optional<Set<TopicPartition>> partitions, ListPartitionReassignmentsOptions options) {
        return admin().listPartitionReassignments(partitions, options);
    }

    @Override
    public RemoveMembersFromConsumerGroupResult removeMembersFromConsumerGroup(
            String groupId, RemoveMembersFromConsumerGroupOptions options) {
        return admin().removeMembersFromConsumerGroup(groupId, options);
    }

    @Override
    public AlterConsumerGroupOffsetsResult alterConsumerGroupOffsets(
            String groupId,
            Map<TopicPartition, OffsetAndMetadata> topicPartitionToOffsetAndMetadata,
            AlterConsumerGroupOffsetsOptions options) {
        return admin().alterConsumerGroupOffsets(
                        groupId, topicPartitionToOffsetAndMetadata, options);
    }

    @Override
    public AlterStreamsGroupOffsetsResult alterStreamsGroupOffsets(
            String groupId,
            Map<TopicPartition, OffsetAndMetadata> topicPartitionToOffsetAndMetadata,
            AlterStreamsGroupOffsetsOptions options) {
        return admin().alterStreamsGroupOffsets(
                        groupId, topicPartitionToOffsetAndMetadata, options);
    }

    @Override
    public ListOffsetsResult listOffsets(
            Map<TopicPartition, OffsetSpec> topicPartitionToOffsetSpec,
            ListOffsetsOptions options) {
        return admin().listOffsets(topicPartitionToOffsetSpec, options);
    }

    @Override
    public DescribeClientQuotasResult describeClientQuotas(
            ClientQuotaFilter clientQuotaFilter, DescribeClientQuotasOptions options) {
        return admin().describeClientQuotas(clientQuotaFilter, options);
    }

    @Override
    public AlterClientQuotasResult alterClientQuotas(
            Collection<ClientQuotaAlteration> clientQuotaAlterations,
            AlterClientQuotasOptions options) {
        return admin().alterClientQuotas(clientQuotaAlterations, options);
    }

    @Override
    public DescribeUserScramCredentialsResult describeUserScramCredentials(
            List<String> strings, DescribeUserScramCredentialsOptions options) {
        return admin().describeUserScramCredentials(strings, options);
    }

    @Override
    public AlterUserScramCredentialsResult alterUserScramCredentials(
            List<UserScramCredentialAlteration> userScramCredentialAlterations,
            AlterUserScramCredentialsOptions options) {
        return admin().alterUserScramCredentials(userScramCredentialAlterations, options);
    }

    @Override
    public DescribeFeaturesResult describeFeatures(DescribeFeaturesOptions options) {
        return admin().describeFeatures(options);
    }

    @Override
    public UpdateFeaturesResult updateFeatures(
            Map<String, FeatureUpdate> stringToFeatureUpdate, UpdateFeaturesOptions options) {
        return admin().updateFeatures(stringToFeatureUpdate, options);
    }

    @Override
    public DescribeMetadataQuorumResult describeMetadataQuorum(
            DescribeMetadataQuorumOptions options) {
        return admin().describeMetadataQuorum(options);
    }

    @Override
    public UnregisterBrokerResult unregisterBroker(int id, UnregisterBrokerOptions options) {
        return admin().unregisterBroker(id, options);
    }

    @Override
    public DescribeProducersResult describeProducers(
            Collection<TopicPartition> topicPartitions, DescribeProducersOptions options) {
        return admin().describeProducers(topicPartitions, options);
    }

    @Override
    public DescribeTransactionsResult describeTransactions(
            Collection<String> strings, DescribeTransactionsOptions options) {
        return admin().describeTransactions(strings, options);
    }

    @Override
    public AbortTransactionResult abortTransaction(
            AbortTransactionSpec abortTransactionSpec, AbortTransactionOptions options) {
        return admin().abortTransaction(abortTransactionSpec, options);
    }

    @Override
    public ListTransactionsResult listTransactions(ListTransactionsOptions options) {
        return admin().listTransactions(options);
    }

    @Override
    public FenceProducersResult fenceProducers(
            Collection<String> strings, FenceProducersOptions options) {
        return admin().fenceProducers(strings, options);
    }

    @Override
    public ListConfigResourcesResult listConfigResources(
            Set<ConfigResource.Type> types, ListConfigResourcesOptions options) {
        return admin().listConfigResources(types, options);
    }

    @Override
    @SuppressWarnings("deprecation")
    public ListClientMetricsResourcesResult listClientMetricsResources(
            ListClientMetricsResourcesOptions options) {
        return admin().listClientMetricsResources(options);
    }

    @Override
    public Uuid clientInstanceId(Duration timeout) {
        return admin().clientInstanceId(timeout);
    }

    @Override
    public AddRaftVoterResult addRaftVoter(
            int id,
            Uuid uuid,
            Set<RaftVoterEndpoint> raftVoterEndpoints,
            AddRaftVoterOptions options) {
        return admin().addRaftVoter(id, uuid, raftVoterEndpoints, options);
    }

    @Override
    public RemoveRaftVoterResult removeRaftVoter(
            int id, Uuid uuid, RemoveRaftVoterOptions options) {
        return admin().removeRaftVoter(id, uuid, options);
    }

    @Override
    public DescribeShareGroupsResult describeShareGroups(
            Collection<String> strings, DescribeShareGroupsOptions options) {
        return admin().describeShareGroups(strings, options);
    }

    @Override
    public AlterShareGroupOffsetsResult alterShareGroupOffsets(
            String groupId,
            Map<TopicPartition, Long> topicPartitionToLong,
            AlterShareGroupOffsetsOptions options) {
        return admin().alterShareGroupOffsets(groupId, topicPartitionToLong, options);
    }

    @Override
    public ListShareGroupOffsetsResult listShareGroupOffsets(
            Map<String, ListShareGroupOffsetsSpec> stringToListShareGroupOffsetsSpec,
            ListShareGroupOffsetsOptions options) {
        return admin().listShareGroupOffsets(stringToListShareGroupOffsetsSpec, options);
    }

    @Override
    public DeleteShareGroupOffsetsResult deleteShareGroupOffsets(
            String groupId, Set<String> strings, DeleteShareGroupOffsetsOptions options) {
        return admin().deleteShareGroupOffsets(groupId, strings, options);
    }

    @Override
    public DeleteShareGroupsResult deleteShareGroups(
            Collection<String> strings, DeleteShareGroupsOptions options) {
        return admin().deleteShareGroups(strings, options);
    }

    @Override
    public DescribeStreamsGroupsResult describeStreamsGroups(
            Collection<String> strings, DescribeStreamsGroupsOptions options) {
        return admin().describeStreamsGroups(strings, options);
    }

    @Override
    public DescribeClassicGroupsResult describeClassicGroups(
            Collection<String> strings, DescribeClassicGroupsOptions options) {
        return admin().describeClassicGroups(strings, options);
    }

    @Override
    public void registerMetricForSubscription(KafkaMetric kafkaMetric) {
        admin().registerMetricForSubscription(kafkaMetric);
    }

    @Override
    public void unregisterMetricFromSubscription(KafkaMetric kafkaMetric) {
        admin().unregisterMetricFromSubscription(kafkaMetric);
    }

    @Override
    public TerminateTransactionResult forceTerminateTransaction(
            String groupId, TerminateTransactionOptions options) {
        return admin().forceTerminateTransaction(groupId, options);
    }
}

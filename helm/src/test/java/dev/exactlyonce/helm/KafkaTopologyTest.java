package dev.exactlyonce.helm;

import static dev.exactlyonce.helm.Rendered.env;
import static dev.exactlyonce.helm.Rendered.rootPomProperty;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTerm;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * kafka.replicas 1 and 3: KRaft combined mode, the replication settings exactly-once rests on, how
 * clients find the brokers.
 */
class KafkaTopologyTest {

    @RegisterExtension static final KubeApiStub KUBE_API = new KubeApiStub();

    private static final String HEADLESS = "exactly-once-kafka-headless.exactly-once.svc";

    @ParameterizedTest(name = "{0} broker(s): replication factor {1}, min.insync.replicas {2}")
    @CsvSource({"1, 1, 1", "3, 3, 2"})
    void everyTopicTheTransactionLogAndTheOffsetsAreReplicatedAlike(
            int brokers, String replicationFactor, String minInsyncReplicas) {
        Container kafka = kafkaContainer(Rendered.with(Map.of("kafka.replicas", brokers)));

        assertThat(env(kafka, "KAFKA_DEFAULT_REPLICATION_FACTOR")).isEqualTo(replicationFactor);
        assertThat(env(kafka, "KAFKA_MIN_INSYNC_REPLICAS")).isEqualTo(minInsyncReplicas);
        assertThat(env(kafka, "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"))
                .isEqualTo(replicationFactor);
        assertThat(env(kafka, "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR")).isEqualTo(minInsyncReplicas);
        assertThat(env(kafka, "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"))
                .isEqualTo(replicationFactor);
        assertThat(env(kafka, "KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE")).isEqualTo("false");
    }

    @ParameterizedTest(name = "{0} broker(s): every pod a KRaft voter, numbered by its ordinal")
    @ValueSource(ints = {1, 3})
    void everyBrokerIsAControllerVoterReachableByItsPodName(int brokers) {
        Rendered chart = Rendered.with(Map.of("kafka.replicas", brokers));
        StatefulSet statefulSet = chart.find(StatefulSet.class, "exactly-once-kafka");
        Container kafka = kafkaContainer(chart);
        List<String> voters =
                IntStream.range(0, brokers)
                        .mapToObj(i -> i + "@exactly-once-kafka-" + i + "." + HEADLESS + ":9093")
                        .toList();

        assertThat(statefulSet.getSpec().getReplicas()).isEqualTo(brokers);
        // a quorum of 3 forms only with 2 voters up: the pods must not wait for each other's
        // readiness
        assertThat(statefulSet.getSpec().getPodManagementPolicy()).isEqualTo("Parallel");
        assertThat(env(kafka, "KAFKA_PROCESS_ROLES")).isEqualTo("broker,controller");
        assertThat(env(kafka, "KAFKA_CONTROLLER_QUORUM_VOTERS"))
                .isEqualTo(String.join(",", voters));
        assertThat(
                        Rendered.envVar(kafka, "KAFKA_NODE_ID")
                                .orElseThrow()
                                .getValueFrom()
                                .getFieldRef()
                                .getFieldPath())
                .isEqualTo("metadata.labels['apps.kubernetes.io/pod-index']");
        assertThat(env(kafka, "KAFKA_ADVERTISED_LISTENERS"))
                .isEqualTo("PLAINTEXT://$(POD_NAME)." + HEADLESS + ":9092");
        // $(POD_NAME) is only expanded from a variable defined earlier in the list
        List<String> names = kafka.getEnv().stream().map(EnvVar::getName).toList();
        assertThat(names.indexOf("POD_NAME"))
                .isNotNegative()
                .isLessThan(names.indexOf("KAFKA_ADVERTISED_LISTENERS"));
        Service headless = chart.find(Service.class, "exactly-once-kafka-headless");
        assertThat(statefulSet.getSpec().getServiceName())
                .isEqualTo(headless.getMetadata().getName());
        assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(headless.getSpec().getPublishNotReadyAddresses()).isTrue();
    }

    @ParameterizedTest(
            name =
                    "{0} broker(s): every service bootstraps from the ClusterIP Service, then every broker")
    @ValueSource(ints = {1, 3})
    void servicesListTheBrokers(int brokers) {
        Rendered chart = Rendered.with(Map.of("kafka.replicas", brokers));
        String expected =
                "exactly-once-kafka.exactly-once.svc:9092,"
                        + String.join(
                                ",",
                                IntStream.range(0, brokers)
                                        .mapToObj(
                                                i ->
                                                        "exactly-once-kafka-"
                                                                + i
                                                                + "."
                                                                + HEADLESS
                                                                + ":9092")
                                        .toList());

        for (String component : Rendered.SERVICES) {
            assertThat(env(chart.container(component), "KAFKA_BOOTSTRAP_SERVERS"))
                    .as(component)
                    .isEqualTo(expected);
        }
    }

    @ParameterizedTest(
            name = "{0} broker(s): the image formats storage with Kafka 4's default feature levels")
    @ValueSource(ints = {1, 3})
    void freshClustersRunTransactionsV2(int brokers) throws IOException {
        Container kafka = kafkaContainer(Rendered.with(Map.of("kafka.replicas", brokers)));
        String kafkaVersion = rootPomProperty("kafka.version");

        // the clients' version, and a 4.x: its default transaction.version is 2 (KIP-890)
        assertThat(kafka.getImage()).isEqualTo("apache/kafka:" + kafkaVersion);
        assertThat(kafkaVersion).startsWith("4.");
        // The image's launcher formats empty storage with `kafka-storage.sh format
        // --cluster-id=...` and no --release-version; the storage tool then takes
        // inter.broker.protocol.version if the configuration sets one, else the release's latest
        // production metadata version. Nothing may pin it lower, and the image's own entry point
        // must run.
        assertThat(kafka.getCommand()).isNullOrEmpty();
        assertThat(kafka.getArgs()).isNullOrEmpty();
        assertThat(kafka.getEnv())
                .extracting(EnvVar::getName)
                .noneMatch(
                        name ->
                                name.contains("INTER_BROKER_PROTOCOL_VERSION")
                                        || name.contains("METADATA_VERSION")
                                        || name.contains("RELEASE_VERSION")
                                        || name.contains("TRANSACTION_VERSION")
                                        || name.contains("UNSTABLE"));
        assertThat(env(kafka, "CLUSTER_ID")).matches("[A-Za-z0-9_-]{22}");
        assertThat(env(kafka, "KAFKA_HEAP_OPTS")).contains("-Xmx");
    }

    @ParameterizedTest(name = "{0} broker(s): disruption budget {1}")
    @CsvSource({"1, false", "3, true"})
    void threeBrokersAreDrainedOneAtATimeAndSpreadAcrossNodes(int brokers, boolean budgeted) {
        Rendered chart = Rendered.with(Map.of("kafka.replicas", brokers));
        StatefulSet statefulSet = chart.find(StatefulSet.class, "exactly-once-kafka");
        PodSpec pod = statefulSet.getSpec().getTemplate().getSpec();
        Map<String, String> kafkaLabels =
                statefulSet.getSpec().getTemplate().getMetadata().getLabels();

        List<PodDisruptionBudget> budgets = chart.ofKind(PodDisruptionBudget.class);
        if (budgeted) {
            PodDisruptionBudget budget =
                    budgets.stream()
                            .filter(b -> b.getMetadata().getName().equals("exactly-once-kafka"))
                            .findFirst()
                            .orElseThrow();
            assertThat(budget.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
            assertThat(kafkaLabels)
                    .containsAllEntriesOf(budget.getSpec().getSelector().getMatchLabels());
        } else {
            assertThat(budgets).isEmpty();
        }
        List<WeightedPodAffinityTerm> antiAffinity =
                pod.getAffinity()
                        .getPodAntiAffinity()
                        .getPreferredDuringSchedulingIgnoredDuringExecution();
        assertThat(
                        pod.getAffinity()
                                .getPodAntiAffinity()
                                .getRequiredDuringSchedulingIgnoredDuringExecution())
                .as("required anti-affinity would leave brokers Pending on a one-node kind cluster")
                .isNullOrEmpty();
        assertThat(antiAffinity)
                .singleElement()
                .satisfies(
                        term -> {
                            assertThat(term.getPodAffinityTerm().getTopologyKey())
                                    .isEqualTo("kubernetes.io/hostname");
                            assertThat(kafkaLabels)
                                    .containsAllEntriesOf(
                                            term.getPodAffinityTerm()
                                                    .getLabelSelector()
                                                    .getMatchLabels());
                        });
    }

    private static Container kafkaContainer(Rendered chart) {
        PodSpec pod =
                chart.find(StatefulSet.class, "exactly-once-kafka")
                        .getSpec()
                        .getTemplate()
                        .getSpec();
        // otherwise Kubernetes injects KAFKA_PORT=tcp://... which the image turns into a broker
        // setting
        assertThat(pod.getEnableServiceLinks()).isFalse();
        return pod.getContainers().get(0);
    }
}

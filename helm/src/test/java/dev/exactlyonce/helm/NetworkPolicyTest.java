package dev.exactlyonce.helm;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * networkPolicies.enabled: who may talk to whom, evaluated the way Kubernetes does (a pod selected by
 * a policy of a direction admits only what one of its rules allows; unselected pods admit everything),
 * for pods of this release identified by their component label.
 */
class NetworkPolicyTest {

    @RegisterExtension
    static final KubeApiStub KUBE_API = new KubeApiStub();

    private static List<NetworkPolicy> defaultPolicies;

    @BeforeAll
    static void render() {
        defaultPolicies = Rendered.with(Map.of()).ofKind(NetworkPolicy.class);
    }

    @ParameterizedTest(name = "{0} -> {1}:{2} allowed: {3}")
    @CsvSource({
            // Kafka: the four services and the other brokers only
            "producer, kafka, 9092, true",
            "consumer, kafka, 9092, true",
            "billing, kafka, 9092, true",
            "query, kafka, 9092, true",
            "kafka, kafka, 9093, true",
            "grafana, kafka, 9092, false",
            "producer, kafka, 9093, false",
            // PostgreSQL: the two services that use it
            "consumer, postgres, 5432, true",
            "query, postgres, 5432, true",
            "producer, postgres, 5432, false",
            "billing, postgres, 5432, false",
            "prometheus, postgres, 5432, false",
            // gRPC from anywhere, management ports from Prometheus only
            "query, producer, 8000, true",
            "grafana, consumer, 8001, true",
            "prometheus, consumer, 9001, true",
            "prometheus, billing, 9002, true",
            "grafana, producer, 9000, false",
            "query, billing, 9002, false",
            // billing reaches Kafka only (and Jaeger for traces)
            "billing, producer, 8000, false",
            "billing, query, 8003, false",
            "billing, jaeger, 4317, true",
            "billing, grafana, 3000, false",
    })
    void onlyTheIntendedPodsTalk(String from, String to, int port, boolean allowed) {
        assertThat(allows(defaultPolicies, from, to, port)).isEqualTo(allowed);
    }

    @Test
    void billingMayResolveNamesAndReachAnExternalKafka() {
        List<NetworkPolicy> policies = Rendered.with(ExternalEnginesTest.STRIMZI_AND_CLOUDNATIVEPG).ofKind(NetworkPolicy.class);
        NetworkPolicy billing = policies.stream().filter(p -> p.getMetadata().getName().equals("exactly-once-billing"))
                .findFirst().orElseThrow();

        assertThat(policies).extracting(p -> p.getMetadata().getName())
                .doesNotContain("exactly-once-kafka", "exactly-once-postgres");
        // an address outside the cluster: only the bootstrap port, to anywhere
        assertThat(billing.getSpec().getEgress()).anySatisfy(rule -> {
            assertThat(rule.getTo()).isNullOrEmpty();
            assertThat(rule.getPorts()).extracting(p -> p.getPort().getIntVal()).containsExactly(9093);
        });
        assertThat(billing.getSpec().getEgress()).anySatisfy(rule -> assertThat(rule.getPorts())
                .extracting(NetworkPolicyPort::getProtocol, p -> p.getPort().getIntVal())
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("UDP", 53),
                        org.assertj.core.groups.Tuple.tuple("TCP", 53)));
        assertThat(allows(policies, "billing", "postgres", 5432)).isFalse();
    }

    @Test
    void withoutPrometheusNoOneReachesTheManagementPorts() {
        List<NetworkPolicy> policies = Rendered.with(Map.of("observability.enabled", false)).ofKind(NetworkPolicy.class);

        Map<String, Integer> managementPorts = Map.of("producer", 9000, "consumer", 9001, "billing", 9002, "query", 9003);
        managementPorts.forEach((component, port) ->
                assertThat(allows(policies, "prometheus", component, port)).as(component).isFalse());
        assertThat(allows(policies, "billing", "jaeger", 4317)).isFalse();
    }

    @Test
    void policiesCanBeSwitchedOff() {
        assertThat(Rendered.with(Map.of("networkPolicies.enabled", false)).ofKind(NetworkPolicy.class)).isEmpty();
        assertThat(defaultPolicies).hasSize(6);
    }

    /** Both ends must agree: the source's egress and the destination's ingress. */
    static boolean allows(List<NetworkPolicy> policies, String from, String to, int port) {
        return admits(policies, "Egress", from, to, port) && admits(policies, "Ingress", to, from, port);
    }

    /** Whether the policies selecting {@code pod} for this direction admit traffic with {@code peer} on {@code port}. */
    private static boolean admits(List<NetworkPolicy> policies, String direction, String pod, String peer, int port) {
        List<NetworkPolicy> selecting = policies.stream()
                .filter(p -> p.getSpec().getPolicyTypes().contains(direction))
                .filter(p -> matches(p.getSpec().getPodSelector(), pod)).toList();
        if (selecting.isEmpty()) {
            return true;
        }
        return selecting.stream().anyMatch(policy -> direction.equals("Ingress")
                ? policy.getSpec().getIngress().stream().anyMatch(r -> peersMatch(r.getFrom(), peer) && portsMatch(r.getPorts(), port))
                : policy.getSpec().getEgress().stream().anyMatch(r -> peersMatch(r.getTo(), peer) && portsMatch(r.getPorts(), port)));
    }

    private static boolean peersMatch(List<NetworkPolicyPeer> peers, String component) {
        return peers == null || peers.isEmpty() || peers.stream().anyMatch(peer -> peer.getPodSelector() != null
                && peer.getNamespaceSelector() == null && matches(peer.getPodSelector(), component));
    }

    private static boolean portsMatch(List<NetworkPolicyPort> ports, int port) {
        return ports == null || ports.isEmpty() || ports.stream().map(NetworkPolicyPort::getPort)
                .map(IntOrString::getIntVal).anyMatch(p -> p == port);
    }

    /** A pod of this release with the given component, labelled as the chart labels its pods. */
    private static boolean matches(LabelSelector selector, String component) {
        Map<String, String> labels = Map.of("app.kubernetes.io/name", "exactly-once",
                "app.kubernetes.io/instance", Chart.RELEASE, "app.kubernetes.io/component", component);
        boolean labelsMatch = selector.getMatchLabels() == null
                || labels.entrySet().containsAll(selector.getMatchLabels().entrySet());
        boolean expressionsMatch = selector.getMatchExpressions() == null
                || selector.getMatchExpressions().stream().allMatch(e -> matches(e, labels));
        return labelsMatch && expressionsMatch;
    }

    private static boolean matches(LabelSelectorRequirement requirement, Map<String, String> labels) {
        String value = labels.get(requirement.getKey());
        return switch (requirement.getOperator()) {
            case "In" -> requirement.getValues().contains(value);
            case "NotIn" -> !requirement.getValues().contains(value);
            case "Exists" -> value != null;
            case "DoesNotExist" -> value == null;
            default -> throw new IllegalArgumentException(requirement.getOperator());
        };
    }
}

package dev.exactlyonce.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * networkPolicies.enabled: who may talk to whom, evaluated the way Kubernetes does (a pod selected
 * by a policy of a direction admits only what one of its rules allows; unselected pods admit
 * everything; traffic must be allowed at both ends). Peers are the pods of this release by their
 * component label, "outside" (a browser or grpcurl through kind's NodePort, from the Docker network
 * 172.18.0.0/16) and "elsewhere" (a pod of another namespace, inside the pod network
 * 10.244.0.0/16).
 */
class NetworkPolicyTest {

    @RegisterExtension static final KubeApiStub KUBE_API = new KubeApiStub();

    private static final Map<String, String> ADDRESSES =
            Map.of("outside", "172.18.0.1", "elsewhere", "10.244.3.7");

    /** Any pod of the release has an address in the pod network. */
    private static final String RELEASE_POD_ADDRESS = "10.244.0.42";

    private static List<NetworkPolicy> defaultPolicies;
    private static List<NetworkPolicy> kindPolicies;

    @BeforeAll
    static void render() throws Exception {
        defaultPolicies = Rendered.with(Map.of()).ofKind(NetworkPolicy.class);
        kindPolicies = SkaffoldRelease.of().render().ofKind(NetworkPolicy.class);
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
        "elsewhere, kafka, 9092, false",
        // PostgreSQL: the two services that use it
        "consumer, postgres, 5432, true",
        "query, postgres, 5432, true",
        "producer, postgres, 5432, false",
        "billing, postgres, 5432, false",
        "prometheus, postgres, 5432, false",
        "elsewhere, postgres, 5432, false",
        // gRPC: the callers inside the release only (externalGrpc.enabled=false)
        "query, producer, 8000, true",
        "grafana, consumer, 8001, false",
        "elsewhere, consumer, 8001, false",
        "outside, consumer, 8001, false",
        "outside, producer, 8000, false",
        // management ports from Prometheus only
        "prometheus, consumer, 9001, true",
        "prometheus, billing, 9002, true",
        "grafana, producer, 9000, false",
        "query, billing, 9002, false",
        "elsewhere, query, 9003, false",
        // billing reaches Kafka only (and Jaeger for traces)
        "billing, producer, 8000, false",
        "billing, query, 8003, false",
        "billing, jaeger, 4317, true",
        "billing, grafana, 3000, false",
        // Jaeger: traces from the services only, its UI from Grafana and outside
        "producer, jaeger, 4317, true",
        "grafana, jaeger, 4317, false",
        "elsewhere, jaeger, 4317, false",
        "grafana, jaeger, 16686, true",
        "outside, jaeger, 16686, true",
        "elsewhere, jaeger, 16686, false",
        // Prometheus and Grafana: UIs from outside, Prometheus also from Grafana
        "grafana, prometheus, 9090, true",
        "outside, prometheus, 9090, true",
        "elsewhere, prometheus, 9090, false",
        "producer, prometheus, 9090, false",
        "outside, grafana, 3000, true",
        "elsewhere, grafana, 3000, false",
        "query, grafana, 3000, false",
        // nothing of the release calls out of the cluster (no plugin downloads, no exfiltration)
        "consumer, outside, 443, false",
        "kafka, outside, 443, false",
        "postgres, outside, 443, false",
        "grafana, outside, 443, false",
        "jaeger, outside, 443, false",
        "postgres, kafka, 9092, false",
        // every pod resolves names (the cluster DNS is a pod of another namespace)
        "billing, elsewhere, 53, true",
        "kafka, elsewhere, 53, true",
        "prometheus, elsewhere, 53, true",
    })
    void onlyTheIntendedPodsTalk(String from, String to, int port, boolean allowed) {
        assertThat(allows(defaultPolicies, from, to, port)).isEqualTo(allowed);
    }

    /**
     * The kind walkthrough (skaffold.yaml sets externalGrpc.enabled): grpcurl from the host, still
     * no pod of another namespace.
     */
    @ParameterizedTest(name = "externalGrpc.enabled: {0} -> {1}:{2} allowed: {3}")
    @CsvSource({
        "outside, producer, 8000, true",
        "outside, consumer, 8001, true",
        "outside, billing, 8002, true",
        "outside, query, 8003, true",
        "elsewhere, consumer, 8001, false",
        "elsewhere, producer, 8000, false",
        "grafana, consumer, 8001, false",
        "outside, consumer, 9001, false",
        "query, producer, 8000, true",
    })
    void theGrpcPortsAdmitOutsideOnlyWhenAskedFor(
            String from, String to, int port, boolean allowed) {
        assertThat(allows(kindPolicies, from, to, port)).isEqualTo(allowed);
    }

    /**
     * A default deny for every pod of the release, and an explicit policy for every component it
     * runs.
     */
    @Test
    void everyPodIsDeniedByDefaultAndAdmittedByItsOwnPolicy() {
        Rendered chart = Rendered.with(Map.of("kafka.replicas", 3));
        NetworkPolicy defaultDeny = chart.find(NetworkPolicy.class, "exactly-once-default-deny");

        assertThat(defaultDeny.getSpec().getPolicyTypes())
                .containsExactlyInAnyOrder("Ingress", "Egress");
        assertThat(defaultDeny.getSpec().getIngress()).isNullOrEmpty();
        assertThat(defaultDeny.getSpec().getEgress()).isNullOrEmpty();
        for (var workload : chart.workloads()) {
            Map<String, String> labels = Rendered.podTemplate(workload).getMetadata().getLabels();
            String component = labels.get("app.kubernetes.io/component");
            assertThat(labels)
                    .as(component)
                    .containsAllEntriesOf(defaultDeny.getSpec().getPodSelector().getMatchLabels());
            assertThat(
                            chart.find(NetworkPolicy.class, "exactly-once-" + component)
                                    .getSpec()
                                    .getPodSelector()
                                    .getMatchLabels())
                    .as(component)
                    .isEqualTo(
                            Map.of(
                                    "app.kubernetes.io/name",
                                    "exactly-once",
                                    "app.kubernetes.io/instance",
                                    "exactly-once",
                                    "app.kubernetes.io/component",
                                    component));
        }
    }

    @Test
    void theServicesMayResolveNamesAndReachAnExternalKafkaAndPostgresql() {
        List<NetworkPolicy> policies =
                Rendered.with(ExternalEnginesTest.STRIMZI_AND_CLOUDNATIVEPG)
                        .ofKind(NetworkPolicy.class);
        NetworkPolicy billing =
                policies.stream()
                        .filter(p -> p.getMetadata().getName().equals("exactly-once-billing"))
                        .findFirst()
                        .orElseThrow();

        assertThat(policies)
                .extracting(p -> p.getMetadata().getName())
                .doesNotContain("exactly-once-kafka", "exactly-once-postgres");
        // an address outside the cluster: only the bootstrap port, to anywhere
        assertThat(billing.getSpec().getEgress())
                .anySatisfy(
                        rule -> {
                            assertThat(rule.getTo()).isNullOrEmpty();
                            assertThat(rule.getPorts())
                                    .extracting(p -> p.getPort().getIntVal())
                                    .containsExactly(9093);
                        });
        assertThat(allows(policies, "billing", "outside", 9093)).isTrue();
        assertThat(allows(policies, "consumer", "outside", 5432)).isTrue();
        assertThat(allows(policies, "query", "outside", 5432)).isTrue();
        assertThat(allows(policies, "billing", "outside", 5432)).isFalse();
        assertThat(allows(policies, "producer", "outside", 5432)).isFalse();
        assertThat(allows(policies, "billing", "elsewhere", 53)).isTrue();
    }

    @Test
    void withoutPrometheusNoOneReachesTheManagementPorts() {
        List<NetworkPolicy> policies =
                Rendered.with(Map.of("observability.enabled", false)).ofKind(NetworkPolicy.class);

        Map<String, Integer> managementPorts =
                Map.of("producer", 9000, "consumer", 9001, "billing", 9002, "query", 9003);
        managementPorts.forEach(
                (component, port) ->
                        assertThat(allows(policies, "prometheus", component, port))
                                .as(component)
                                .isFalse());
        assertThat(allows(policies, "billing", "jaeger", 4317)).isFalse();
        assertThat(policies)
                .extracting(p -> p.getMetadata().getName())
                .doesNotContain(
                        "exactly-once-prometheus", "exactly-once-grafana", "exactly-once-jaeger");
    }

    @Test
    void policiesCanBeSwitchedOff() {
        assertThat(
                        Rendered.with(Map.of("networkPolicies.enabled", false))
                                .ofKind(NetworkPolicy.class))
                .isEmpty();
        // default deny, DNS, Kafka, PostgreSQL, the four services, Prometheus, Grafana, Jaeger
        assertThat(defaultPolicies).hasSize(11);
    }

    /** Both ends must agree: the source's egress and the destination's ingress. */
    static boolean allows(List<NetworkPolicy> policies, String from, String to, int port) {
        return admits(policies, "Egress", from, to, port)
                && admits(policies, "Ingress", to, from, port);
    }

    /**
     * Whether the policies selecting {@code pod} for this direction admit traffic with {@code peer}
     * on {@code port}.
     */
    private static boolean admits(
            List<NetworkPolicy> policies, String direction, String pod, String peer, int port) {
        if (ADDRESSES.containsKey(pod)) {
            return true;
        }
        List<NetworkPolicy> selecting =
                policies.stream()
                        .filter(p -> p.getSpec().getPolicyTypes().contains(direction))
                        .filter(p -> matches(p.getSpec().getPodSelector(), pod))
                        .toList();
        if (selecting.isEmpty()) {
            return true;
        }
        return selecting.stream()
                .anyMatch(
                        policy ->
                                direction.equals("Ingress")
                                        ? orEmpty(policy.getSpec().getIngress()).stream()
                                                .anyMatch(
                                                        r ->
                                                                peersMatch(r.getFrom(), peer)
                                                                        && portsMatch(
                                                                                r.getPorts(), port))
                                        : orEmpty(policy.getSpec().getEgress()).stream()
                                                .anyMatch(
                                                        r ->
                                                                peersMatch(r.getTo(), peer)
                                                                        && portsMatch(
                                                                                r.getPorts(),
                                                                                port)));
    }

    private static <T> List<T> orEmpty(List<T> rules) {
        return rules == null ? List.of() : rules;
    }

    private static boolean peersMatch(List<NetworkPolicyPeer> peers, String peer) {
        return peers == null
                || peers.isEmpty()
                || peers.stream()
                        .anyMatch(
                                selector -> {
                                    if (selector.getIpBlock() != null) {
                                        return inBlock(
                                                selector.getIpBlock(),
                                                ADDRESSES.getOrDefault(peer, RELEASE_POD_ADDRESS));
                                    }
                                    // a pod selector without a namespace selector: pods of this
                                    // namespace only
                                    return selector.getPodSelector() != null
                                            && selector.getNamespaceSelector() == null
                                            && !ADDRESSES.containsKey(peer)
                                            && matches(selector.getPodSelector(), peer);
                                });
    }

    private static boolean inBlock(IPBlock block, String address) {
        return inCidr(block.getCidr(), address)
                && (block.getExcept() == null
                        || block.getExcept().stream().noneMatch(cidr -> inCidr(cidr, address)));
    }

    private static boolean inCidr(String cidr, String address) {
        String[] parts = cidr.split("/");
        int bits = Integer.parseInt(parts[1]);
        long mask = bits == 0 ? 0 : (0xFFFFFFFFL << (32 - bits)) & 0xFFFFFFFFL;
        return (ipv4(parts[0]) & mask) == (ipv4(address) & mask);
    }

    private static long ipv4(String address) {
        long value = 0;
        for (String octet : address.split("\\.")) {
            value = (value << 8) | Integer.parseInt(octet);
        }
        return value;
    }

    private static boolean portsMatch(List<NetworkPolicyPort> ports, int port) {
        return ports == null
                || ports.isEmpty()
                || ports.stream()
                        .map(NetworkPolicyPort::getPort)
                        .map(IntOrString::getIntVal)
                        .anyMatch(p -> p == port);
    }

    /** A pod of this release with the given component, labelled as the chart labels its pods. */
    private static boolean matches(LabelSelector selector, String component) {
        if (ADDRESSES.containsKey(component)) {
            return false;
        }
        Map<String, String> labels =
                new HashMap<>(
                        Map.of(
                                "app.kubernetes.io/name",
                                "exactly-once",
                                "app.kubernetes.io/instance",
                                Chart.RELEASE,
                                "app.kubernetes.io/component",
                                component));
        boolean labelsMatch =
                selector.getMatchLabels() == null
                        || labels.entrySet().containsAll(selector.getMatchLabels().entrySet());
        boolean expressionsMatch =
                selector.getMatchExpressions() == null
                        || selector.getMatchExpressions().stream()
                                .allMatch(e -> matches(e, labels));
        return labelsMatch && expressionsMatch;
    }

    private static boolean matches(
            LabelSelectorRequirement requirement, Map<String, String> labels) {
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

package dev.exactlyonce.helm;

import static dev.exactlyonce.helm.Rendered.env;
import static dev.exactlyonce.helm.Rendered.path;
import static dev.exactlyonce.helm.Rendered.repoYaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.yaml.snakeyaml.Yaml;

/**
 * Problems a render cannot show as broken YAML but a user hits on a real cluster (an audit against
 * the official images, Skaffold's and kind's source): each test names the failure it prevents.
 */
class ClusterPitfallsTest {

    @RegisterExtension static final KubeApiStub KUBE_API = new KubeApiStub();

    private static final long MIB = 1024 * 1024;

    private static Rendered chart;

    @BeforeAll
    static void render() {
        chart = Rendered.with(Map.of());
    }

    /**
     * Without a pinned context Skaffold deploys to whatever cluster is current, and loads images
     * into kind only for a kind-* context.
     */
    @Test
    void skaffoldDeploysToTheKindClusterOnly() throws IOException {
        String clusterName = (String) repoYaml("kind-config.yaml").get("name");

        assertThat((String) path(repoYaml("skaffold.yaml"), "deploy", "kubeContext"))
                .isEqualTo("kind-" + clusterName);
    }

    /**
     * Skaffold adds a new skaffold.dev/run-id label at every run; on a pod template it restarts the
     * pod. Its deny list for StatefulSets replaces Skaffold's default one, whose
     * volumeClaimTemplates entry must stay (a label change there is an update Kubernetes refuses).
     */
    @Test
    @SuppressWarnings("unchecked")
    void skaffoldRunsDoNotRestartTheStatefulPods() throws IOException {
        List<Map<String, Object>> deny =
                path(repoYaml("skaffold.yaml"), "resourceSelector", "deny");

        assertThat(deny)
                .filteredOn(filter -> "StatefulSet.apps".equals(filter.get("groupKind")))
                .singleElement()
                .satisfies(
                        filter ->
                                assertThat((List<Object>) filter.get("labels"))
                                        .containsExactlyInAnyOrder(
                                                ".spec.volumeClaimTemplates.metadata.labels",
                                                ".spec.template.metadata.labels"));
        assertThat(chart.ofKind(StatefulSet.class))
                .extracting(s -> s.getMetadata().getName())
                .containsExactlyInAnyOrder(
                        "exactly-once-kafka",
                        "exactly-once-postgres",
                        "exactly-once-producer",
                        "exactly-once-billing");
    }

    /**
     * 100% sampling into an in-memory store of 100,000 traces outgrows Jaeger's limit under `lab
     * bench --against`.
     */
    @Test
    void tracesAreSampledAndJaegerKeepsABoundedNumber() {
        for (String component : Rendered.SERVICES) {
            Container container = chart.container(component);
            assertThat(env(container, "OTEL_TRACES_SAMPLER"))
                    .as(component)
                    .isEqualTo("parentbased_traceidratio");
            assertThat(new BigDecimal(env(container, "OTEL_TRACES_SAMPLER_ARG")))
                    .as(component)
                    .isGreaterThan(BigDecimal.ZERO)
                    .isLessThan(BigDecimal.ONE);
        }
        Map<String, Object> config =
                new Yaml()
                        .load(
                                chart.find(ConfigMap.class, "exactly-once-jaeger")
                                        .getData()
                                        .get("config.yaml"));
        Container jaeger = chart.container("jaeger");
        long limit = bytes(jaeger.getResources().getLimits().get("memory"));

        assertThat(jaeger.getArgs()).containsExactly("--config=/etc/jaeger/config.yaml");
        assertThat(jaeger.getVolumeMounts()).anyMatch(m -> m.getMountPath().equals("/etc/jaeger"));
        assertThat(
                        (Integer)
                                path(
                                        config,
                                        "extensions",
                                        "jaeger_storage",
                                        "backends",
                                        "memstore",
                                        "memory",
                                        "max_traces"))
                .isLessThanOrEqualTo(20_000);
        assertThat((String) path(config, "receivers", "otlp", "protocols", "grpc", "endpoint"))
                .isEqualTo("0.0.0.0:4317");
        assertThat(bytes(new Quantity(env(jaeger, "GOMEMLIMIT").replace("iB", "i"))))
                .isLessThan(limit);
        assertThat(chart.podTemplate("jaeger").getMetadata().getAnnotations())
                .containsKey("checksum/config");
    }

    /**
     * Direct memory defaults to the heap's size: heap + direct could exceed the container limit and
     * be OOMKilled.
     */
    @Test
    void everyJvmFitsItsMemoryLimit() {
        Pattern heapShare = Pattern.compile("-XX:MaxRAMPercentage=(\\d+)");
        Pattern directMemory = Pattern.compile("-XX:MaxDirectMemorySize=(\\d+)m");
        for (String component : Rendered.SERVICES) {
            Container container = chart.container(component);
            String options = env(container, "JAVA_TOOL_OPTIONS");
            long limit = bytes(container.getResources().getLimits().get("memory"));
            Matcher heap = heapShare.matcher(options);
            Matcher direct = directMemory.matcher(options);

            assertThat(heap.find()).as(component + " heap share in " + options).isTrue();
            assertThat(direct.find()).as(component + " MaxDirectMemorySize in " + options).isTrue();
            long heapBytes = limit * Long.parseLong(heap.group(1)) / 100;
            long directBytes = Long.parseLong(direct.group(1)) * MIB;
            // metaspace, code cache, thread stacks and GC structures of a Micronaut service need
            // ~150Mi
            assertThat(limit - heapBytes - directBytes)
                    .as(component + ": room left beside heap and direct memory")
                    .isGreaterThanOrEqualTo(150 * MIB);
        }
    }

    /**
     * With fsGroup the kubelet makes every file of a volume group-writable at each mount unless
     * told to stop once the root matches; PostgreSQL refuses a group-writable data directory.
     */
    @Test
    void volumesKeepTheirPermissionsAcrossRestarts() {
        for (StatefulSet statefulSet : chart.ofKind(StatefulSet.class)) {
            PodSecurityContext security =
                    statefulSet.getSpec().getTemplate().getSpec().getSecurityContext();
            boolean ownsAVolume =
                    statefulSet.getSpec().getVolumeClaimTemplates() != null
                            && !statefulSet.getSpec().getVolumeClaimTemplates().isEmpty();
            if (ownsAVolume && security.getFsGroup() != null) {
                assertThat(security.getFsGroupChangePolicy())
                        .as(statefulSet.getMetadata().getName())
                        .isEqualTo("OnRootMismatch");
            }
        }
        assertThat(
                        chart.find(StatefulSet.class, "exactly-once-postgres")
                                .getSpec()
                                .getTemplate()
                                .getSpec()
                                .getSecurityContext()
                                .getFsGroupChangePolicy())
                .isEqualTo("OnRootMismatch");
    }

    /**
     * A StatefulSet's serviceName must be a headless Service selecting its pods, or the pods get no
     * stable DNS names.
     */
    @Test
    void everyStatefulSetIsGovernedByAHeadlessService() {
        for (StatefulSet statefulSet : chart.ofKind(StatefulSet.class)) {
            Service governing = chart.find(Service.class, statefulSet.getSpec().getServiceName());
            assertThat(governing.getSpec().getClusterIP())
                    .as(governing.getMetadata().getName())
                    .isEqualTo("None");
            assertThat(statefulSet.getSpec().getTemplate().getMetadata().getLabels())
                    .containsAllEntriesOf(governing.getSpec().getSelector());
        }
    }

    /**
     * Grafana 12 downloads its "preinstalled" plugins at every start; offline it waits and logs
     * errors.
     */
    @Test
    void grafanaStartsOfflineAndLinksToTheHostPort() throws IOException {
        Container grafana = chart.container("grafana");
        List<Map<String, Object>> nodes = path(repoYaml("kind-config.yaml"), "nodes");
        List<Map<String, Object>> mappings = path(nodes.get(0), "extraPortMappings");
        int nodePort =
                chart.find(Service.class, "exactly-once-grafana")
                        .getSpec()
                        .getPorts()
                        .get(0)
                        .getNodePort();
        Object hostPort =
                mappings.stream()
                        .filter(m -> m.get("containerPort").equals(nodePort))
                        .findFirst()
                        .orElseThrow()
                        .get("hostPort");

        assertThat(env(grafana, "GF_PLUGINS_PREINSTALL_DISABLED")).isEqualTo("true");
        assertThat(env(grafana, "GF_SERVER_ROOT_URL"))
                .isEqualTo("http://localhost:" + hostPort + "/");
    }

    /**
     * A changed datasource (e.g. prometheus.port) must restart Grafana, which reads provisioning
     * only at start.
     */
    @Test
    void grafanaRestartsWhenItsProvisioningChanges() {
        String before =
                chart.podTemplate("grafana")
                        .getMetadata()
                        .getAnnotations()
                        .get("checksum/provisioning");
        Rendered changed = Rendered.with(Map.of("observability.prometheus.port", 9091));
        String after =
                changed.podTemplate("grafana")
                        .getMetadata()
                        .getAnnotations()
                        .get("checksum/provisioning");

        assertThat(before).isNotBlank().isNotEqualTo(after);
        assertThat(
                        changed.find(ConfigMap.class, "exactly-once-grafana-provisioning")
                                .getData()
                                .get("datasources.yaml"))
                .contains("http://exactly-once-prometheus:9091");
    }

    /**
     * The images listen on their own default ports unless told otherwise: a port value must reach
     * the process.
     */
    @Test
    void portValuesReachThePrograms() {
        Rendered chart =
                Rendered.with(Map.of("postgres.port", 6543, "observability.prometheus.port", 9091));
        Container postgres = chart.container("postgres");
        Container prometheus = chart.container("prometheus");

        assertThat(env(postgres, "PGPORT")).isEqualTo("6543");
        assertThat(postgres.getPorts())
                .extracting(ContainerPort::getContainerPort)
                .containsExactly(6543);
        assertThat(
                        chart.find(Service.class, "exactly-once-postgres")
                                .getSpec()
                                .getPorts()
                                .get(0)
                                .getPort())
                .isEqualTo(6543);
        assertThat(env(chart.container("consumer"), "JDBC_URL"))
                .isEqualTo("jdbc:postgresql://exactly-once-postgres.exactly-once.svc:6543/orders");
        assertThat(prometheus.getArgs()).contains("--web.listen-address=:9091");
        assertThat(prometheus.getPorts())
                .extracting(ContainerPort::getContainerPort)
                .containsExactly(9091);
    }

    /**
     * `kubeVersion` stops an install on a cluster without native gRPC probes or the StatefulSet
     * pod-index label.
     */
    @Test
    void theChartDeclaresTheKubernetesItNeeds() throws IOException {
        assertThat(Files.readString(Chart.DIRECTORY.resolve("Chart.yaml")))
                .contains(Chart.KUBE_VERSION_LINE);
        // helm-java renders as for Kubernetes v1.20.0 (see Chart.RENDERED): the real chart is
        // refused
        assertThatThrownBy(() -> Chart.render(Chart.DIRECTORY, Map.of()))
                .hasMessageContaining(
                        "chart requires kubeVersion: >=1.28.0-0 which is incompatible with Kubernetes v1.20.0");
    }

    /**
     * A parent chart passes `global` to every subchart; a schema without it makes this chart
     * unusable as one.
     */
    @Test
    void theChartWorksAsASubchart() {
        Rendered chart = Rendered.with(Map.of("global.imageRegistry", "registry.example"));

        assertThat(chart.workloads()).isNotEmpty();
    }

    private static long bytes(Quantity quantity) {
        return Quantity.getAmountInBytes(quantity).longValueExact();
    }
}

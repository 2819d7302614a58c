package dev.exactlyonce.helm;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** What must hold in the rendered output for the pipeline to run on kind as designed. */
class ChartInvariantsTest {

    @RegisterExtension
    static final KubeApiStub KUBE_API = new KubeApiStub();

    private static List<HasMetadata> manifests;

    @BeforeAll
    static void render() {
        manifests = Chart.manifests(Map.of());
    }

    @ParameterizedTest(name = "{0}: gRPC probes on {1}, resources, non-root")
    @CsvSource({"producer, 8000, 9000", "consumer, 8001, 9001", "query, 8003, 9003"})
    void everyServiceContainerIsProbedOverGrpcAndLockedDown(String component, int grpcPort, int managementPort) {
        PodSpec pod = podTemplate(component).getSpec();
        Container container = pod.getContainers().get(0);

        assertThat(pod.getRestartPolicy()).isEqualTo("Always");
        assertThat(pod.getEnableServiceLinks()).isFalse();
        assertThat(container.getPorts()).extracting(ContainerPort::getName, ContainerPort::getContainerPort)
                .contains(org.assertj.core.groups.Tuple.tuple("grpc", grpcPort),
                        org.assertj.core.groups.Tuple.tuple("management", managementPort));
        // liveness: the process answers; readiness: service "" = Kafka and PostgreSQL reachable
        assertThat(container.getLivenessProbe().getGrpc().getPort()).isEqualTo(grpcPort);
        assertThat(container.getLivenessProbe().getGrpc().getService()).isEqualTo("liveness");
        assertThat(container.getStartupProbe().getGrpc().getPort()).isEqualTo(grpcPort);
        assertThat(container.getReadinessProbe().getGrpc().getPort()).isEqualTo(grpcPort);
        assertThat(container.getReadinessProbe().getGrpc().getService()).isNullOrEmpty();
        assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(container.getResources().getLimits()).containsKey("memory");
        assertThat(env(container, "JAVA_TOOL_OPTIONS")).contains("-XX:MaxRAMPercentage=");
        assertThat(env(container, "GRPC_PORT")).isEqualTo(String.valueOf(grpcPort));
        assertThat(env(container, "MANAGEMENT_PORT")).isEqualTo(String.valueOf(managementPort));
        assertThat(container.getEnv()).filteredOn(e -> e.getName().equals("POD_NAME"))
                .singleElement().extracting(e -> e.getValueFrom().getFieldRef().getFieldPath())
                .isEqualTo("metadata.name");
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(container.getVolumeMounts()).anyMatch(m -> m.getMountPath().equals("/tmp"));
    }

    @Test
    void everyPodRunsNonRootWithoutPrivileges() {
        for (HasMetadata workload : workloads()) {
            PodSpec pod = podTemplate(workload).getSpec();
            String name = workload.getMetadata().getName();
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).as(name).isTrue();
            assertThat(pod.getSecurityContext().getSeccompProfile().getType()).as(name).isEqualTo("RuntimeDefault");
            for (Container container : pod.getContainers()) {
                assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).as(name).isFalse();
                assertThat(container.getSecurityContext().getCapabilities().getDrop()).as(name).containsExactly("ALL");
                assertThat(container.getResources().getLimits()).as(name).containsKey("memory");
            }
        }
    }

    @Test
    void kafkaIsASingleKraftNodeOfTheClientsVersion() throws IOException {
        PodSpec pod = Chart.find(manifests, StatefulSet.class, "exactly-once-kafka").getSpec().getTemplate().getSpec();
        Container kafka = pod.getContainers().get(0);

        // otherwise Kubernetes injects KAFKA_PORT=tcp://... which the image turns into a broker setting
        assertThat(pod.getEnableServiceLinks()).isFalse();
        assertThat(kafka.getImage()).isEqualTo("apache/kafka:" + rootPomProperty("kafka.version"));
        assertThat(env(kafka, "CLUSTER_ID")).matches("[A-Za-z0-9_-]{22}");
        assertThat(env(kafka, "KAFKA_HEAP_OPTS")).contains("-Xmx");
        assertThat(env(kafka, "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR")).isEqualTo("1");
        assertThat(env(kafka, "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR")).isEqualTo("1");
        assertThat(env(kafka, "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR")).isEqualTo("1");
        assertThat(env(kafka, "KAFKA_ADVERTISED_LISTENERS"))
                .isEqualTo("PLAINTEXT://exactly-once-kafka.exactly-once.svc:9092");
        assertThat(Chart.find(manifests, StatefulSet.class, "exactly-once-kafka").getSpec().getVolumeClaimTemplates())
                .hasSize(1);
    }

    @Test
    void postgresIsTheTestDatabaseMajorWithItsPasswordFromTheSecret() throws IOException {
        StatefulSet postgres = Chart.find(manifests, StatefulSet.class, "exactly-once-postgres");
        Container container = postgres.getSpec().getTemplate().getSpec().getContainers().get(0);
        String major = rootPomProperty("postgres-binaries.version").split("\\.")[0];

        assertThat(container.getImage()).isEqualTo("postgres:" + major);
        assertThat(env(container, "PGDATA")).isEqualTo("/var/lib/postgresql/data/pgdata");
        assertThat(postgres.getSpec().getVolumeClaimTemplates()).hasSize(1);
        Secret secret = Chart.find(manifests, Secret.class, "exactly-once-postgres");
        for (String component : List.of("consumer", "query")) {
            EnvVar password = podTemplate(component).getSpec().getContainers().get(0).getEnv().stream()
                    .filter(e -> e.getName().equals("JDBC_PASSWORD")).findFirst().orElseThrow();
            assertThat(password.getValueFrom().getSecretKeyRef().getName()).isEqualTo(secret.getMetadata().getName());
            assertThat(secret.getData()).containsKey(password.getValueFrom().getSecretKeyRef().getKey());
        }
    }

    @Test
    void servicesFindEachOther() {
        Container query = podTemplate("query").getSpec().getContainers().get(0);
        Container consumer = podTemplate("consumer").getSpec().getContainers().get(0);

        assertThat(env(query, "PRODUCER_ADDRESS")).isEqualTo("exactly-once-producer.exactly-once.svc:8000");
        assertThat(env(query, "CONSUMER_GROUP_ID")).isEqualTo(env(consumer, "CONSUMER_GROUP_ID")).isEqualTo("orders-consumer");
        assertThat(env(consumer, "OTEL_EXPORTER_OTLP_ENDPOINT")).isEqualTo("http://exactly-once-jaeger.exactly-once.svc:4317");
        assertThat(env(consumer, "APP_CONSUMER_PROCESSING_MODE")).isEqualTo("EXACTLY_ONCE");
        assertThat(env(podTemplate("producer").getSpec().getContainers().get(0), "APP_PRODUCER_GROUP_COMMIT_MAX_MS"))
                .isNotBlank();
        // every Service selects the pods of some workload
        for (Service service : ofKind(Service.class)) {
            Map<String, String> selector = service.getSpec().getSelector();
            assertThat(workloads()).as(service.getMetadata().getName())
                    .anyMatch(w -> podTemplate(w).getMetadata().getLabels().entrySet().containsAll(selector.entrySet()));
        }
    }

    @Test
    void producerIsAStatefulSetSoItsTransactionalIdSurvivesRestarts() {
        StatefulSet producer = Chart.find(manifests, StatefulSet.class, "exactly-once-producer");

        assertThat(producer.getSpec().getServiceName()).isEqualTo("exactly-once-producer-pods");
        assertThat(Chart.find(manifests, Service.class, "exactly-once-producer-pods").getSpec().getClusterIP())
                .isEqualTo("None");
        assertThat(Chart.find(manifests, Deployment.class, "exactly-once-consumer").getSpec().getTemplate().getSpec()
                .getTerminationGracePeriodSeconds()).isEqualTo(30L);
    }

    @Test
    void imagesAreTheOnesSkaffoldBuilds() throws IOException {
        Map<String, Object> skaffold = yaml("skaffold.yaml");
        List<Map<String, Object>> artifacts = path(skaffold, "build", "artifacts");
        List<String> artifactImages = artifacts.stream().map(a -> (String) a.get("image")).toList();
        List<String> ourImages = workloads().stream()
                .flatMap(w -> podTemplate(w).getSpec().getContainers().stream())
                .map(c -> c.getImage().substring(0, c.getImage().lastIndexOf(':')))
                .filter(image -> image.startsWith("exactly-once/")).toList();

        assertThat(ourImages).containsExactlyInAnyOrderElementsOf(artifactImages)
                .containsExactlyInAnyOrder("exactly-once/producer", "exactly-once/consumer", "exactly-once/query");
        List<Map<String, Object>> releases = path(skaffold, "deploy", "helm", "releases");
        Map<String, String> templates = path(releases.get(0), "setValueTemplates");
        for (Map<String, Object> artifact : artifacts) {
            String image = (String) artifact.get("image");
            String module = path(artifact, "jib", "project");
            String variable = image.replace('/', '_').replace('-', '_');
            assertThat(image).isEqualTo("exactly-once/" + module);
            assertThat(Chart.REPO_ROOT.resolve(module).resolve("pom.xml")).exists();
            assertThat(templates).containsEntry(module + ".image.repository", "{{.IMAGE_REPO_" + variable + "}}")
                    .containsEntry(module + ".image.tag", "{{.IMAGE_TAG_" + variable + "}}");
        }
        assertThat(Files.readString(Chart.REPO_ROOT.resolve("pom.xml")))
                .contains("<image>exactly-once/${project.artifactId}</image>");
    }

    @Test
    void nodePortsArePublishedByKindOnLoopbackOnly() throws IOException {
        List<Map<String, Object>> nodes = path(yaml("kind-config.yaml"), "nodes");
        List<Map<String, Object>> mappings = path(nodes.get(0), "extraPortMappings");
        Map<Integer, Map<String, Object>> byContainerPort = mappings.stream()
                .collect(Collectors.toMap(m -> (Integer) m.get("containerPort"), m -> m));

        assertThat(mappings).allSatisfy(m -> assertThat(m.get("listenAddress")).isEqualTo("127.0.0.1"));
        List<ServicePort> nodePorts = ofKind(Service.class).stream()
                .filter(s -> "NodePort".equals(s.getSpec().getType()))
                .flatMap(s -> s.getSpec().getPorts().stream()).toList();
        assertThat(nodePorts).extracting(ServicePort::getNodePort)
                .containsExactlyInAnyOrderElementsOf(byContainerPort.keySet());
        Map<String, Integer> expectedHostPorts = Map.of("exactly-once-producer", 8000,
                "exactly-once-consumer", 8001, "exactly-once-query", 8003, "exactly-once-grafana", 3001,
                "exactly-once-jaeger-ui", 16686, "exactly-once-prometheus", 9090);
        expectedHostPorts.forEach((serviceName, hostPort) -> {
            ServicePort port = Chart.find(manifests, Service.class, serviceName).getSpec().getPorts().get(0);
            assertThat(byContainerPort.get(port.getNodePort())).as(serviceName).containsEntry("hostPort", hostPort);
        });
        // the gRPC services keep their contract port on the host: the lab's grpcurl commands work unchanged
        for (String component : List.of("producer", "consumer", "query")) {
            ServicePort port = Chart.find(manifests, Service.class, "exactly-once-" + component).getSpec().getPorts().get(0);
            assertThat(byContainerPort.get(port.getNodePort())).containsEntry("hostPort", port.getPort());
        }
    }

    private static List<HasMetadata> workloads() {
        return manifests.stream().filter(m -> m instanceof Deployment || m instanceof StatefulSet).toList();
    }

    private static <T extends HasMetadata> List<T> ofKind(Class<T> kind) {
        return manifests.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    private static PodTemplateSpec podTemplate(String component) {
        return podTemplate(workloads().stream()
                .filter(w -> w.getMetadata().getName().equals("exactly-once-" + component)).findFirst().orElseThrow());
    }

    private static PodTemplateSpec podTemplate(HasMetadata workload) {
        return workload instanceof Deployment d ? d.getSpec().getTemplate()
                : ((StatefulSet) workload).getSpec().getTemplate();
    }

    private static String env(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue)
                .findFirst().orElseThrow(() -> new AssertionError(container.getName() + " has no env " + name));
    }

    private static String rootPomProperty(String name) throws IOException {
        Matcher matcher = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</")
                .matcher(Files.readString(Chart.REPO_ROOT.resolve("pom.xml")));
        return Optional.of(matcher).filter(Matcher::find).map(m -> m.group(1))
                .orElseThrow(() -> new AssertionError("root pom.xml has no property " + name));
    }

    private static Map<String, Object> yaml(String repoFile) throws IOException {
        return new Yaml().load(Files.readString(Chart.REPO_ROOT.resolve(repoFile)));
    }

    @SuppressWarnings("unchecked")
    private static <T> T path(Map<String, Object> map, String... keys) {
        Object value = map;
        for (String key : keys) {
            value = ((Map<String, Object>) value).get(key);
        }
        return (T) value;
    }
}

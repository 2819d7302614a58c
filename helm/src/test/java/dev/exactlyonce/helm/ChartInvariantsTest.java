package dev.exactlyonce.helm;

import static dev.exactlyonce.helm.Rendered.env;
import static dev.exactlyonce.helm.Rendered.path;
import static dev.exactlyonce.helm.Rendered.podTemplate;
import static dev.exactlyonce.helm.Rendered.repoYaml;
import static dev.exactlyonce.helm.Rendered.rootPomProperty;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What must hold in the rendered output for the pipeline to run on kind as designed. */
class ChartInvariantsTest {

    @RegisterExtension static final KubeApiStub KUBE_API = new KubeApiStub();

    private static Rendered chart;

    @BeforeAll
    static void render() {
        chart = Rendered.with(Map.of());
    }

    @ParameterizedTest(name = "{0}: gRPC probes on {1}, resources, non-root")
    @CsvSource({
        "producer, 8000, 9000",
        "consumer, 8001, 9001",
        "billing, 8002, 9002",
        "query, 8003, 9003"
    })
    void everyServiceContainerIsProbedOverGrpcAndLockedDown(
            String component, int grpcPort, int managementPort) {
        PodSpec pod = chart.podTemplate(component).getSpec();
        Container container = pod.getContainers().get(0);

        assertThat(pod.getRestartPolicy()).isEqualTo("Always");
        assertThat(pod.getEnableServiceLinks()).isFalse();
        assertThat(container.getPorts())
                .extracting(ContainerPort::getName, ContainerPort::getContainerPort)
                .contains(tuple("grpc", grpcPort), tuple("management", managementPort));
        // liveness: the process answers; readiness: service "" = its dependencies reachable
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
        assertThat(container.getEnv())
                .filteredOn(e -> e.getName().equals("POD_NAME"))
                .singleElement()
                .extracting(e -> e.getValueFrom().getFieldRef().getFieldPath())
                .isEqualTo("metadata.name");
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(container.getVolumeMounts()).anyMatch(m -> m.getMountPath().equals("/tmp"));
    }

    @Test
    void everyPodRunsNonRootWithoutPrivileges() {
        for (HasMetadata workload : chart.workloads()) {
            PodSpec pod = podTemplate(workload).getSpec();
            String name = workload.getMetadata().getName();
            // no pod talks to the Kubernetes API: none gets a ServiceAccount token to steal
            assertThat(pod.getAutomountServiceAccountToken()).as(name).isFalse();
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).as(name).isTrue();
            assertThat(pod.getSecurityContext().getSeccompProfile().getType())
                    .as(name)
                    .isEqualTo("RuntimeDefault");
            for (Container container : pod.getContainers()) {
                assertThat(container.getSecurityContext().getAllowPrivilegeEscalation())
                        .as(name)
                        .isFalse();
                assertThat(container.getSecurityContext().getCapabilities().getDrop())
                        .as(name)
                        .containsExactly("ALL");
                assertThat(container.getResources().getLimits()).as(name).containsKey("memory");
            }
        }
    }

    @Test
    void postgresIsTheTestDatabaseMajorWithItsPasswordsFromTheSecret() throws IOException {
        StatefulSet postgres = chart.find(StatefulSet.class, "exactly-once-postgres");
        Container container = postgres.getSpec().getTemplate().getSpec().getContainers().get(0);
        String major = rootPomProperty("postgres-binaries.version").split("\\.")[0];

        assertThat(container.getImage()).isEqualTo("postgres:" + major);
        assertThat(env(container, "PGDATA")).isEqualTo("/var/lib/postgresql/data/pgdata");
        assertThat(postgres.getSpec().getVolumeClaimTemplates()).hasSize(1);
        Secret secret = chart.find(Secret.class, "exactly-once-postgres");
        for (String component : List.of("consumer", "query")) {
            EnvVar password =
                    Rendered.envVar(chart.container(component), "DATASOURCES_DEFAULT_PASSWORD")
                            .orElseThrow();
            assertThat(password.getValueFrom().getSecretKeyRef().getName())
                    .isEqualTo(secret.getMetadata().getName());
            assertThat(secret.getData())
                    .containsKey(password.getValueFrom().getSecretKeyRef().getKey());
        }
    }

    @Test
    void servicesFindEachOther() {
        Container query = chart.container("query");
        Container consumer = chart.container("consumer");

        assertThat(env(query, "PRODUCER_ADDRESS"))
                .isEqualTo("exactly-once-producer.exactly-once.svc:8000");
        assertThat(env(query, "CONSUMER_GROUP_ID"))
                .isEqualTo(env(consumer, "CONSUMER_GROUP_ID"))
                .isEqualTo("orders-consumer");
        assertThat(env(consumer, "OTEL_EXPORTER_OTLP_ENDPOINT"))
                .isEqualTo("http://exactly-once-jaeger.exactly-once.svc:4317");
        assertThat(env(consumer, "APP_CONSUMER_PROCESSING_MODE")).isEqualTo("EXACTLY_ONCE");
        assertThat(env(chart.container("producer"), "APP_PRODUCER_GROUP_COMMIT_MAX_MS"))
                .isNotBlank();
        // every Service selects the pods of some workload
        for (Service service : chart.ofKind(Service.class)) {
            Map<String, String> selector = service.getSpec().getSelector();
            assertThat(chart.workloads())
                    .as(service.getMetadata().getName())
                    .anyMatch(
                            w ->
                                    podTemplate(w)
                                            .getMetadata()
                                            .getLabels()
                                            .entrySet()
                                            .containsAll(selector.entrySet()));
        }
    }

    @Test
    void billingHasTheConsumersEnvironmentWithoutTheDatabase() {
        Set<String> billingEnv =
                chart.container("billing").getEnv().stream()
                        .map(EnvVar::getName)
                        .collect(Collectors.toSet());
        Set<String> consumerEnv =
                chart.container("consumer").getEnv().stream()
                        .map(EnvVar::getName)
                        .collect(Collectors.toSet());

        assertThat(billingEnv)
                .containsExactlyInAnyOrder(
                        "GRPC_PORT",
                        "MANAGEMENT_PORT",
                        "JAVA_TOOL_OPTIONS",
                        "POD_NAME",
                        "KAFKA_BOOTSTRAP_SERVERS",
                        "APP_CONTROL_TOKEN",
                        "APP_GROUP_PROTOCOL",
                        "OTEL_TRACES_EXPORTER",
                        "OTEL_EXPORTER_OTLP_ENDPOINT",
                        "OTEL_TRACES_SAMPLER",
                        "OTEL_TRACES_SAMPLER_ARG");
        assertThat(consumerEnv).containsAll(billingEnv);
        assertThat(env(chart.container("billing"), "KAFKA_BOOTSTRAP_SERVERS"))
                .isEqualTo(env(chart.container("consumer"), "KAFKA_BOOTSTRAP_SERVERS"));
    }

    @ParameterizedTest(name = "{0} is a StatefulSet so its transactional.id survives restarts")
    @CsvSource({"producer", "billing"})
    void transactionalServicesAreStatefulSets(String component) {
        StatefulSet workload = chart.find(StatefulSet.class, "exactly-once-" + component);

        assertThat(workload.getSpec().getServiceName())
                .isEqualTo("exactly-once-" + component + "-pods");
        assertThat(
                        chart.find(Service.class, "exactly-once-" + component + "-pods")
                                .getSpec()
                                .getClusterIP())
                .isEqualTo("None");
        assertThat(
                        chart.find(Deployment.class, "exactly-once-consumer")
                                .getSpec()
                                .getTemplate()
                                .getSpec()
                                .getTerminationGracePeriodSeconds())
                .isEqualTo(30L);
    }

    @Test
    void imagesAreTheOnesSkaffoldBuilds() throws IOException {
        Map<String, Object> skaffold = repoYaml("skaffold.yaml");
        List<Map<String, Object>> artifacts = path(skaffold, "build", "artifacts");
        List<String> artifactImages = artifacts.stream().map(a -> (String) a.get("image")).toList();
        List<String> ourImages =
                chart.workloads().stream()
                        .flatMap(w -> podTemplate(w).getSpec().getContainers().stream())
                        .map(c -> c.getImage().substring(0, c.getImage().lastIndexOf(':')))
                        .filter(image -> image.startsWith("exactly-once/"))
                        .toList();

        assertThat(ourImages)
                .containsExactlyInAnyOrderElementsOf(artifactImages)
                .containsExactlyInAnyOrder(
                        "exactly-once/producer",
                        "exactly-once/consumer",
                        "exactly-once/billing",
                        "exactly-once/query");
        List<Map<String, Object>> releases = path(skaffold, "deploy", "helm", "releases");
        Map<String, String> templates = path(releases.get(0), "setValueTemplates");
        for (Map<String, Object> artifact : artifacts) {
            String image = (String) artifact.get("image");
            String module = path(artifact, "jib", "project");
            String variable = image.replace('/', '_').replace('-', '_');
            assertThat(image).isEqualTo("exactly-once/" + module);
            assertThat(artifact.get("jib"))
                    .as(module + " is built like the producer")
                    .isEqualTo(
                            Map.of(
                                    "type",
                                    "maven",
                                    "project",
                                    module,
                                    "args",
                                    List.of("-DskipTests")));
            assertThat(Chart.REPO_ROOT.resolve(module).resolve("pom.xml")).exists();
            assertThat(templates)
                    .containsEntry(module + ".image.repository", "{{.IMAGE_REPO_" + variable + "}}")
                    .containsEntry(module + ".image.tag", "{{.IMAGE_TAG_" + variable + "}}");
        }
        assertThat(Files.readString(Chart.REPO_ROOT.resolve("pom.xml")))
                .contains("<image>exactly-once/${project.artifactId}</image>");
    }

    /**
     * skaffold.yaml asks for the gRPC NodePorts (externalGrpc.enabled): what kind-config.yaml
     * publishes must be what that render exposes.
     */
    @Test
    void nodePortsArePublishedByKindOnLoopbackOnly() throws IOException {
        Rendered chart = SkaffoldRelease.of().render();
        List<Map<String, Object>> nodes = path(repoYaml("kind-config.yaml"), "nodes");
        List<Map<String, Object>> mappings = path(nodes.get(0), "extraPortMappings");
        Map<Integer, Map<String, Object>> byContainerPort =
                mappings.stream()
                        .collect(Collectors.toMap(m -> (Integer) m.get("containerPort"), m -> m));

        assertThat(mappings)
                .allSatisfy(m -> assertThat(m.get("listenAddress")).isEqualTo("127.0.0.1"));
        List<ServicePort> nodePorts =
                chart.ofKind(Service.class).stream()
                        .filter(s -> "NodePort".equals(s.getSpec().getType()))
                        .flatMap(s -> s.getSpec().getPorts().stream())
                        .toList();
        assertThat(nodePorts)
                .extracting(ServicePort::getNodePort)
                .containsExactlyInAnyOrderElementsOf(byContainerPort.keySet());
        Map<String, Integer> expectedHostPorts =
                Map.of(
                        "exactly-once-producer",
                        8000,
                        "exactly-once-consumer",
                        8001,
                        "exactly-once-billing",
                        8002,
                        "exactly-once-query",
                        8003,
                        "exactly-once-grafana",
                        3001,
                        "exactly-once-jaeger-ui",
                        16686,
                        "exactly-once-prometheus",
                        9090);
        expectedHostPorts.forEach(
                (serviceName, hostPort) -> {
                    ServicePort port =
                            chart.find(Service.class, serviceName).getSpec().getPorts().get(0);
                    assertThat(byContainerPort.get(port.getNodePort()))
                            .as(serviceName)
                            .containsEntry("hostPort", hostPort);
                });
        // the gRPC services keep their contract port on the host: the lab's grpcurl commands work
        // unchanged
        for (String component : Rendered.SERVICES) {
            ServicePort port =
                    chart.find(Service.class, "exactly-once-" + component)
                            .getSpec()
                            .getPorts()
                            .get(0);
            assertThat(byContainerPort.get(port.getNodePort()))
                    .as(component)
                    .containsEntry("hostPort", port.getPort());
        }
    }

    @Test
    void prometheusScrapesEveryServiceOnItsManagementPort() {
        String prometheusYml =
                chart.find(
                                io.fabric8.kubernetes.api.model.ConfigMap.class,
                                "exactly-once-prometheus")
                        .getData()
                        .get("prometheus.yml");
        Map<String, Object> config = new org.yaml.snakeyaml.Yaml().load(prometheusYml);
        List<Map<String, Object>> jobs = path(config, "scrape_configs");

        assertThat(jobs)
                .extracting(job -> job.get("job_name"))
                .containsExactlyInAnyOrderElementsOf(Rendered.SERVICES);
        for (Map<String, Object> job : jobs) {
            String component = (String) job.get("job_name");
            List<Map<String, Object>> discovery = path(job, "dns_sd_configs");
            assertThat(job.get("metrics_path")).isEqualTo("/prometheus");
            assertThat(discovery.get(0).get("port"))
                    .as(component)
                    .isEqualTo(
                            chart.container(component).getPorts().stream()
                                    .filter(p -> p.getName().equals("management"))
                                    .findFirst()
                                    .orElseThrow()
                                    .getContainerPort());
            assertThat(discovery.get(0).get("names"))
                    .isEqualTo(List.of("exactly-once-" + component + "-pods.exactly-once.svc"));
        }
    }
}

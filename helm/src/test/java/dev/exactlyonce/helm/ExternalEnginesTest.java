package dev.exactlyonce.helm;

import static dev.exactlyonce.helm.Rendered.env;
import static dev.exactlyonce.helm.Rendered.envVar;
import static dev.exactlyonce.helm.Rendered.path;
import static dev.exactlyonce.helm.Rendered.podTemplate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Volume;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

/**
 * kafka.enabled=false / postgres.enabled=false: the services use a Kafka and a PostgreSQL the user
 * runs (Strimzi, CloudNativePG, managed).
 */
class ExternalEnginesTest {

    @RegisterExtension static final KubeApiStub KUBE_API = new KubeApiStub();

    /**
     * An external Kafka with SCRAM over TLS (Strimzi's tls listener) and CloudNativePG, as --set
     * values.
     */
    static final Map<String, Object> STRIMZI_AND_CLOUDNATIVEPG =
            Map.of(
                    "kafka.enabled", false,
                    "kafka.bootstrapServers", "orders-kafka-bootstrap.kafka.svc:9093",
                    "kafka.security.protocol", "SASL_SSL",
                    "kafka.security.saslMechanism", "SCRAM-SHA-512",
                    "kafka.security.saslSecret", "exactly-once",
                    "kafka.security.caSecret", "orders-cluster-ca-cert",
                    "postgres.enabled", false,
                    "postgres.host", "orders-db-rw.databases.svc",
                    "postgres.existingSecret", "orders-db-app");

    @Test
    void noKafkaOrPostgresqlIsRunAndTheServicesGetTheGivenEndpoints() {
        Rendered chart = Rendered.with(STRIMZI_AND_CLOUDNATIVEPG);

        assertThat(chart.manifests())
                .extracting(ExternalEnginesTest::component)
                .doesNotContain("kafka", "postgres");
        assertThat(chart.workloads())
                .flatExtracting(w -> podTemplate(w).getSpec().getContainers())
                .extracting(Container::getImage)
                .noneMatch(
                        image -> image.startsWith("apache/kafka") || image.startsWith("postgres"));
        for (String component : Rendered.SERVICES) {
            assertThat(env(chart.container(component), "KAFKA_BOOTSTRAP_SERVERS"))
                    .as(component)
                    .isEqualTo("orders-kafka-bootstrap.kafka.svc:9093");
        }
        for (String component : List.of("consumer", "query")) {
            Container container = chart.container(component);
            assertThat(env(container, "JDBC_URL"))
                    .as(component)
                    .isEqualTo("jdbc:postgresql://orders-db-rw.databases.svc:5432/orders");
            assertThat(secretRef(container, "DATASOURCES_DEFAULT_USERNAME"))
                    .as(component)
                    .extracting(SecretKeySelector::getName, SecretKeySelector::getKey)
                    .containsExactly("orders-db-app", "username");
            assertThat(secretRef(container, "DATASOURCES_DEFAULT_PASSWORD"))
                    .as(component)
                    .extracting(SecretKeySelector::getName, SecretKeySelector::getKey)
                    .containsExactly("orders-db-app", "password");
        }
        assertThat(chart.container("billing").getEnv())
                .extracting(EnvVar::getName)
                .noneMatch(n -> n.startsWith("JDBC_") || n.startsWith("DATASOURCES_"));
    }

    @Test
    void everyServiceAuthenticatesWithTheExistingSecretAndTrustsTheClusterCa() {
        Rendered chart = Rendered.with(STRIMZI_AND_CLOUDNATIVEPG);

        for (String component : Rendered.SERVICES) {
            Container container = chart.container(component);
            assertThat(env(container, "KAFKA_SECURITY_PROTOCOL"))
                    .as(component)
                    .isEqualTo("SASL_SSL");
            assertThat(env(container, "KAFKA_SASL_MECHANISM"))
                    .as(component)
                    .isEqualTo("SCRAM-SHA-512");
            assertThat(secretRef(container, "KAFKA_SASL_JAAS_CONFIG"))
                    .as(component)
                    .extracting(SecretKeySelector::getName, SecretKeySelector::getKey)
                    .containsExactly("exactly-once", "sasl.jaas.config");
            assertThat(env(container, "KAFKA_SSL_TRUSTSTORE_TYPE")).isEqualTo("PEM");
            String truststore = env(container, "KAFKA_SSL_TRUSTSTORE_LOCATION");
            assertThat(container.getVolumeMounts())
                    .as(component)
                    .anyMatch(
                            m ->
                                    m.getName().equals("kafka-ca")
                                            && truststore.equals(m.getMountPath() + "/ca.crt"));
            Volume ca =
                    chart.podTemplate(component).getSpec().getVolumes().stream()
                            .filter(v -> v.getName().equals("kafka-ca"))
                            .findFirst()
                            .orElseThrow();
            assertThat(ca.getSecret().getSecretName()).isEqualTo("orders-cluster-ca-cert");
            assertThat(ca.getSecret().getItems())
                    .singleElement()
                    .satisfies(
                            item -> {
                                assertThat(item.getKey()).isEqualTo("ca.crt");
                                assertThat(item.getPath()).isEqualTo("ca.crt");
                            });
        }
    }

    @Test
    void aPlaintextKafkaNeedsNoClientSecurity() {
        Rendered chart =
                Rendered.with(
                        Map.of(
                                "kafka.enabled",
                                false,
                                "kafka.bootstrapServers",
                                "kafka-a:9092,kafka-b:9092"));

        for (String component : Rendered.SERVICES) {
            Container container = chart.container(component);
            assertThat(env(container, "KAFKA_BOOTSTRAP_SERVERS"))
                    .isEqualTo("kafka-a:9092,kafka-b:9092");
            assertThat(container.getEnv())
                    .extracting(EnvVar::getName)
                    .noneMatch(n -> n.startsWith("KAFKA_S"));
            assertThat(container.getVolumeMounts()).noneMatch(m -> m.getName().equals("kafka-ca"));
        }
        // the bundled PostgreSQL still runs
        assertThat(chart.manifests())
                .extracting(ExternalEnginesTest::component)
                .contains("postgres");
    }

    @Test
    void aBundledKafkaIgnoresTheExternalSecuritySettings() {
        Rendered chart = Rendered.with(Map.of("kafka.security.protocol", "SASL_SSL"));

        assertThat(chart.container("producer").getEnv())
                .extracting(EnvVar::getName)
                .doesNotContain("KAFKA_SECURITY_PROTOCOL");
    }

    @ParameterizedTest(name = "{0} without its address or credentials is refused")
    @ValueSource(strings = {"kafka.bootstrapServers", "postgres.host", "postgres.existingSecret"})
    void anExternalEngineWithoutItsEndpointIsRefused(String missing) {
        Map<String, Object> values = new HashMap<>(STRIMZI_AND_CLOUDNATIVEPG);
        values.remove(missing);

        assertThatThrownBy(() -> Chart.render(values))
                .hasMessageContaining(missing.substring(missing.indexOf('.') + 1));
    }

    @Test
    void saslWithoutItsSecretIsRefused() {
        Map<String, Object> values = new HashMap<>(STRIMZI_AND_CLOUDNATIVEPG);
        values.remove("kafka.security.saslSecret");

        assertThatThrownBy(() -> Chart.render(values))
                .hasMessageContaining(
                        "kafka.security.saslSecret is required with a SASL_* protocol");
    }

    /**
     * helm/examples: the Strimzi Kafka and CloudNativePG cluster of the README, and the values that
     * point the chart at them.
     */
    @Test
    @SuppressWarnings("unchecked")
    void theReadmeExampleValuesPointAtTheExampleClusters() throws IOException {
        List<Map<String, Object>> resources = new ArrayList<>();
        new Yaml()
                .loadAll(
                        Files.readString(
                                Chart.REPO_ROOT.resolve(
                                        "helm/examples/strimzi-cloudnativepg.yaml")))
                .forEach(document -> resources.add((Map<String, Object>) document));
        Map<String, Object> kafka = resource(resources, "Kafka");
        Map<String, Object> pool = resource(resources, "KafkaNodePool");
        Map<String, Object> database = resource(resources, "Cluster");
        Map<String, Object> plainListener =
                ((List<Map<String, Object>>) path(kafka, "spec", "kafka", "listeners"))
                        .stream()
                                .filter(
                                        l ->
                                                Boolean.FALSE.equals(l.get("tls"))
                                                        && l.get("authentication") == null)
                                .findFirst()
                                .orElseThrow();
        String databaseName = path(database, "metadata", "name");

        Rendered chart =
                new Rendered(
                        Chart.manifests(
                                Chart.REPO_ROOT.resolve(
                                        "helm/examples/external-engines-values.yaml")));

        assertThat(chart.manifests())
                .extracting(ExternalEnginesTest::component)
                .doesNotContain("kafka", "postgres");
        // Strimzi's bootstrap Service is <cluster>-kafka-bootstrap; CloudNativePG's primary is
        // <cluster>-rw, its application Secret <cluster>-app, in the release's namespace
        assertThat(env(chart.container("billing"), "KAFKA_BOOTSTRAP_SERVERS"))
                .isEqualTo(
                        "%s-kafka-bootstrap.%s.svc:%s"
                                .formatted(
                                        path(kafka, "metadata", "name"),
                                        path(kafka, "metadata", "namespace"),
                                        plainListener.get("port")));
        assertThat((String) path(database, "metadata", "namespace")).isEqualTo(Chart.NAMESPACE);
        // CloudNativePG's CA is the Secret <cluster>-ca, key ca.crt: the server's certificate is
        // verified against it
        assertThat(env(chart.container("consumer"), "JDBC_URL"))
                .isEqualTo(
                        "jdbc:postgresql://%s-rw.%s.svc:5432/%s?sslmode=verify-full&sslrootcert=/etc/postgres-ca/ca.crt"
                                .formatted(
                                        databaseName,
                                        Chart.NAMESPACE,
                                        path(database, "spec", "bootstrap", "initdb", "database")));
        assertThat(chart.podTemplate("consumer").getSpec().getVolumes())
                .filteredOn(v -> v.getName().equals("postgres-ca"))
                .singleElement()
                .satisfies(
                        volume ->
                                assertThat(volume.getSecret().getSecretName())
                                        .isEqualTo(databaseName + "-ca"));
        assertThat(secretRef(chart.container("query"), "DATASOURCES_DEFAULT_PASSWORD").getName())
                .isEqualTo(databaseName + "-app");
        // three KRaft nodes with the replication the chart's own 3-broker Kafka uses
        assertThat((Integer) path(pool, "spec", "replicas")).isEqualTo(3);
        assertThat((List<String>) path(pool, "spec", "roles"))
                .containsExactlyInAnyOrder("controller", "broker");
        assertThat((Map<String, Object>) path(kafka, "spec", "kafka", "config"))
                .containsEntry("min.insync.replicas", 2)
                .containsEntry("transaction.state.log.replication.factor", 3)
                .containsEntry("transaction.state.log.min.isr", 2)
                .containsEntry("offsets.topic.replication.factor", 3)
                .containsEntry("unclean.leader.election.enable", false);
    }

    @Test
    void anExternalPostgresqlIsReachedOverVerifiedTlsWithItsCa() {
        Map<String, Object> values = new HashMap<>(STRIMZI_AND_CLOUDNATIVEPG);
        values.put("postgres.sslMode", "verify-full");
        values.put("postgres.caSecret", "orders-db-ca");
        Rendered chart = Rendered.with(values);

        for (String component : List.of("consumer", "query")) {
            Container container = chart.container(component);
            assertThat(env(container, "JDBC_URL"))
                    .as(component)
                    .isEqualTo(
                            "jdbc:postgresql://orders-db-rw.databases.svc:5432/orders?sslmode=verify-full&sslrootcert=/etc/postgres-ca/ca.crt");
            assertThat(container.getVolumeMounts())
                    .as(component)
                    .anyMatch(
                            m ->
                                    m.getName().equals("postgres-ca")
                                            && m.getMountPath().equals("/etc/postgres-ca"));
            Volume ca =
                    chart.podTemplate(component).getSpec().getVolumes().stream()
                            .filter(v -> v.getName().equals("postgres-ca"))
                            .findFirst()
                            .orElseThrow();
            assertThat(ca.getSecret().getSecretName()).isEqualTo("orders-db-ca");
        }
        assertThat(chart.container("billing").getVolumeMounts())
                .noneMatch(m -> m.getName().equals("postgres-ca"));
        // sslmode alone (the driver's own trust store) adds no mount
        Map<String, Object> requireOnly = new HashMap<>(STRIMZI_AND_CLOUDNATIVEPG);
        requireOnly.put("postgres.sslMode", "require");
        assertThat(env(Rendered.with(requireOnly).container("query"), "JDBC_URL"))
                .endsWith("/orders?sslmode=require");
    }

    @Test
    void sslModeIsRefusedForTheBundledPostgresql() {
        assertThatThrownBy(() -> Chart.render(Map.of("postgres.sslMode", "require")))
                .hasMessageContaining("postgres.sslMode is for an external PostgreSQL");
    }

    @Test
    void queryMayLogInWithItsOwnLeastPrivilegedRole() {
        Map<String, Object> values = new HashMap<>(STRIMZI_AND_CLOUDNATIVEPG);
        values.put("postgres.queryExistingSecret", "orders-db-query");
        Rendered chart = Rendered.with(values);

        assertThat(secretRef(chart.container("query"), "DATASOURCES_DEFAULT_USERNAME").getName())
                .isEqualTo("orders-db-query");
        assertThat(secretRef(chart.container("query"), "DATASOURCES_DEFAULT_PASSWORD").getName())
                .isEqualTo("orders-db-query");
        assertThat(secretRef(chart.container("consumer"), "DATASOURCES_DEFAULT_PASSWORD").getName())
                .isEqualTo("orders-db-app");
    }

    /**
     * Mechanisms the chart cannot configure are refused by the schema instead of failing in the
     * pods.
     */
    @Test
    void oauthbearerIsNotOffered() {
        Map<String, Object> values = new HashMap<>(STRIMZI_AND_CLOUDNATIVEPG);
        values.put("kafka.security.saslMechanism", "OAUTHBEARER");

        assertThatThrownBy(() -> Chart.render(values))
                .hasMessageContaining("values don't meet the specifications of the schema");
    }

    private static Map<String, Object> resource(List<Map<String, Object>> resources, String kind) {
        return resources.stream().filter(r -> kind.equals(r.get("kind"))).findFirst().orElseThrow();
    }

    private static SecretKeySelector secretRef(Container container, String name) {
        return envVar(container, name).orElseThrow().getValueFrom().getSecretKeyRef();
    }

    private static String component(HasMetadata manifest) {
        Map<String, String> labels = manifest.getMetadata().getLabels();
        return labels == null ? "" : labels.getOrDefault("app.kubernetes.io/component", "");
    }
}

package dev.exactlyonce.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * helm lint --strict, rendering with several value sets, the schema, strict parsing, kept
 * passwords.
 */
class ChartRenderTest {

    @RegisterExtension static final KubeApiStub KUBE_API = new KubeApiStub();

    @Test
    void lintStrictPasses() {
        LintResult result = new Helm(Chart.DIRECTORY).lint().strict().call();

        assertThat(result.isFailed()).as("helm lint --strict: %s", result.getMessages()).isFalse();
        assertThat(result.getMessages())
                .noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
    }

    @Test
    void defaultValuesRenderTheWholeStack() {
        List<HasMetadata> manifests = Chart.manifests(Map.of());

        assertThat(manifests)
                .extracting(m -> m.getKind() + "/" + m.getMetadata().getName())
                .contains(
                        "StatefulSet/exactly-once-kafka",
                        "StatefulSet/exactly-once-postgres",
                        "StatefulSet/exactly-once-producer",
                        "Deployment/exactly-once-consumer",
                        "StatefulSet/exactly-once-billing",
                        "NetworkPolicy/exactly-once-billing",
                        "Deployment/exactly-once-query",
                        "Deployment/exactly-once-prometheus",
                        "Deployment/exactly-once-grafana",
                        "Deployment/exactly-once-jaeger",
                        "ConfigMap/exactly-once-grafana-dashboards");
    }

    @Test
    void observabilityCanBeSwitchedOff() {
        String rendered = Chart.render(Map.of("observability.enabled", false));
        List<HasMetadata> manifests = StrictManifests.parse(rendered);

        assertThat(manifests)
                .extracting(m -> m.getMetadata().getName())
                .noneMatch(name -> name.matches(".*-(prometheus|grafana|jaeger).*"));
        assertThat(rendered).doesNotContain("OTEL_EXPORTER_OTLP_ENDPOINT");
        assertThat(manifests).filteredOn(m -> m instanceof Deployment).hasSize(2);
    }

    @Test
    void consumerScalesToThePartitionCount() {
        Deployment consumer =
                Chart.find(
                        Chart.manifests(Map.of("consumer.replicas", 3)),
                        Deployment.class,
                        "exactly-once-consumer");

        assertThat(consumer.getSpec().getReplicas()).isEqualTo(3);
    }

    @ParameterizedTest(name = "{0}={1} is rejected")
    @CsvSource({
        "consumer.replicas, 0",
        "consumer.replicas, 4",
        "producer.grpcPort, -1",
        "query.managementPort, 70000",
        "consumer.nodePort, 8001",
        "producer.settings.deliveryMode, TWICE",
        "consumer.settings.crashPoint, SOMEWHERE",
        "consumer.replicaz, 2",
        "kafka.clusterId, too-short",
        "postgres.storage.size, lots",
        "kafka.replicas, 2",
        "billing.replicas, 4",
        "kafka.security.protocol, TLS",
        "kafka.bootstrapServers, no-port-here",
        "observability.tracing.sampleRatio, 2",
        "groupProtocol, streams",
    })
    void schemaRejectsBadValues(String key, String value) {
        Object typed = value.matches("-?\\d+") ? Integer.valueOf(value) : value;

        assertThatThrownBy(() -> Chart.render(Map.of(key, typed)))
                .hasMessageContaining("values don't meet the specifications of the schema");
    }

    @Test
    void aMisspeltKeyFailsStrictParsing() {
        String misspelt =
                """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: typo}
                spec:
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers:
                        - name: c
                          image: i
                          imagePullPolcy: IfNotPresent
                """;

        assertThatThrownBy(() -> StrictManifests.parse(misspelt))
                .hasMessageContaining("Deployment typo does not fit the Kubernetes model")
                .hasMessageContaining("imagePullPolcy");
    }

    @Test
    void postgresPasswordIsGeneratedOnceThenKept() {
        KUBE_API.clearSecrets();
        String first = postgresPassword(Chart.manifests(Map.of()));
        String second = postgresPassword(Chart.manifests(Map.of()));
        assertThat(first).hasSize(24).isNotEqualTo(second);

        KUBE_API.putSecret(
                "exactly-once-postgres", Map.of("password", base64("chosen-at-install")));
        try {
            assertThat(postgresPassword(Chart.manifests(Map.of()))).isEqualTo("chosen-at-install");
        } finally {
            KUBE_API.clearSecrets();
        }
    }

    private static String postgresPassword(List<HasMetadata> manifests) {
        Secret secret = Chart.find(manifests, Secret.class, "exactly-once-postgres");
        assertThat(secret.getMetadata().getAnnotations())
                .containsEntry("helm.sh/resource-policy", "keep");
        return new String(
                Base64.getDecoder().decode(secret.getData().get("password")),
                StandardCharsets.UTF_8);
    }

    private static String base64(String value) {
        return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
    }
}

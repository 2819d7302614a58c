package dev.exactlyonce.helm;

import static dev.exactlyonce.helm.Rendered.env;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every way the docs change a Skaffold-deployed release keeps the images Skaffold built: each
 * variant is a profile of skaffold.yaml, rendered here as `skaffold run -p ...` hands it to Helm.
 */
class SkaffoldProfilesTest {

    @RegisterExtension static final KubeApiStub KUBE_API = new KubeApiStub();

    @ParameterizedTest(name = "-p {0}: the four services run the images Skaffold built")
    @ValueSource(
            strings = {
                "",
                "minimal",
                "three-brokers",
                "three-consumers",
                "external-engines",
                "three-brokers,three-consumers",
                "minimal,three-brokers,three-consumers"
            })
    void everyProfileKeepsSkaffoldsImages(String profiles) throws IOException {
        Rendered chart = release(profiles).render();

        for (String component : Rendered.SERVICES) {
            assertThat(chart.container(component).getImage())
                    .as(component)
                    .isEqualTo("exactly-once/" + component + ":" + SkaffoldRelease.BUILT_TAG);
        }
    }

    @Test
    void threeBrokers() throws IOException {
        Rendered chart = release("three-brokers").render();

        assertThat(chart.find(StatefulSet.class, "exactly-once-kafka").getSpec().getReplicas())
                .isEqualTo(3);
        assertThat(env(chart.container("kafka"), "KAFKA_MIN_INSYNC_REPLICAS")).isEqualTo("2");
        assertThat(chart.find(Deployment.class, "exactly-once-consumer").getSpec().getReplicas())
                .isEqualTo(1);
    }

    @Test
    void threeConsumers() throws IOException {
        Rendered chart = release("three-consumers").render();

        assertThat(chart.find(Deployment.class, "exactly-once-consumer").getSpec().getReplicas())
                .isEqualTo(3);
        assertThat(chart.find(StatefulSet.class, "exactly-once-kafka").getSpec().getReplicas())
                .isEqualTo(1);
    }

    @Test
    void profilesCombine() throws IOException {
        Rendered chart = release("minimal,three-brokers,three-consumers").render();

        assertThat(chart.find(StatefulSet.class, "exactly-once-kafka").getSpec().getReplicas())
                .isEqualTo(3);
        assertThat(chart.find(Deployment.class, "exactly-once-consumer").getSpec().getReplicas())
                .isEqualTo(3);
        assertThat(chart.workloads())
                .extracting(w -> w.getMetadata().getName())
                .doesNotContain("exactly-once-grafana");
    }

    @Test
    void externalEnginesUsesTheExampleValues() throws IOException {
        SkaffoldRelease release = release("external-engines");
        Rendered chart = release.render();

        assertThat(release.valuesFiles())
                .containsExactly(
                        Chart.REPO_ROOT.resolve("helm/examples/external-engines-values.yaml"));
        assertThat(chart.workloads())
                .extracting(w -> w.getMetadata().getName())
                .doesNotContain("exactly-once-kafka", "exactly-once-postgres");
        Container consumer = chart.container("consumer");
        assertThat(env(consumer, "KAFKA_BOOTSTRAP_SERVERS"))
                .isEqualTo("orders-kafka-bootstrap.kafka.svc:9092");
        assertThat(env(consumer, "JDBC_URL"))
                .startsWith(
                        "jdbc:postgresql://orders-db-rw.exactly-once.svc:5432/orders?sslmode=verify-full");
    }

    /** The kind walkthrough publishes gRPC on the host and deploys to the kind cluster only. */
    @Test
    void theBaseReleaseAsksForWhatKindPublishes() throws IOException {
        SkaffoldRelease release = release("");

        assertThat(release.setValues())
                .containsEntry("externalGrpc.enabled", true)
                .containsEntry("kafka.replicas", 1)
                .containsEntry("consumer.replicas", 1);
        String header = Files.readString(Chart.REPO_ROOT.resolve("skaffold.yaml"));
        assertThat(header).contains("skaffold run --kube-context kind-exactly-once");
        for (String profile :
                List.of("minimal", "three-brokers", "three-consumers", "external-engines")) {
            assertThat(header).contains("-p " + profile);
        }
    }

    private static SkaffoldRelease release(String profiles) throws IOException {
        return SkaffoldRelease.of(profiles.isEmpty() ? new String[0] : profiles.split(","));
    }

    static Map<String, Object> kindValues() throws IOException {
        return SkaffoldRelease.of().values();
    }
}

package dev.exactlyonce.helm;

import static dev.exactlyonce.helm.Rendered.env;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The memory a cluster must offer (the figures the docs give for Docker Desktop and colima), and
 * settings that must equal the application's.
 */
class ChartResourcesTest {

    @RegisterExtension static final KubeApiStub KUBE_API = new KubeApiStub();

    @ParameterizedTest(
            name = "{0} broker(s), observability {1}: {2}Mi of memory requests, stated in the docs")
    @CsvSource({"1, true, 3136", "3, true, 4672", "1, false, 2560", "3, false, 4096"})
    void memoryRequestsAddUpToTheDocumentedFigure(
            int brokers, boolean observability, long mebibytes) throws IOException {
        Rendered chart =
                Rendered.with(
                        Map.of("kafka.replicas", brokers, "observability.enabled", observability));
        long requested =
                chart.workloads().stream()
                        .mapToLong(
                                workload -> {
                                    long replicas =
                                            workload
                                                            instanceof
                                                            io.fabric8.kubernetes.api.model.apps
                                                                            .StatefulSet
                                                                    s
                                                    ? s.getSpec().getReplicas()
                                                    : ((io.fabric8.kubernetes.api.model.apps
                                                                            .Deployment)
                                                                    workload)
                                                            .getSpec()
                                                            .getReplicas();
                                    return replicas
                                            * Rendered.podTemplate(workload)
                                                    .getSpec()
                                                    .getContainers()
                                                    .stream()
                                                    .mapToLong(
                                                            c ->
                                                                    Quantity.getAmountInBytes(
                                                                                    c.getResources()
                                                                                            .getRequests()
                                                                                            .get(
                                                                                                    "memory"))
                                                                            .longValueExact())
                                                    .sum();
                                })
                        .sum();

        assertThat(requested).isEqualTo(mebibytes << 20);
        assertThat(Files.readString(Chart.REPO_ROOT.resolve("docs/kubernetes.md")))
                .contains(mebibytes + "Mi");
        assertThat(Files.readString(Chart.DIRECTORY.resolve("values.yaml")))
                .contains(mebibytes + "Mi");
    }

    /**
     * kind runs the window the lab measured: the chart's group-commit default is the application's.
     */
    @Test
    void theGroupCommitWindowIsTheApplicationsDefault() throws IOException {
        Matcher applicationDefault =
                Pattern.compile("group-commit-max-ms:\\s*(\\d+)")
                        .matcher(
                                Files.readString(
                                        Chart.REPO_ROOT.resolve(
                                                "producer/src/main/resources/application.yml")));
        assertThat(applicationDefault.find()).isTrue();

        assertThat(
                        env(
                                Rendered.with(Map.of()).container("producer"),
                                "APP_PRODUCER_GROUP_COMMIT_MAX_MS"))
                .isEqualTo(applicationDefault.group(1));
    }
}

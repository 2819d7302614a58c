package dev.exactlyonce.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Service;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The control plane from outside: its bearer token comes from a Secret the chart generates once and
 * keeps (or one the user names), every service gets it, NOTES.txt says how to use it, and the gRPC
 * ports are published outside the cluster only when asked for.
 */
class ControlPlaneTest {

    @RegisterExtension static final KubeApiStub KUBE_API = new KubeApiStub();

    @AfterEach
    void forgetTheCluster() {
        KUBE_API.clearSecrets();
    }

    @Test
    void theTokenIsGeneratedOnceThenKeptAcrossUpgrades() {
        String first = token(Rendered.with(Map.of()));
        String second = token(Rendered.with(Map.of()));
        assertThat(first).hasSize(32).matches("[A-Za-z0-9]+").isNotEqualTo(second);

        KUBE_API.putSecret(
                "exactly-once-control",
                Map.of("control-token", base64("the-token-of-the-first-install")));

        assertThat(token(Rendered.with(Map.of()))).isEqualTo("the-token-of-the-first-install");
        assertThat(token(Rendered.with(Map.of("kafka.replicas", 3))))
                .isEqualTo("the-token-of-the-first-install");
    }

    @Test
    void everyServiceReadsTheTokenFromTheSecret() {
        Rendered chart = Rendered.with(Map.of());
        Secret secret = chart.find(Secret.class, "exactly-once-control");

        for (String component : Rendered.SERVICES) {
            SecretKeySelector reference = tokenReference(chart.container(component));
            assertThat(reference.getName()).as(component).isEqualTo(secret.getMetadata().getName());
            assertThat(secret.getData()).containsKey(reference.getKey());
        }
    }

    @Test
    void anExistingSecretReplacesTheGeneratedOne() {
        Rendered chart =
                Rendered.with(
                        Map.of(
                                "controlPlane.existingSecret",
                                "ops-control",
                                "controlPlane.tokenKey",
                                "token"));

        assertThat(chart.ofKind(Secret.class))
                .extracting(s -> s.getMetadata().getName())
                .doesNotContain("exactly-once-control");
        for (String component : Rendered.SERVICES) {
            assertThat(tokenReference(chart.container(component)))
                    .extracting(SecretKeySelector::getName, SecretKeySelector::getKey)
                    .containsExactly("ops-control", "token");
        }
        assertThat(
                        Chart.notes(
                                Map.of(
                                        "controlPlane.existingSecret",
                                        "ops-control",
                                        "controlPlane.tokenKey",
                                        "token.v1")))
                .contains(
                        "TOKEN=$(kubectl get secret -n exactly-once ops-control -o jsonpath='{.data.token\\.v1}' | base64 -d)");
    }

    @Test
    void theNotesShowHowToReadAndSendTheToken() {
        String notes = Chart.notes(Map.of("externalGrpc.enabled", true));

        assertThat(notes)
                .contains(
                        "TOKEN=$(kubectl get secret -n exactly-once exactly-once-control -o jsonpath='{.data.control-token}' | base64 -d)")
                .contains(
                        "grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" -d '{\"crash_after_messages\":5")
                .contains("localhost:8001 exactlyonce.v1.ConsumerControl/UpdateConsumerConfig")
                .doesNotContain("port-forward");
        assertThat(Chart.notes(Map.of()))
                .contains(
                        "kubectl port-forward -n exactly-once svc/exactly-once-consumer 8001:8001 &");
    }

    @Test
    void theGrpcPortsArePublishedOnlyWhenAskedFor() {
        Rendered closed = Rendered.with(Map.of());
        Rendered published = Rendered.with(Map.of("externalGrpc.enabled", true));

        for (String component : Rendered.SERVICES) {
            Service inside = closed.find(Service.class, "exactly-once-" + component);
            Service outside = published.find(Service.class, "exactly-once-" + component);
            assertThat(inside.getSpec().getType()).as(component).isEqualTo("ClusterIP");
            assertThat(inside.getSpec().getPorts())
                    .allSatisfy(port -> assertThat(port.getNodePort()).isNull());
            assertThat(outside.getSpec().getType()).as(component).isEqualTo("NodePort");
        }
    }

    private static SecretKeySelector tokenReference(Container container) {
        EnvVar token = Rendered.envVar(container, "APP_CONTROL_TOKEN").orElseThrow();
        return token.getValueFrom().getSecretKeyRef();
    }

    private static String token(Rendered chart) {
        Secret secret = chart.find(Secret.class, "exactly-once-control");
        return new String(
                Base64.getDecoder().decode(secret.getData().get("control-token")),
                StandardCharsets.UTF_8);
    }

    private static String base64(String value) {
        return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
    }
}

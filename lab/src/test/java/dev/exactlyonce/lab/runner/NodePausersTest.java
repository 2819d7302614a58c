package dev.exactlyonce.lab.runner;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

/**
 * The pod {@code lab chaos --against} pauses from, read by the Kubernetes model: on the target's
 * node, in the node's PID namespace, privileged, and labelled apart from the chart's components (so
 * no Service, policy or selector of the chart takes it for one of its own).
 */
class NodePausersTest {

    @Test
    void thePauserSeesTheNodesProcessesAndMaySignalThem() throws Exception {
        String node = "exactly-once-control-plane";
        Pod pod =
                new ObjectMapper()
                        .readValue(
                                NodePausers.manifest(NodePausers.podName(node), node), Pod.class);

        assertThat(pod.getAdditionalProperties()).isEmpty();
        assertThat(pod.getSpec().getAdditionalProperties()).isEmpty();
        assertThat(pod.getMetadata().getName())
                .isEqualTo("chaos-pauser-exactly-once-control-plane");
        assertThat(pod.getMetadata().getLabels())
                .containsExactly(java.util.Map.entry(Kubectl.COMPONENT, "chaos-pauser"));
        assertThat(pod.getSpec().getNodeName()).isEqualTo(node);
        assertThat(pod.getSpec().getHostPID()).isTrue();
        assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
        Container container = pod.getSpec().getContainers().get(0);
        assertThat(container.getAdditionalProperties()).isEmpty();
        assertThat(container.getImage()).isEqualTo(NodePausers.IMAGE);
        assertThat(container.getSecurityContext().getPrivileged()).isTrue();
    }

    @Test
    void aLongNodeNameStillMakesAPodName() {
        String name = NodePausers.podName("Worker.Node-" + "x".repeat(80));
        assertThat(name).hasSizeLessThanOrEqualTo(63).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    }
}

package dev.exactlyonce.helm;

import static dev.exactlyonce.helm.Rendered.env;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Kafka over the life of a release: the services start before any broker has an address, a change
 * of the broker count is refused with the way out, a rolling restart waits for the ISR, and the
 * JVMs neither outgrow their limit nor keep a recreated pod's old address.
 */
class KafkaLifecycleTest {

    @RegisterExtension static final KubeApiStub KUBE_API = new KubeApiStub();

    @AfterEach
    void forgetTheCluster() {
        KUBE_API.clearStatefulSets();
    }

    /**
     * kafka-clients refuse to construct a client when no bootstrap address resolves; a ClusterIP
     * name resolves once the Service exists.
     */
    @ParameterizedTest(
            name = "{0} broker(s): a ClusterIP bootstrap Service in front of the ready brokers")
    @ValueSource(ints = {1, 3})
    void theFirstBootstrapAddressIsAClusterIpService(int brokers) {
        Rendered chart = Rendered.with(Map.of("kafka.replicas", brokers));
        Service bootstrap = chart.find(Service.class, "exactly-once-kafka");
        StatefulSet kafka = chart.find(StatefulSet.class, "exactly-once-kafka");

        assertThat(bootstrap.getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(bootstrap.getSpec().getClusterIP()).as("not headless").isNull();
        assertThat(bootstrap.getSpec().getPublishNotReadyAddresses())
                .as("ready brokers only")
                .isNotEqualTo(Boolean.TRUE);
        assertThat(bootstrap.getSpec().getPorts())
                .extracting(ServicePort::getPort)
                .containsExactly(9092);
        assertThat(kafka.getSpec().getTemplate().getMetadata().getLabels())
                .containsAllEntriesOf(bootstrap.getSpec().getSelector());
        for (String component : Rendered.SERVICES) {
            assertThat(env(chart.container(component), "KAFKA_BOOTSTRAP_SERVERS").split(",")[0])
                    .as(component)
                    .isEqualTo("exactly-once-kafka.exactly-once.svc:9092");
        }
    }

    @ParameterizedTest(
            name = "a release running {0} broker(s) asked for {1}: refused with the steps")
    @CsvSource({"1, 3", "3, 1"})
    void aRunningReleaseDoesNotChangeItsBrokerCount(int running, int asked) {
        KUBE_API.putStatefulSet("exactly-once-kafka", running);

        assertThatThrownBy(() -> Chart.render(Map.of("kafka.replicas", asked)))
                .hasMessageContaining(
                        "kafka.replicas cannot change from %d to %d on a running release"
                                .formatted(running, asked))
                .hasMessageContaining(
                        "kubectl delete statefulset,pvc -n exactly-once -l "
                                + "'app.kubernetes.io/instance=exactly-once,app.kubernetes.io/component in (kafka,postgres)'")
                .hasMessageContaining("then run the same command again");
    }

    @Test
    void theSameBrokerCountAndANewReleaseRenderAsUsual() {
        assertThat(
                        Rendered.with(Map.of("kafka.replicas", 3))
                                .find(StatefulSet.class, "exactly-once-kafka")
                                .getSpec()
                                .getReplicas())
                .isEqualTo(3);
        KUBE_API.putStatefulSet("exactly-once-kafka", 3);

        assertThat(
                        Rendered.with(Map.of("kafka.replicas", 3))
                                .find(StatefulSet.class, "exactly-once-kafka")
                                .getSpec()
                                .getReplicas())
                .isEqualTo(3);
    }

    @Test
    void oneBrokerIsReadyWhenItAcceptsConnections() {
        Container kafka = Rendered.with(Map.of()).container("kafka");

        assertThat(kafka.getReadinessProbe().getTcpSocket().getPort().getStrVal())
                .isEqualTo("kafka");
    }

    /**
     * The 3-broker readiness check, run with bash against a stand-in kafka-topics.sh that prints
     * what the real tool prints for under-replicated partitions, and a listener on the broker port.
     */
    @Test
    void threeBrokersAreReadyOnlyOnceBackInTheIsrOfTheirPartitions(@TempDir Path dir)
            throws Exception {
        try (ServerSocket broker = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Container kafka =
                    Rendered.with(Map.of("kafka.replicas", 3, "kafka.port", broker.getLocalPort()))
                            .container("kafka");
            List<String> command = kafka.getReadinessProbe().getExec().getCommand();
            assertThat(command.subList(0, 2)).containsExactly("bash", "-c");
            assertThat(kafka.getReadinessProbe().getTimeoutSeconds()).isGreaterThanOrEqualTo(20);
            Path tool = dir.resolve("kafka-topics.sh");
            Files.writeString(tool, "#!/bin/bash\nprintf '%s\\n' \"$STUB_OUTPUT\"\n");
            Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwx------"));
            String script =
                    command.get(2)
                            .replace("/tmp/", dir + "/")
                            .replace("/opt/kafka/bin/kafka-topics.sh", tool.toString());
            String node1Behind =
                    "\tTopic: orders\tPartition: 0\tLeader: 0\tReplicas: 0,1,2\tIsr: 0,2\tElr: \tLastKnownElr: ";
            String node2Behind =
                    "\tTopic: __transaction_state\tPartition: 7\tLeader: 0\tReplicas: 2,0,1\tIsr: 0,1";

            assertThat(probe(script, "1", "")).as("nothing under-replicated").isZero();
            Files.delete(dir.resolve("in-sync-since-start"));
            assertThat(probe(script, "1", node1Behind + "\n" + node2Behind))
                    .as("node 1 behind")
                    .isEqualTo(1);
            assertThat(probe(script, "1", node2Behind)).as("only another broker behind").isZero();
            // passed once since the container started: no JVM per probe any more, whatever the ISR
            assertThat(probe(script, "1", node1Behind)).isZero();
            Files.delete(dir.resolve("in-sync-since-start"));
            assertThat(probe(script, "11", node1Behind)).as("node 11 is not node 1").isZero();
        }
        try (ServerSocket closed = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = closed.getLocalPort();
            closed.close();
            Container kafka =
                    Rendered.with(Map.of("kafka.replicas", 3, "kafka.port", port))
                            .container("kafka");
            String script =
                    kafka.getReadinessProbe()
                            .getExec()
                            .getCommand()
                            .get(2)
                            .replace("/tmp/", dir + "/");

            assertThat(probe(script, "1", "")).as("not accepting connections").isEqualTo(1);
        }
    }

    @Test
    void kafkaDirectMemoryIsCappedAndTheBudgetFitsTheLimit() {
        Container kafka = Rendered.with(Map.of("kafka.replicas", 3)).container("kafka");
        String heapOptions = env(kafka, "KAFKA_HEAP_OPTS");
        long limit = bytes(kafka.getResources().getLimits().get("memory").toString());
        long heap = bytes(match(heapOptions, "-Xmx(\\d+[mg])"));
        long direct = bytes(match(heapOptions, "-XX:MaxDirectMemorySize=(\\d+[mg])"));
        long probeHeap =
                bytes(
                        match(
                                String.join(" ", kafka.getReadinessProbe().getExec().getCommand()),
                                "KAFKA_HEAP_OPTS=\"-Xmx(\\d+[mg])\""));

        // metaspace, code cache, threads of the broker and the probe's short-lived JVM beside it
        assertThat(limit - heap - direct - probeHeap).isGreaterThanOrEqualTo(256L << 20);
    }

    /**
     * The JDK caches a DNS answer for 30 s by default; a recreated pod keeps its name and gets a
     * new IP.
     */
    @Test
    void everyJvmCachesDnsBriefly() {
        Rendered chart = Rendered.with(Map.of("kafka.replicas", 3));
        for (String component : Rendered.SERVICES) {
            assertThat(env(chart.container(component), "JAVA_TOOL_OPTIONS"))
                    .as(component)
                    .contains("-Dsun.net.inetaddr.ttl=5", "-Dsun.net.inetaddr.negative.ttl=1");
        }
        // KAFKA_OPTS is one of the variables the image does not turn into a broker setting
        assertThat(env(chart.container("kafka"), "KAFKA_OPTS"))
                .contains("-Dsun.net.inetaddr.ttl=5");
    }

    private static int probe(String script, String nodeId, String describeOutput)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true);
        builder.environment().put("KAFKA_NODE_ID", nodeId);
        builder.environment().put("STUB_OUTPUT", describeOutput);
        Process process = builder.start();
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return process.exitValue();
    }

    private static String match(String text, String regex) {
        Matcher matcher = Pattern.compile(regex).matcher(text);
        assertThat(matcher.find()).as(regex + " in " + text).isTrue();
        return matcher.group(1);
    }

    private static long bytes(String quantity) {
        long number = Long.parseLong(quantity.replaceAll("\\D", ""));
        return switch (quantity.replaceAll("\\d", "")) {
            case "m", "Mi" -> number << 20;
            case "g", "Gi" -> number << 30;
            default -> throw new IllegalArgumentException(quantity);
        };
    }
}

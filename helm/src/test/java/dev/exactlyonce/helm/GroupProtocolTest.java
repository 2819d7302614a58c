package dev.exactlyonce.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * groupProtocol: the consumer and billing pods get it as APP_GROUP_PROTOCOL (their
 * app.group-protocol), the producer and query, which run no consumer group, do not; the bundled
 * Kafka holds the consumer protocol's session timeout and heartbeat interval at the services' 10 s
 * and 2 s.
 */
class GroupProtocolTest {

    @RegisterExtension static final KubeApiStub KUBE_API = new KubeApiStub();

    @ParameterizedTest(name = "groupProtocol={0}")
    @ValueSource(strings = {"classic", "consumer"})
    void reachesTheGroupConsumersOnly(String protocol) {
        Rendered chart = Rendered.with(Map.of("groupProtocol", protocol));

        assertThat(Rendered.env(chart.container("consumer"), "APP_GROUP_PROTOCOL"))
                .isEqualTo(protocol);
        assertThat(Rendered.env(chart.container("billing"), "APP_GROUP_PROTOCOL"))
                .isEqualTo(protocol);
        assertThat(Rendered.envVar(chart.container("producer"), "APP_GROUP_PROTOCOL")).isEmpty();
        assertThat(Rendered.envVar(chart.container("query"), "APP_GROUP_PROTOCOL")).isEmpty();
    }

    @ParameterizedTest(name = "groupProtocol={0}")
    @ValueSource(strings = {"classic", "consumer"})
    void theBundledKafkaHoldsTheServicesSessionForConsumerProtocolGroups(String protocol) {
        Rendered chart = Rendered.with(Map.of("groupProtocol", protocol));
        var kafka =
                chart.find(StatefulSet.class, "exactly-once-kafka")
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0);

        assertThat(Rendered.env(kafka, "KAFKA_GROUP_CONSUMER_SESSION_TIMEOUT_MS"))
                .isEqualTo("10000");
        assertThat(Rendered.env(kafka, "KAFKA_GROUP_CONSUMER_MIN_SESSION_TIMEOUT_MS"))
                .isEqualTo("10000");
        assertThat(Rendered.env(kafka, "KAFKA_GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS"))
                .isEqualTo("2000");
        assertThat(Rendered.env(kafka, "KAFKA_GROUP_CONSUMER_MIN_HEARTBEAT_INTERVAL_MS"))
                .isEqualTo("2000");
    }
}

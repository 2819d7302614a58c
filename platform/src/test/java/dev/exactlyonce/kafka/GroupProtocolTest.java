package dev.exactlyonce.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

class GroupProtocolTest {

    private static Properties groupConsumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "orders-consumer");
        p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "consumer-0");
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 2_000);
        p.put(
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
        return p;
    }

    @Test
    void classicKeepsTheClientsSessionSettings() {
        Properties p = GroupProtocol.CLASSIC.configure(groupConsumer());

        assertThat(p)
                .containsEntry(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic")
                .containsEntry(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000)
                .containsEntry(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 2_000)
                .containsEntry(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "consumer-0");
    }

    @Test
    void consumerDropsWhatOnlyClassicAcceptsAndKeepsStaticMembership() {
        Properties p = GroupProtocol.CONSUMER.configure(groupConsumer());

        assertThat(p)
                .containsEntry(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer")
                .containsEntry(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "consumer-0")
                .doesNotContainKeys(
                        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
                        ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
                        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG);
    }

    @Test
    void theKafkaClientAcceptsEachProtocolsSettings() {
        // the real client's checks: with group.protocol=consumer it refuses session.timeout.ms etc.
        for (GroupProtocol protocol : GroupProtocol.values()) {
            Properties p = protocol.configure(groupConsumer());
            try (var consumer =
                    new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
                assertThat(consumer.groupMetadata().groupInstanceId()).hasValue("consumer-0");
            }
        }
        Properties refused = groupConsumer();
        refused.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
        assertThatThrownBy(
                        () ->
                                new KafkaConsumer<>(
                                        refused,
                                        new StringDeserializer(),
                                        new StringDeserializer()))
                .hasStackTraceContaining("session.timeout.ms");
    }

    @Test
    void namesAsKafkaSpellsThem() {
        assertThat(GroupProtocol.fromName("classic")).isEqualTo(GroupProtocol.CLASSIC);
        assertThat(GroupProtocol.fromName(" Consumer ")).isEqualTo(GroupProtocol.CONSUMER);
        assertThatThrownBy(() -> GroupProtocol.fromName("streams"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("classic or consumer");
    }
}

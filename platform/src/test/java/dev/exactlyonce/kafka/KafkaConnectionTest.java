package dev.exactlyonce.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.context.ApplicationContext;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The security settings of an external Kafka (what the chart passes as KAFKA_SECURITY_PROTOCOL,
 * KAFKA_SASL_MECHANISM, KAFKA_SASL_JAAS_CONFIG, KAFKA_SSL_TRUSTSTORE_*) reach the properties every
 * client of the services starts from; without them a client gets the bootstrap servers alone.
 */
class KafkaConnectionTest {

    @Test
    void securitySettingsFromConfigurationReachEveryClientsProperties() {
        try (ApplicationContext context =
                ApplicationContext.run(
                        Map.of(
                                "kafka.bootstrap.servers", "my-cluster-kafka-bootstrap:9093",
                                "kafka.security.protocol", "SASL_SSL",
                                "kafka.sasl.mechanism", "SCRAM-SHA-512",
                                "kafka.sasl.jaas.config",
                                        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"eo\" password=\"x\";",
                                "kafka.ssl.truststore.type", "PEM",
                                "kafka.ssl.truststore.location", "/etc/kafka-ca/ca.crt"))) {
            KafkaConnection kafka = context.getBean(KafkaConnection.class);

            assertThat(kafka.properties())
                    .containsEntry("bootstrap.servers", "my-cluster-kafka-bootstrap:9093")
                    .containsEntry("security.protocol", "SASL_SSL")
                    .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                    .containsEntry("ssl.truststore.type", "PEM")
                    .containsEntry("ssl.truststore.location", "/etc/kafka-ca/ca.crt")
                    .containsKey("sasl.jaas.config");
            // a client's own setting wins, the connection's stay
            assertThat(kafka.with(Map.of("client.id", "x", "security.protocol", "SSL")))
                    .containsEntry("client.id", "x")
                    .containsEntry("security.protocol", "SSL")
                    .containsEntry("sasl.mechanism", "SCRAM-SHA-512");
        }
    }

    @Test
    void theBundledKafkaNeedsNothingButItsAddress() {
        try (ApplicationContext context =
                ApplicationContext.run(
                        Map.of(
                                "kafka.bootstrap.servers",
                                "127.0.0.1:9092",
                                "kafka.security.protocol",
                                ""))) {
            assertThat(context.getBean(KafkaConnection.class).map())
                    .containsOnly(Map.entry("bootstrap.servers", "127.0.0.1:9092"));
        }
    }
}

package dev.exactlyonce.kafka;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Where Kafka is and how a client proves who it is: the bootstrap servers, plus the client security
 * settings of an external cluster (Strimzi, a managed service) — {@code security.protocol}, {@code
 * sasl.mechanism}, {@code sasl.jaas.config}, {@code ssl.truststore.*}. Every Kafka client of the
 * services starts from {@link #properties()}, so SASL/TLS set once (the chart's
 * KAFKA_SECURITY_PROTOCOL etc.) reaches all of them; the bundled Kafka needs none of it.
 */
public record KafkaConnection(String bootstrapServers, Map<String, String> security) {

    /** The client settings an external cluster may need, as Kafka names them. */
    public static final String[] SECURITY_SETTINGS = {
        "security.protocol",
        "sasl.mechanism",
        "sasl.jaas.config",
        "ssl.truststore.type",
        "ssl.truststore.location",
        "ssl.truststore.password",
        "ssl.endpoint.identification.algorithm"
    };

    public KafkaConnection {
        security = Map.copyOf(security);
    }

    public static KafkaConnection plaintext(String bootstrapServers) {
        return new KafkaConnection(bootstrapServers, Map.of());
    }

    /** Bootstrap servers and security: what a new client's properties start with. */
    public Properties properties() {
        Properties p = new Properties();
        p.putAll(map());
        return p;
    }

    public Map<String, Object> map() {
        Map<String, Object> settings = new LinkedHashMap<>(security);
        settings.put("bootstrap.servers", bootstrapServers);
        return settings;
    }

    /** {@link #map()} plus a client's own settings (which win). */
    public Map<String, Object> with(Map<String, Object> own) {
        Map<String, Object> settings = map();
        settings.putAll(own);
        return settings;
    }
}

package dev.exactlyonce.kafka;

import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Property;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.env.Environment;
import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@link KafkaConnection} from configuration: {@code kafka.bootstrap.servers} and {@code
 * kafka.<security setting>}.
 */
@Factory
public class KafkaConnectionFactory {

    @Singleton
    @Requires(property = "kafka.bootstrap.servers")
    KafkaConnection kafkaConnection(
            @Property(name = "kafka.bootstrap.servers") String bootstrapServers,
            Environment environment) {
        Map<String, String> security = new LinkedHashMap<>();
        for (String setting : KafkaConnection.SECURITY_SETTINGS) {
            environment
                    .getProperty("kafka." + setting, String.class)
                    .filter(v -> !v.isBlank())
                    .ifPresent(value -> security.put(setting, value));
        }
        return new KafkaConnection(bootstrapServers, security);
    }
}

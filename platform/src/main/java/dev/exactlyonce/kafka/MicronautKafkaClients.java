package dev.exactlyonce.kafka;

import io.micronaut.configuration.kafka.KafkaConsumerFactory;
import io.micronaut.configuration.kafka.admin.AdminClientFactory;
import io.micronaut.configuration.kafka.config.AbstractKafkaConsumerConfiguration;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Parameter;
import io.micronaut.context.annotation.Prototype;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.exceptions.ConfigurationException;
import jakarta.inject.Singleton;
import java.util.Collection;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The Kafka clients micronaut-kafka constructs while the application context starts or stops, made
 * here in place of its own factories (Micronaut's bean replacement, {@code @Replaces}), so that a
 * service starts, and stops, while no bootstrap name resolves (on Kubernetes: a Kafka pod without
 * an IP yet). A KafkaConsumer or Admin constructor throws then: the start-up failed, or the stop
 * logged an error. Only where micronaut-kafka is on the classpath (producer, billing, query).
 *
 * <ul>
 *   <li>The consumer of each {@code @KafkaListener} (billing's OrderListener), in place of {@link
 *       KafkaConsumerFactory}: micronaut-kafka constructs it at start-up (KafkaConsumerProcessor;
 *       {@code autoStartup = false} only starts it paused, and the ConsumerRegistry can pause and
 *       resume a consumer but not create one later). Here it is a {@link DeferredConsumer}: polls
 *       return nothing until a name resolves, then the KafkaConsumer is constructed exactly as
 *       micronaut-kafka's factory would, with the subscription the listener asked for.
 *   <li>The AdminClient bean, in place of {@link AdminClientFactory}'s: KafkaConsumerGroupManager
 *       takes it (to delete {@code uniqueGroupId} groups at shutdown; the services have none), and
 *       is created with KafkaConsumerProcessor at start-up where there are listeners, and for the
 *       shutdown event everywhere else. Here it is a {@link DeferredAdminClient}, constructed by
 *       the first call that comes once a name resolves.
 * </ul>
 *
 * Each listener consumer also gets the services' one {@link GroupProtocol}. With a name that
 * resolves, both are constructed at once, as before. Readiness says "no Kafka bootstrap name
 * resolves" meanwhile ({@code server.KafkaDependency}).
 */
@Requires(classes = KafkaConsumerFactory.class)
@Factory
class MicronautKafkaClients {

    private final GroupProtocol groupProtocol;

    MicronautKafkaClients(GroupProtocol groupProtocol) {
        this.groupProtocol = groupProtocol;
    }

    @Prototype
    @Replaces(factory = KafkaConsumerFactory.class, bean = Consumer.class)
    <K, V> Consumer<K, V> createConsumer(
            @Parameter AbstractKafkaConsumerConfiguration<K, V> consumerConfiguration) {
        // the listener's group protocol (app.group-protocol), the same as the consumer service's
        Properties config = groupProtocol.configure(consumerConfiguration.getConfig());
        Optional<Deserializer<K>> keys = consumerConfiguration.getKeyDeserializer();
        Optional<Deserializer<V>> values = consumerConfiguration.getValueDeserializer();
        if (keys.isPresent() != values.isPresent()) {
            // what KafkaConsumerFactory says
            throw new ConfigurationException(
                    "Both the [keyDeserializer] and [valueDeserializer] must be set when setting either");
        }
        return DeferredConsumer.of(
                bootstrapServers(config),
                String.valueOf(config.get(ConsumerConfig.CLIENT_ID_CONFIG)),
                () ->
                        keys.isPresent()
                                ? new KafkaConsumer<>(config, keys.get(), values.get())
                                : new KafkaConsumer<>(config));
    }

    @Singleton
    @Bean(preDestroy = "close")
    @Requires(beans = KafkaDefaultConfiguration.class)
    @Replaces(factory = AdminClientFactory.class, bean = AdminClient.class)
    AdminClient adminClient(KafkaDefaultConfiguration configuration) {
        Properties config = configuration.getConfig();
        return DeferredAdminClient.of(bootstrapServers(config), () -> AdminClient.create(config));
    }

    private static String bootstrapServers(Properties config) {
        Object configured = config.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG);
        if (configured instanceof Collection<?> servers) {
            return servers.stream().map(String::valueOf).collect(Collectors.joining(","));
        }
        return String.valueOf(configured);
    }
}

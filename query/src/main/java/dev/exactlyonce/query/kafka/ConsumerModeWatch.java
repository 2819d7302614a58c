package dev.exactlyonce.query.kafka;

import dev.exactlyonce.grpc.v1.ConsumerConfig;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.kafka.KafkaConnection;
import dev.exactlyonce.kafka.SharedSettings;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;

/**
 * The consumer's processing mode as every consumer replica applies it: the newest "consumer" value
 * in the shared settings topic. Started on first use, so that the query service boots without
 * Kafka.
 */
@Singleton
public class ConsumerModeWatch {

    private final KafkaConnection kafka;
    private SharedSettings<ConsumerConfig> settings;

    public ConsumerModeWatch(KafkaConnection kafka) {
        this.kafka = kafka;
    }

    /**
     * DELIVERY_MODE_UNSPECIFIED when no consumer setting was ever stored (the consumer runs on its
     * defaults).
     */
    public synchronized DeliveryMode processingMode() {
        if (settings == null) {
            settings =
                    new SharedSettings<>(
                                    kafka,
                                    "consumer",
                                    ConsumerConfig.getDefaultInstance(),
                                    ConsumerConfig.parser(),
                                    value -> {})
                            .start(Duration.ofSeconds(5));
        }
        return settings.current().getProcessingMode();
    }

    @PreDestroy
    synchronized void close() {
        if (settings != null) {
            settings.close();
        }
    }
}

package dev.exactlyonce.testkit;

import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/** The official apache/kafka and postgres images through Testcontainers. */
final class ContainerInfrastructure implements Infrastructure {

    /**
     * Same Kafka version as the clients and the embedded broker; same PostgreSQL major as zonky's
     * binaries.
     */
    static final String KAFKA_IMAGE = "apache/kafka:" + EmbeddedKafkaBroker.kafkaVersion();

    static final String POSTGRES_IMAGE = "postgres:17";

    private final KafkaContainer kafka;
    private final PostgreSQLContainer<?> postgres;

    ContainerInfrastructure() {
        kafka =
                new KafkaContainer(DockerImageName.parse(KAFKA_IMAGE))
                        .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
                        .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
                        .withEnv("KAFKA_GROUP_MIN_SESSION_TIMEOUT_MS", "1000")
                        // as EmbeddedKafkaBroker: the consumer group protocol's session on the
                        // broker
                        .withEnv("KAFKA_GROUP_CONSUMER_MIN_SESSION_TIMEOUT_MS", "1000")
                        .withEnv("KAFKA_GROUP_CONSUMER_SESSION_TIMEOUT_MS", "10000")
                        .withEnv("KAFKA_GROUP_CONSUMER_MIN_HEARTBEAT_INTERVAL_MS", "1000")
                        .withEnv("KAFKA_GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS", "2000");
        postgres =
                new PostgreSQLContainer<>(DockerImageName.parse(POSTGRES_IMAGE))
                        .withDatabaseName(EmbeddedPostgresDatabase.DATABASE)
                        .withUsername(EmbeddedPostgresDatabase.USER)
                        .withPassword(EmbeddedPostgresDatabase.PASSWORD);
        kafka.start();
        postgres.start();
    }

    @Override
    public String bootstrapServers() {
        return kafka.getBootstrapServers();
    }

    @Override
    public String jdbcUrl() {
        return postgres.getJdbcUrl();
    }

    @Override
    public String jdbcUser() {
        return postgres.getUsername();
    }

    @Override
    public String jdbcPassword() {
        return postgres.getPassword();
    }

    @Override
    public String kind() {
        return "containers";
    }

    @Override
    public void close() {
        kafka.stop();
        postgres.stop();
    }
}

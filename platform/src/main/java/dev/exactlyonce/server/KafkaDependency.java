package dev.exactlyonce.server;

import dev.exactlyonce.kafka.KafkaConnection;
import dev.exactlyonce.kafka.Topics;
import io.micronaut.context.annotation.Requires;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/**
 * The Kafka cluster; the first successful check also creates the pipeline's topics if they are
 * missing.
 */
@Singleton
@Requires(property = "kafka.bootstrap.servers")
public class KafkaDependency implements Dependency {

    private final String bootstrapServers;
    private final Admin admin;
    private volatile boolean topicsEnsured;

    public KafkaDependency(KafkaConnection kafka) {
        this.bootstrapServers = kafka.bootstrapServers();
        this.admin =
                Admin.create(
                        kafka.with(
                                Map.of(
                                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000,
                                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000,
                                        AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000)));
    }

    @Override
    public String name() {
        return "Kafka";
    }

    @Override
    public String location() {
        return bootstrapServers;
    }

    @Override
    public void check() throws Exception {
        admin.describeCluster(new DescribeClusterOptions().timeoutMs(3_000))
                .nodes()
                .get(4, TimeUnit.SECONDS);
        if (!topicsEnsured) {
            Topics.ensureExist(admin, 5_000);
            topicsEnsured = true;
        }
    }

    @PreDestroy
    void close() {
        admin.close(java.time.Duration.ofSeconds(1));
    }
}

package dev.exactlyonce.server;

import dev.exactlyonce.kafka.KafkaBootstrap;
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
 * missing. Its Admin client is created by the first check at which a bootstrap name resolves (see
 * {@link KafkaBootstrap}): until then each check fails with "no Kafka bootstrap name resolves
 * (...)", which is readiness's reason, instead of the constructor ending the start-up.
 */
@Singleton
@Requires(property = "kafka.bootstrap.servers")
public class KafkaDependency implements Dependency {

    private final KafkaConnection kafka;
    private Admin admin;
    private boolean closed;
    private volatile boolean topicsEnsured;

    public KafkaDependency(KafkaConnection kafka) {
        this.kafka = kafka;
    }

    @Override
    public String name() {
        return "Kafka";
    }

    @Override
    public String location() {
        return kafka.bootstrapServers();
    }

    @Override
    public void check() throws Exception {
        Admin admin = admin();
        admin.describeCluster(new DescribeClusterOptions().timeoutMs(3_000))
                .nodes()
                .get(4, TimeUnit.SECONDS);
        if (!topicsEnsured) {
            Topics.ensureExist(admin, 5_000);
            topicsEnsured = true;
        }
    }

    private synchronized Admin admin() {
        if (closed) {
            throw new IllegalStateException("shutting down");
        }
        if (admin == null) {
            admin = KafkaBootstrap.create(kafka.bootstrapServers(), this::newAdmin);
        }
        return admin;
    }

    private Admin newAdmin() {
        return Admin.create(
                kafka.with(
                        Map.of(
                                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000,
                                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000,
                                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000)));
    }

    @PreDestroy
    synchronized void close() {
        closed = true;
        if (admin != null) {
            admin.close(java.time.Duration.ofSeconds(1));
        }
    }
}

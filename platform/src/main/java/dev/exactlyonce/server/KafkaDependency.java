package dev.exactlyonce.server;

import dev.exactlyonce.kafka.KafkaBootstrap;
import dev.exactlyonce.kafka.KafkaConnection;
import dev.exactlyonce.kafka.Topics;
import io.micronaut.context.annotation.Requires;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka cluster; the first successful check also creates the pipeline's topics if they are
 * missing. Its Admin client is created by the first check at which a bootstrap name resolves (see
 * {@link KafkaBootstrap}): until then each check fails with "no Kafka bootstrap name resolves
 * (...)", which is readiness's reason, instead of the constructor ending the start-up.
 *
 * <p>An Admin that has failed every check for {@link #REPLACE_AFTER} is closed and a new one made:
 * after replies were dropped on its connections and brokers restarted, one was seen to fail every
 * call ("Timed out waiting to send the call") for minutes while the service's own clients worked,
 * and readiness said NOT_SERVING all that time.
 */
@Singleton
@Requires(property = "kafka.bootstrap.servers")
public class KafkaDependency implements Dependency {

    static final Duration REPLACE_AFTER = Duration.ofSeconds(15);
    private static final Logger LOG = LoggerFactory.getLogger(KafkaDependency.class);

    private final KafkaConnection kafka;
    private final Duration replaceAfter;
    private Admin admin;
    private long failingSince;
    private int adminsCreated;
    private boolean closed;
    private volatile boolean topicsEnsured;

    @Inject
    public KafkaDependency(KafkaConnection kafka) {
        this(kafka, REPLACE_AFTER);
    }

    KafkaDependency(KafkaConnection kafka, Duration replaceAfter) {
        this.kafka = kafka;
        this.replaceAfter = replaceAfter;
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
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(3_000))
                    .nodes()
                    .get(4, TimeUnit.SECONDS);
            if (!topicsEnsured) {
                Topics.ensureExist(admin, 5_000);
                topicsEnsured = true;
            }
            failingSince = 0;
        } catch (Exception e) {
            replaceIfFailingTooLong(admin);
            throw e;
        }
    }

    private synchronized void replaceIfFailingTooLong(Admin failing) {
        long now = System.nanoTime();
        if (failingSince == 0) {
            failingSince = now;
        } else if (now - failingSince >= replaceAfter.toNanos() && failing == admin) {
            LOG.info("Kafka Admin failed every check for {}: replaced by a new one", replaceAfter);
            admin = null;
            failingSince = 0;
            failing.close(Duration.ZERO);
        }
    }

    /** How many Admin clients this dependency made (a replaced one counts). */
    synchronized int adminsCreated() {
        return adminsCreated;
    }

    private synchronized Admin admin() {
        if (closed) {
            throw new IllegalStateException("shutting down");
        }
        if (admin == null) {
            admin = KafkaBootstrap.create(kafka.bootstrapServers(), this::newAdmin);
            adminsCreated++;
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
            admin.close(Duration.ofSeconds(1));
        }
    }
}

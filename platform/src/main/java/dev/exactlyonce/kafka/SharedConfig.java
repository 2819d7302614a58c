package dev.exactlyonce.kafka;

import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.exactlyonce.server.Dependency;
import dev.exactlyonce.server.KafkaDependency;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's runtime config (its proto {@code *Config}), shared by every replica through the
 * settings topic under one key. The service reads {@link #current()} once per poll or batch, so a
 * change applies at the next one without a restart; a restarted replica starts with the newest
 * stored value. Each service subclasses it once ({@code SharedConsumerConfig}, {@code
 * SharedBillingConfig}) with its defaults and its {@link Rules}.
 *
 * <p>It is also one of the service's readiness {@link Dependency dependencies}: until this replica
 * has read the stored value it processes nothing ({@link #awaitLoaded}), and its health says so
 * (NOT_SERVING, "shared settings ... not read yet") rather than SERVING while it waits.
 *
 * @param <C> the config message
 * @param <U> the update request: only the fields it sets change
 */
public abstract class SharedConfig<C extends Message, U> implements Dependency, AutoCloseable {

    /** A service's config rules: the one place that validates and merges its settings. */
    public interface Rules<C, U> {

        /** {@code current} with every field set in {@code update}; throws InvalidSetting. */
        C merge(C current, U update);

        /** A value read back from the settings topic: every field must pass the rules. */
        void check(C stored);
    }

    private static final Logger LOG = LoggerFactory.getLogger(SharedConfig.class);
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration FIRST_READ_TIMEOUT = Duration.ofSeconds(10);

    private final String key;
    private final SharedSettings<C> settings;
    private final Rules<C, U> rules;

    protected SharedConfig(
            String key,
            C defaults,
            Parser<C> parser,
            Rules<C, U> rules,
            KafkaDependency kafkaDependency,
            KafkaConnection kafka) {
        this.key = key;
        this.rules = rules;
        try {
            // creates the topics, the settings topic among them, on a fresh cluster
            kafkaDependency.check();
        } catch (Exception e) {
            LOG.warn(
                    "Kafka not reachable yet ({}); {} settings start from the defaults until it is",
                    e.toString(),
                    key);
        }
        this.settings =
                new SharedSettings<>(kafka, key, defaults, parser, rules::check, value -> {})
                        .start(FIRST_READ_TIMEOUT);
    }

    /** The newest stored value, or the defaults while {@link #awaitLoaded} would return false. */
    public C current() {
        return settings.current();
    }

    /**
     * Waits at most {@code timeout} until this replica has read the newest stored value. A replica
     * that started while the settings topic was unreadable holds the defaults, which may name
     * another delivery mode than the one set at runtime: nothing may be processed under them.
     */
    public boolean awaitLoaded(Duration timeout) throws InterruptedException {
        return settings.awaitCaughtUp(timeout);
    }

    @Override
    public String name() {
        return "shared settings";
    }

    @Override
    public String location() {
        return Topics.SETTINGS + " (key " + key + ")";
    }

    /** Fails until this replica has read the stored value: nothing is processed until then. */
    @Override
    public void check() {
        if (!settings.caughtUp()) {
            throw new IllegalStateException(
                    "not read yet (settings topic unreadable): no order is processed until they"
                            + " are");
        }
    }

    /** Validates, merges and writes durably; returns the value every replica now applies. */
    public synchronized C update(U update) throws TimeoutException, InterruptedException {
        return settings.publish(rules.merge(current(), update), WRITE_TIMEOUT);
    }

    @Override
    public void close() {
        settings.close();
    }
}

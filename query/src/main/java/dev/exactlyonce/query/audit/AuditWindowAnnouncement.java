package dev.exactlyonce.query.audit;

import dev.exactlyonce.grpc.v1.ResetResponse;
import dev.exactlyonce.kafka.KafkaConnection;
import dev.exactlyonce.kafka.SharedSettings;
import dev.exactlyonce.kafka.Topics;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the other services that Reset opened a new audit window: the window's start offsets go to
 * {@code exactly-once.settings} under {@link Topics#AUDIT_WINDOW_SETTING}. Billing's retry dedup
 * follows it, so that after Reset an order id is new again on the invoice leg as it is on
 * PostgreSQL's (Reset empties processed_messages).
 */
@Singleton
public class AuditWindowAnnouncement {

    private static final Logger LOG = LoggerFactory.getLogger(AuditWindowAnnouncement.class);

    private final KafkaConnection kafka;
    private SharedSettings<ResetResponse> settings;

    public AuditWindowAnnouncement(KafkaConnection kafka) {
        this.kafka = kafka;
    }

    /**
     * Best effort: the window is opened in PostgreSQL either way; billing then keeps its older
     * memory.
     */
    public synchronized void announce(ResetResponse window) {
        try {
            if (settings == null) {
                settings =
                        new SharedSettings<>(
                                        kafka,
                                        Topics.AUDIT_WINDOW_SETTING,
                                        ResetResponse.getDefaultInstance(),
                                        ResetResponse.parser(),
                                        value -> {})
                                .start(Duration.ofSeconds(5));
            }
            settings.publish(window, Duration.ofSeconds(10));
        } catch (Exception e) {
            LOG.warn(
                    "new audit window not announced in exactly-once.settings ({}); billing's retry dedup still reaches "
                            + "across this Reset",
                    e.toString());
        }
    }

    @PreDestroy
    synchronized void close() {
        if (settings != null) {
            settings.close();
        }
    }
}

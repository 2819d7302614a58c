package dev.exactlyonce.kafka;

import dev.exactlyonce.grpc.v1.OrderEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/** The pipeline's Kafka topics: names, partition counts, and the one place that creates them. */
public final class Topics {

    /**
     * Orders, keyed by order_id. Three partitions: up to three consumer replicas share the work.
     */
    public static final String ORDERS = "orders";

    public static final int ORDERS_PARTITIONS = 3;

    /**
     * Records that failed max_attempts times or could not be deserialized, with the error in
     * headers.
     */
    public static final String DLQ = "orders.dlq";

    /**
     * Invoices, written by billing (one per order), keyed by order_id; read with read_committed.
     * Co-partitioned with "orders": the invoice of an order of partition p goes to partition p,
     * which is where billing looks up what it already invoiced (so the partition counts must stay
     * equal).
     */
    public static final String INVOICES = "invoices";

    public static final int INVOICES_PARTITIONS = ORDERS_PARTITIONS;

    /**
     * Orders billing could not invoice: undecodable, or failed max_attempts times; error in
     * headers.
     */
    public static final String BILLING_DLQ = "billing.dlq";

    /**
     * Compacted; the newest value per key ("producer", "consumer", "billing") is the setting every
     * replica applies.
     */
    public static final String SETTINGS = "exactly-once.settings";

    /**
     * The exactly-once.settings key under which QueryService's Reset announces a new audit window
     * (a ResetResponse): billing's retry dedup starts over there, as the consumer's does when Reset
     * empties processed_messages.
     */
    public static final String AUDIT_WINDOW_SETTING = "audit-window";

    /** Record headers. */
    public static final String HEADER_MESSAGE_ID = "message-id";

    public static final String HEADER_TRACEPARENT = "traceparent";
    public static final String HEADER_INVOICE_ID = "invoice-id";

    private Topics() {}

    /**
     * The message id that names a record of topic orders: its OrderEvent's message_id, else its
     * message-id header, else null. Consumer, billing and the audit all name a record by this one
     * rule, so a dead letter and the log it came from agree on its name.
     *
     * @param order the record's value, or null when it is not an OrderEvent (then only the header
     *     can name it)
     */
    public static String messageId(OrderEvent order, Headers headers) {
        return order != null && !order.getMessageId().isEmpty()
                ? order.getMessageId()
                : header(headers, HEADER_MESSAGE_ID);
    }

    /** A header's last value as UTF-8 text; null when it is absent or empty. */
    public static String header(Headers headers, String name) {
        Header header = headers == null ? null : headers.lastHeader(name);
        return header == null || header.value() == null || header.value().length == 0
                ? null
                : new String(header.value(), StandardCharsets.UTF_8);
    }

    public static List<NewTopic> definitions() {
        return List.of(
                new NewTopic(ORDERS, Optional.of(ORDERS_PARTITIONS), Optional.empty()),
                new NewTopic(DLQ, Optional.of(1), Optional.empty()),
                new NewTopic(INVOICES, Optional.of(INVOICES_PARTITIONS), Optional.empty()),
                new NewTopic(BILLING_DLQ, Optional.of(1), Optional.empty()),
                new NewTopic(SETTINGS, Optional.of(1), Optional.empty())
                        .configs(
                                Map.of(
                                        TopicConfig.CLEANUP_POLICY_CONFIG,
                                        TopicConfig.CLEANUP_POLICY_COMPACT)));
    }

    /** Creates the topics that do not exist yet; safe to call from every replica at start-up. */
    public static void ensureExist(Admin admin, long timeoutMs)
            throws InterruptedException, TimeoutException {
        for (NewTopic topic : definitions()) {
            try {
                admin.createTopics(List.of(topic)).all().get(timeoutMs, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException(
                            "could not create topic "
                                    + topic.name()
                                    + ": "
                                    + e.getCause().getMessage(),
                            e.getCause());
                }
            }
        }
    }
}

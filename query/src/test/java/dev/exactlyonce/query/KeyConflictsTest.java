package dev.exactlyonce.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.AuditRequest;
import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.DuplicateStats;
import dev.exactlyonce.grpc.v1.GetDuplicateStatsRequest;
import dev.exactlyonce.grpc.v1.GetStatsRequest;
import dev.exactlyonce.grpc.v1.KeyConflict;
import dev.exactlyonce.grpc.v1.ResetRequest;
import dev.exactlyonce.grpc.v1.Stats;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A key reused for another order, as the consumer leaves it: the first order stored, the second
 * refused and recorded in order_conflicts, both records in Kafka under one message id. GetStats,
 * GetDuplicateStats and Audit report the conflict; the audit counts the refused order as accounted
 * for, not lost, and not as a duplicate.
 */
@MicronautTest(transactional = false)
class KeyConflictsTest extends QueryTestSupport {

    private static final AuditedGroups GROUPS = AuditedGroups.named("key-conflicts-test");
    private static final byte[] STORED = fingerprint(1);
    private static final byte[] OFFERED = fingerprint(2);

    @Override
    Map<String, String> extraProperties() {
        return GROUPS.properties();
    }

    @BeforeEach
    void newWindow() throws Exception {
        freshWindow();
    }

    @Test
    void aReusedKeyIsOneStoredOrderAndOneConflictInEveryReport() throws Exception {
        String reusedKey = "m-" + System.nanoTime();
        List<String> messageIds = List.of(reusedKey, reusedKey + "-b", reusedKey + "-c");
        // the second record of the reused key: same message id, another order
        produce(
                List.of(
                        messageIds.get(0),
                        messageIds.get(1),
                        messageIds.get(2),
                        messageIds.get(0)));
        storeOrders(messageIds);
        insertConflict(reusedKey, "order-" + reusedKey, 1, 42, "cust-2");
        caughtUp(GROUPS.consumer());

        Stats stats = query().getStats(GetStatsRequest.getDefaultInstance());
        assertThat(stats.getTotalOrders()).isEqualTo(3);
        assertThat(stats.getDuplicateRows()).isZero();
        assertThat(stats.getKeyConflicts()).isEqualTo(1);

        DuplicateStats duplicates =
                query().getDuplicateStats(GetDuplicateStatsRequest.getDefaultInstance());
        assertThat(duplicates.getExactlyOnceHolds())
                .as("a refused order is not a duplicate")
                .isTrue();
        assertThat(duplicates.getKeyConflicts()).isEqualTo(1);
        KeyConflict conflict = duplicates.getConflicts(0);
        assertThat(conflict.getOrderId()).isEqualTo("order-" + reusedKey);
        assertThat(conflict.getMessageId()).isEqualTo(reusedKey);
        assertThat(conflict.getStoredFingerprint()).isEqualTo(HexFormat.of().formatHex(STORED));
        assertThat(conflict.getOfferedFingerprint()).isEqualTo(HexFormat.of().formatHex(OFFERED));
        assertThat(conflict.getPartition()).isEqualTo(1);
        assertThat(conflict.getOffset()).isEqualTo(42);
        assertThat(conflict.getCustomerId()).isEqualTo("cust-2");
        assertThat(conflict.getTotalAmount()).isEqualTo(5.5);
        assertThat(conflict.hasDetectedAt()).isTrue();

        // the client placed 4 orders and saw each acknowledged: 3 stored, 1 refused and recorded
        AuditResponse audit =
                query().audit(
                                AuditRequest.newBuilder()
                                        .setWaitSeconds(5)
                                        .setAcknowledged(4)
                                        .build());
        assertThat(audit.getKeyConflicts()).isEqualTo(1);
        assertThat(audit.getKeyConflictRecords()).isEqualTo(1);
        assertThat(audit.getCommittedInKafka()).isEqualTo(3);
        assertThat(audit.getStoredDistinct()).isEqualTo(3);
        assertThat(audit.getLost()).isZero();
        assertThat(audit.getDuplicated()).isZero();
        assertThat(audit.getVerdict())
                .as("a refused order is named, never exactly once")
                .isEqualTo("STORED_ONCE_EXCEPT (1 key conflict)");
    }

    @Test
    void resetEmptiesTheConflictsWithTheOrders() throws Exception {
        insertConflict("m-" + System.nanoTime(), "order-x", 0, 7, "cust-2");
        assertThat(query().getStats(GetStatsRequest.getDefaultInstance()).getKeyConflicts())
                .isEqualTo(1);

        query().reset(ResetRequest.getDefaultInstance());

        assertThat(query().getStats(GetStatsRequest.getDefaultInstance()).getKeyConflicts())
                .isZero();
        assertThat(
                        query().getDuplicateStats(GetDuplicateStatsRequest.getDefaultInstance())
                                .getConflictsList())
                .isEmpty();
    }

    private static byte[] fingerprint(int seed) {
        byte[] bytes = new byte[32];
        java.util.Arrays.fill(bytes, (byte) seed);
        return bytes;
    }

    /** An order_conflicts row as the consumer writes it. */
    private static void insertConflict(
            String messageId, String orderId, int partition, long offset, String customer)
            throws Exception {
        try (Connection c = database();
                PreparedStatement ps =
                        c.prepareStatement(
                                "INSERT INTO order_conflicts (message_id, order_id, stored_fingerprint, offered_fingerprint, "
                                        + "kafka_partition, kafka_offset, customer_id, items, total_amount, processing_mode, consumer_id) "
                                        + "VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS jsonb), 5.50, 'EXACTLY_ONCE', 'consumer-test')")) {
            ps.setString(1, messageId);
            ps.setString(2, orderId);
            ps.setBytes(3, STORED);
            ps.setBytes(4, OFFERED);
            ps.setInt(5, partition);
            ps.setLong(6, offset);
            ps.setString(7, customer);
            ps.setString(8, "[{\"name\":\"Gadget\",\"quantity\":1,\"price\":5.5}]");
            ps.executeUpdate();
        }
    }
}

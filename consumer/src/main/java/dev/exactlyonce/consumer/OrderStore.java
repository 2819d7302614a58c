package dev.exactlyonce.consumer;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import io.micronaut.data.jdbc.runtime.JdbcOperations;
import jakarta.inject.Singleton;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The consumer's SQL, set-based: each statement covers a whole poll batch by binding one array per
 * column and expanding it with {@code unnest}, so a batch of 2000 records costs three round trips, not
 * 2000. Micronaut Data's {@code @Query} binds one value per parameter, hence {@link JdbcOperations}, which
 * runs on the connection of the surrounding transaction (see {@link BatchWriter}).
 */
@Singleton
class OrderStore {

    /** The dedup insert: RETURNING gives the message ids that were new. Copies within the batch are new once. */
    private static final String INSERT_PROCESSED = """
            INSERT INTO processed_messages (message_id, order_id, kafka_partition, kafka_offset)
            SELECT * FROM unnest(?::varchar[], ?::varchar[], ?::int[], ?::bigint[])
            ON CONFLICT (message_id) DO NOTHING
            RETURNING message_id""";

    private static final String INSERT_ORDERS = """
            INSERT INTO orders (processing_mode, consumer_id, order_id, message_id, customer_id, items, total_amount,
                                kafka_partition, kafka_offset, produced_at)
            SELECT ?, ?, o, m, c, i::jsonb, a::numeric, p, k, t::timestamptz
            FROM unnest(?::varchar[], ?::varchar[], ?::varchar[], ?::text[], ?::text[], ?::int[], ?::bigint[], ?::text[])
                 AS r(o, m, c, i, a, p, k, t)""";

    /**
     * Zombie fencing: the row moves only if it still holds the offset this consumer read it at
     * (-1: this consumer saw no row). A consumer that lost the partition finds another value and
     * updates nothing, and its transaction rolls back.
     */
    private static final String ADVANCE_OFFSET = """
            INSERT INTO kafka_offsets AS k (consumer_group, topic, kafka_partition, next_offset, owner, generation)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (consumer_group, topic, kafka_partition) DO UPDATE
            SET next_offset = EXCLUDED.next_offset, owner = EXCLUDED.owner, generation = EXCLUDED.generation,
                updated_at = clock_timestamp()
            WHERE k.next_offset = ?""";

    private static final String READ_OFFSETS =
            "SELECT kafka_partition, next_offset FROM kafka_offsets WHERE consumer_group = ? AND topic = ?";

    /** A partition's offset move within one transaction: from what this consumer expects to the new next offset. */
    record OffsetAdvance(int partition, long expected, long next) {
    }

    /** The transaction was fenced: another consumer moved the partition's stored offset. */
    static final class FencedException extends RuntimeException {
        FencedException(String message) {
            super(message);
        }
    }

    private final JdbcOperations jdbc;

    OrderStore(JdbcOperations jdbc) {
        this.jdbc = jdbc;
    }

    /** Inserts the batch's message ids into processed_messages; returns those that were not there yet. */
    Set<String> insertProcessedMessages(List<OrderRow> rows) {
        return jdbc.prepareStatement(INSERT_PROCESSED, ps -> {
            Connection c = ps.getConnection();
            int n = rows.size();
            String[] messageIds = new String[n];
            String[] orderIds = new String[n];
            Integer[] partitions = new Integer[n];
            Long[] offsets = new Long[n];
            for (int i = 0; i < n; i++) {
                OrderRow row = rows.get(i);
                messageIds[i] = row.messageId();
                orderIds[i] = row.orderId();
                partitions[i] = row.partition();
                offsets[i] = row.offset();
            }
            bind(ps, 1, c.createArrayOf("varchar", messageIds));
            bind(ps, 2, c.createArrayOf("varchar", orderIds));
            bind(ps, 3, c.createArrayOf("int4", partitions));
            bind(ps, 4, c.createArrayOf("int8", offsets));
            Set<String> inserted = new HashSet<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    inserted.add(rs.getString(1));
                }
            }
            return inserted;
        });
    }

    int insertOrders(List<OrderRow> rows, DeliveryMode mode, String consumerId) {
        if (rows.isEmpty()) {
            return 0;
        }
        return jdbc.prepareStatement(INSERT_ORDERS, ps -> {
            Connection c = ps.getConnection();
            int n = rows.size();
            String[] orderIds = new String[n];
            String[] messageIds = new String[n];
            String[] customers = new String[n];
            String[] items = new String[n];
            String[] amounts = new String[n];
            Integer[] partitions = new Integer[n];
            Long[] offsets = new Long[n];
            String[] producedAt = new String[n];
            for (int i = 0; i < n; i++) {
                OrderRow row = rows.get(i);
                orderIds[i] = row.orderId();
                messageIds[i] = row.messageId();
                customers[i] = row.customerId();
                items[i] = row.itemsJson();
                amounts[i] = row.totalAmount().toPlainString();
                partitions[i] = row.partition();
                offsets[i] = row.offset();
                producedAt[i] = row.producedAt().toString();
            }
            ps.setString(1, mode.name());
            ps.setString(2, consumerId);
            bind(ps, 3, c.createArrayOf("varchar", orderIds));
            bind(ps, 4, c.createArrayOf("varchar", messageIds));
            bind(ps, 5, c.createArrayOf("varchar", customers));
            bind(ps, 6, c.createArrayOf("text", items));
            bind(ps, 7, c.createArrayOf("text", amounts));
            bind(ps, 8, c.createArrayOf("int4", partitions));
            bind(ps, 9, c.createArrayOf("int8", offsets));
            bind(ps, 10, c.createArrayOf("text", producedAt));
            return ps.executeUpdate();
        });
    }

    /** Moves the stored offsets; throws FencedException (the caller's transaction rolls back) for a stale owner. */
    void advanceOffsets(String group, String topic, List<OffsetAdvance> advances, String owner, int generation) {
        jdbc.prepareStatement(ADVANCE_OFFSET, ps -> {
            for (OffsetAdvance advance : advances) {
                ps.setString(1, group);
                ps.setString(2, topic);
                ps.setInt(3, advance.partition());
                ps.setLong(4, advance.next());
                ps.setString(5, owner);
                ps.setInt(6, generation);
                ps.setLong(7, advance.expected());
                if (ps.executeUpdate() != 1) {
                    throw new FencedException("partition " + advance.partition() + " of " + topic
                            + ": stored offset is no longer " + advance.expected() + " (another consumer owns it now)");
                }
            }
            return null;
        });
    }

    /** The stored next offset per partition of the group; within a (read) transaction. */
    Map<Integer, Long> readOffsets(String group, String topic) {
        return jdbc.prepareStatement(READ_OFFSETS, ps -> {
            ps.setString(1, group);
            ps.setString(2, topic);
            Map<Integer, Long> offsets = new HashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    offsets.put(rs.getInt(1), rs.getLong(2));
                }
            }
            return offsets;
        });
    }

    private static void bind(PreparedStatement ps, int index, Array array) throws SQLException {
        ps.setArray(index, array);
    }
}

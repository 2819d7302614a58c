package dev.exactlyonce.consumer;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import io.micronaut.data.jdbc.runtime.JdbcOperations;
import jakarta.inject.Singleton;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The consumer's SQL, set-based: each statement covers a whole poll batch, so a batch of 2000
 * records costs a handful of round trips, not 2000: the dedup goes in by COPY inside a savepoint
 * when every message id is new, else (a replay, a retry, a reused key) by one statement that binds
 * one array per column, expands it with {@code unnest} and sorts out the repeats with ON CONFLICT
 * and RETURNING; the order rows go in with COPY, and the GetStats counters move once. Micronaut
 * Data's {@code @Query} binds one value per parameter and knows no COPY, hence {@link
 * JdbcOperations}, which runs on the connection of the surrounding transaction (see {@link
 * BatchWriter}).
 */
@Singleton
class OrderStore {

    /**
     * The dedup insert and its verdict, in one statement (one round trip per batch): inserts every
     * message id not stored yet, with the record's content fingerprint, and returns only the
     * records that were NOT first: their position, and whether the fingerprint stored under their
     * message id (by an earlier transaction, or by an earlier record of this batch) differs from
     * theirs. Same fingerprint: a retry or a replay (a duplicate). Another one: the key was reused
     * for a different order (a conflict). In a batch the earliest offset of a message id is the one
     * inserted (ORDER BY), so it is the one the later copies are compared with. The join to
     * processed_messages reads the statement's snapshot, i.e. the rows from before this insert; a
     * NULL stored fingerprint (a row from before V3) cannot be compared: a duplicate.
     */
    private static final String INSERT_PROCESSED =
            """
            WITH offered AS (
                SELECT * FROM unnest(?::varchar[], ?::varchar[], ?::int[], ?::bigint[], ?::text[])
                       AS r(message_id, order_id, kafka_partition, kafka_offset, fingerprint_hex)
            ), first_seen AS (
                INSERT INTO processed_messages (message_id, order_id, kafka_partition, kafka_offset, fingerprint)
                SELECT message_id, order_id, kafka_partition, kafka_offset, decode(fingerprint_hex, 'hex')
                FROM offered ORDER BY kafka_partition, kafka_offset
                ON CONFLICT (message_id) DO NOTHING
                RETURNING message_id, kafka_partition, kafka_offset, fingerprint
            ), repeats AS (
                SELECT o.message_id, o.kafka_partition, o.kafka_offset, decode(o.fingerprint_hex, 'hex') AS offered,
                       f.fingerprint AS stored_in_batch
                FROM offered o LEFT JOIN first_seen f ON f.message_id = o.message_id
                WHERE f.kafka_partition IS DISTINCT FROM o.kafka_partition OR f.kafka_offset IS DISTINCT FROM o.kafka_offset
            )
            SELECT r.kafka_partition, r.kafka_offset, encode(s.stored, 'hex') AS stored_hex,
                   coalesce(s.stored <> r.offered, false) AS conflicting
            FROM repeats r
            LEFT JOIN processed_messages p ON p.message_id = r.message_id
            CROSS JOIN LATERAL (SELECT coalesce(p.fingerprint, r.stored_in_batch) AS stored) s""";

    /**
     * The dedup's common case, every message id of the batch new: the same rows by COPY, with no ON
     * CONFLICT, arrays or planner. processed_messages' primary key refuses a message id stored
     * before (or by a concurrent transaction, once it commits); then nothing of the COPY stays and
     * the batch takes {@link #INSERT_PROCESSED}, which tells each repeat apart. One backend spends
     * ~19 µs per record on the whole exactly-once transaction this way against ~24 µs with the
     * statement alone (docs/results.md, "The database leg's own ceiling").
     */
    private static final String COPY_PROCESSED =
            "COPY processed_messages (message_id, order_id, kafka_partition, kafka_offset, fingerprint) FROM STDIN";

    /**
     * The order in which both dedup paths insert: the statement's ORDER BY, so that transactions
     * writing the same ids lock them in one order.
     */
    private static final Comparator<OrderRow> BY_POSITION =
            Comparator.comparingInt(OrderRow::partition).thenComparingLong(OrderRow::offset);

    /**
     * A reused key: the refused order, kept whole; once per Kafka position however often it is
     * replayed.
     */
    private static final String INSERT_CONFLICTS =
            """
            INSERT INTO order_conflicts (processing_mode, consumer_id, message_id, order_id, stored_fingerprint,
                                         offered_fingerprint, kafka_partition, kafka_offset, customer_id, items,
                                         total_amount)
            SELECT ?, ?, m, o, decode(s, 'hex'), decode(f, 'hex'), p, k, c, i::jsonb, a::numeric
            FROM unnest(?::varchar[], ?::varchar[], ?::text[], ?::text[], ?::int[], ?::bigint[], ?::varchar[], ?::text[],
                        ?::text[]) AS r(m, o, s, f, p, k, c, i, a)
            ON CONFLICT (kafka_partition, kafka_offset) DO NOTHING""";

    /**
     * The order rows go in with COPY, not {@code INSERT … SELECT unnest(…)}: no ON CONFLICT or
     * RETURNING is needed here (the dedup decided before), and COPY skips the array parsing and the
     * planner. Text format: PostgreSQL parses each value with the column type's input function, as
     * it parsed the unnest arrays' elements. processed_at is left to its default: when the
     * transaction began (V4).
     */
    private static final String COPY_ORDERS =
            """
            COPY orders (processing_mode, consumer_id, order_id, message_id, customer_id, items, total_amount,
                         kafka_partition, kafka_offset, produced_at) FROM STDIN""";

    /** The GetStats counters for what this transaction inserted (V4__counters_per_batch.sql). */
    private static final String COUNT_STORED_BATCH = "SELECT count_stored_batch(?::varchar[], ?)";

    /**
     * Zombie fencing: the row moves only if it still holds the offset this consumer read it at (-1:
     * this consumer saw no row). A consumer that lost the partition finds another value and updates
     * nothing, and its transaction rolls back.
     */
    private static final String ADVANCE_OFFSET =
            """
            INSERT INTO kafka_offsets AS k (consumer_group, topic, kafka_partition, next_offset, owner, generation)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (consumer_group, topic, kafka_partition) DO UPDATE
            SET next_offset = EXCLUDED.next_offset, owner = EXCLUDED.owner, generation = EXCLUDED.generation,
                updated_at = clock_timestamp()
            WHERE k.next_offset = ?""";

    /**
     * Dead letters, in the batch's own transaction: undecodable records, records that break the
     * order contract, rows PostgreSQL refused for a reason that will not change, and simulated
     * failures past max_attempts. Once per Kafka position however often the batch is replayed.
     */
    private static final String INSERT_DEAD_LETTERS =
            """
            INSERT INTO dead_letters (processing_mode, consumer_id, kafka_partition, kafka_offset, message_id, reason,
                                      attempts, record_key, record_value)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (kafka_partition, kafka_offset) DO NOTHING""";

    private static final String INSERT_RETENTION_GAP =
            """
            INSERT INTO retention_gaps (consumer_group, kafka_partition, from_offset, to_offset) VALUES (?, ?, ?, ?)""";

    private static final String READ_OFFSETS =
            "SELECT kafka_partition, next_offset FROM kafka_offsets WHERE consumer_group = ? AND topic = ?";

    /**
     * A partition's offset move within one transaction: from what this consumer expects to the new
     * next offset.
     */
    record OffsetAdvance(int partition, long expected, long next) {}

    /**
     * The batch was fenced and nothing of it stays: another consumer moved the partition's stored
     * offset (the transaction rolls back), or, before anything was written, Kafka refused the
     * batch's offsets. The poll loop positions every partition again.
     */
    static final class FencedException extends RuntimeException {
        FencedException(String message) {
            super(message);
        }
    }

    private final JdbcOperations jdbc;

    OrderStore(JdbcOperations jdbc) {
        this.jdbc = jdbc;
    }

    /** Where a record is in topic orders: unique within a poll batch. */
    record Position(int partition, long offset) {
        static Position of(OrderRow row) {
            return new Position(row.partition(), row.offset());
        }
    }

    /** A record whose message id was already stored: a duplicate, or (conflicting) a reused key. */
    record Repeat(String storedFingerprintHex, boolean conflicting) {}

    /** A record refused as a reused key, with the fingerprint it conflicts with. */
    record Conflict(OrderRow row, String storedFingerprintHex) {}

    /**
     * Inserts the batch's message ids and fingerprints into processed_messages; returns the records
     * that were not first, by position (absent: first seen, to be stored). By COPY when every id is
     * new, else by the statement that sorts out the repeats.
     */
    Map<Position, Repeat> insertProcessedMessages(List<OrderRow> rows) {
        if (rows.isEmpty()) {
            return Map.of();
        }
        if (distinctMessageIds(rows) && copyProcessedMessages(rows)) {
            return Map.of();
        }
        return insertProcessedMessagesSortingOutRepeats(rows);
    }

    private static boolean distinctMessageIds(List<OrderRow> rows) {
        Set<String> seen = new HashSet<>(rows.size() * 2);
        for (OrderRow row : rows) {
            if (!seen.add(row.messageId())) {
                return false;
            }
        }
        return true;
    }

    /**
     * COPY of the batch into processed_messages inside a savepoint. False, with nothing of it left,
     * when PostgreSQL refuses it: a message id stored before (a replay, a retry, a reused key), or
     * any other refusal, which the statement then meets and reports as it always did.
     */
    private boolean copyProcessedMessages(List<OrderRow> rows) {
        CopyText copy = new CopyText(rows.size(), 200);
        rows.stream()
                .sorted(BY_POSITION)
                .forEach(
                        row ->
                                copy.column(row.messageId())
                                        .column(row.orderId())
                                        .column(row.partition())
                                        .column(row.offset())
                                        // bytea's hex input; CopyText escapes the backslash
                                        .column("\\x" + HexFormat.of().formatHex(row.fingerprint()))
                                        .endRow());
        byte[] data = copy.toUtf8();
        return jdbc.execute(
                connection -> {
                    Savepoint savepoint = connection.setSavepoint();
                    try {
                        copy(connection, COPY_PROCESSED, data);
                    } catch (SQLException refused) {
                        try {
                            connection.rollback(savepoint);
                        } catch (SQLException unusable) {
                            unusable.addSuppressed(refused);
                            throw unusable;
                        }
                        return false;
                    }
                    connection.releaseSavepoint(savepoint);
                    return true;
                });
    }

    private Map<Position, Repeat> insertProcessedMessagesSortingOutRepeats(List<OrderRow> rows) {
        return jdbc.prepareStatement(
                INSERT_PROCESSED,
                ps -> {
                    Connection c = ps.getConnection();
                    int n = rows.size();
                    String[] messageIds = new String[n];
                    String[] orderIds = new String[n];
                    Integer[] partitions = new Integer[n];
                    Long[] offsets = new Long[n];
                    String[] fingerprints = new String[n];
                    for (int i = 0; i < n; i++) {
                        OrderRow row = rows.get(i);
                        messageIds[i] = row.messageId();
                        orderIds[i] = row.orderId();
                        partitions[i] = row.partition();
                        offsets[i] = row.offset();
                        fingerprints[i] = HexFormat.of().formatHex(row.fingerprint());
                    }
                    bind(ps, 1, c.createArrayOf("varchar", messageIds));
                    bind(ps, 2, c.createArrayOf("varchar", orderIds));
                    bind(ps, 3, c.createArrayOf("int4", partitions));
                    bind(ps, 4, c.createArrayOf("int8", offsets));
                    bind(ps, 5, c.createArrayOf("text", fingerprints));
                    Map<Position, Repeat> repeats = new HashMap<>();
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            repeats.put(
                                    new Position(rs.getInt(1), rs.getLong(2)),
                                    new Repeat(rs.getString(3), rs.getBoolean(4)));
                        }
                    }
                    return repeats;
                });
    }

    /**
     * Records the refused orders; returns how many were new (a replayed conflict is there already).
     */
    int insertConflicts(List<Conflict> conflicts, DeliveryMode mode, String consumerId) {
        if (conflicts.isEmpty()) {
            return 0;
        }
        return jdbc.prepareStatement(
                INSERT_CONFLICTS,
                ps -> {
                    Connection c = ps.getConnection();
                    int n = conflicts.size();
                    String[] messageIds = new String[n];
                    String[] orderIds = new String[n];
                    String[] stored = new String[n];
                    String[] offered = new String[n];
                    Integer[] partitions = new Integer[n];
                    Long[] offsets = new Long[n];
                    String[] customers = new String[n];
                    String[] items = new String[n];
                    String[] amounts = new String[n];
                    for (int i = 0; i < n; i++) {
                        OrderRow row = conflicts.get(i).row();
                        messageIds[i] = row.messageId();
                        orderIds[i] = row.orderId();
                        stored[i] = conflicts.get(i).storedFingerprintHex();
                        offered[i] = HexFormat.of().formatHex(row.fingerprint());
                        partitions[i] = row.partition();
                        offsets[i] = row.offset();
                        customers[i] = row.customerId();
                        items[i] = row.itemsJson();
                        amounts[i] = row.totalAmount().toPlainString();
                    }
                    ps.setString(1, mode.name());
                    ps.setString(2, consumerId);
                    bind(ps, 3, c.createArrayOf("varchar", messageIds));
                    bind(ps, 4, c.createArrayOf("varchar", orderIds));
                    bind(ps, 5, c.createArrayOf("text", stored));
                    bind(ps, 6, c.createArrayOf("text", offered));
                    bind(ps, 7, c.createArrayOf("int4", partitions));
                    bind(ps, 8, c.createArrayOf("int8", offsets));
                    bind(ps, 9, c.createArrayOf("varchar", customers));
                    bind(ps, 10, c.createArrayOf("text", items));
                    bind(ps, 11, c.createArrayOf("text", amounts));
                    return ps.executeUpdate();
                });
    }

    int insertOrders(List<OrderRow> rows, DeliveryMode mode, String consumerId) {
        if (rows.isEmpty()) {
            return 0;
        }
        CopyText copy = new CopyText(rows.size(), 320);
        for (OrderRow row : rows) {
            copy.column(mode.name())
                    .column(consumerId)
                    .column(row.orderId())
                    .column(row.messageId())
                    .column(row.customerId())
                    .column(row.itemsJson())
                    .column(row.totalAmount().toPlainString())
                    .column(row.partition())
                    .column(row.offset())
                    .column(row.producedAt().toString())
                    .endRow();
        }
        byte[] data = copy.toUtf8();
        return jdbc.execute(connection -> Math.toIntExact(copy(connection, COPY_ORDERS, data)));
    }

    /**
     * COPY … FROM STDIN of {@code data} on the transaction's own connection (Hikari's proxy unwraps
     * to the driver's); the rows copied. A copy that fails is cancelled, never left open.
     */
    private static long copy(Connection connection, String sql, byte[] data) throws SQLException {
        CopyIn in = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
        try {
            in.writeToCopy(data, 0, data.length);
            return in.endCopy();
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
        }
    }

    /**
     * Moves the GetStats counters by what this transaction stored: one call per batch, after the
     * inserts (it takes the counters' row locks, held until commit, so it comes last).
     *
     * @param storedMessageIds the message id of every row inserted into orders, repeats included
     * @param firstSeenMessages rows inserted into processed_messages
     */
    void countStored(List<String> storedMessageIds, int firstSeenMessages) {
        if (storedMessageIds.isEmpty() && firstSeenMessages == 0) {
            return;
        }
        jdbc.prepareStatement(
                COUNT_STORED_BATCH,
                ps -> {
                    bind(
                            ps,
                            1,
                            ps.getConnection()
                                    .createArrayOf("varchar", storedMessageIds.toArray()));
                    ps.setLong(2, firstSeenMessages);
                    ps.execute();
                    return null;
                });
    }

    /**
     * Records the dead letters; returns how many were new (a replayed batch finds its letters
     * there).
     */
    int insertDeadLetters(List<DeadLetter> letters, DeliveryMode mode, String consumerId) {
        if (letters.isEmpty()) {
            return 0;
        }
        return jdbc.prepareStatement(
                INSERT_DEAD_LETTERS,
                ps -> {
                    int inserted = 0;
                    for (DeadLetter letter : letters) {
                        ps.setString(1, mode.name());
                        ps.setString(2, consumerId);
                        ps.setInt(3, letter.source().partition());
                        ps.setLong(4, letter.source().offset());
                        ps.setString(5, letter.messageId());
                        ps.setString(6, StorableText.of(letter.reason()));
                        ps.setInt(7, letter.attempts());
                        ps.setBytes(
                                8,
                                letter.source().key() == null
                                        ? null
                                        : letter.source()
                                                .key()
                                                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                        ps.setBytes(9, letter.source().value());
                        ps.addBatch();
                    }
                    for (int count : ps.executeBatch()) {
                        inserted += Math.max(count, 0);
                    }
                    return inserted;
                });
    }

    /** A retention gap: [from, to) of the partition were deleted before this group read them. */
    void insertRetentionGap(String group, int partition, long from, long to) {
        jdbc.prepareStatement(
                INSERT_RETENTION_GAP,
                ps -> {
                    ps.setString(1, group);
                    ps.setInt(2, partition);
                    ps.setLong(3, from);
                    ps.setLong(4, to);
                    return ps.executeUpdate();
                });
    }

    /**
     * Moves the stored offsets; throws FencedException (the caller's transaction rolls back) for a
     * stale owner.
     */
    void advanceOffsets(
            String group,
            String topic,
            List<OffsetAdvance> advances,
            String owner,
            int generation) {
        jdbc.prepareStatement(
                ADVANCE_OFFSET,
                ps -> {
                    for (OffsetAdvance advance : advances) {
                        ps.setString(1, group);
                        ps.setString(2, topic);
                        ps.setInt(3, advance.partition());
                        ps.setLong(4, advance.next());
                        ps.setString(5, owner);
                        ps.setInt(6, generation);
                        ps.setLong(7, advance.expected());
                        if (ps.executeUpdate() != 1) {
                            throw new FencedException(
                                    "partition "
                                            + advance.partition()
                                            + " of "
                                            + topic
                                            + ": stored offset is no longer "
                                            + advance.expected()
                                            + " (another consumer owns it now)");
                        }
                    }
                    return null;
                });
    }

    /** The stored next offset per partition of the group; within a (read) transaction. */
    Map<Integer, Long> readOffsets(String group, String topic) {
        return jdbc.prepareStatement(
                READ_OFFSETS,
                ps -> {
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

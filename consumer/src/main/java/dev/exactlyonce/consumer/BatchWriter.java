package dev.exactlyonce.consumer;

import dev.exactlyonce.consumer.OrderStore.Conflict;
import dev.exactlyonce.consumer.OrderStore.OffsetAdvance;
import dev.exactlyonce.consumer.OrderStore.Position;
import dev.exactlyonce.consumer.OrderStore.Repeat;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One PostgreSQL transaction per poll batch: in exactly-once the stored offsets (fenced), the dedup
 * insert, the conflicts it found, the order rows, the dead letters and the GetStats counters commit
 * together or not at all; the other modes write the same rows without offsets. {@code beforeCommit}
 * runs inside the transaction after the last statement (the BEFORE_DB_COMMIT crash point).
 *
 * <p>Poison never stops the batch. When PostgreSQL refuses the batch for a reason that will not
 * change (SQLSTATE class 22, data exception, or 23, integrity violation: the dedup and the offsets
 * use ON CONFLICT and never raise them), the same transaction is run again with every record under
 * its own savepoint: a record PostgreSQL refuses is rolled back to its savepoint and dead-lettered
 * with the SQLSTATE and message as its reason, and everything else in the batch is stored. That
 * costs a few round trips per record, only for a batch that holds poison. Any other error (a lost
 * connection, a deadlock, a serialization failure) is transient: the caller retries the whole batch
 * with backoff.
 */
@Singleton
class BatchWriter {

    private static final Logger LOG = LoggerFactory.getLogger(BatchWriter.class);

    /**
     * What one transaction stored, skipped as duplicates, refused as reused keys (order_conflicts),
     * and dead-lettered (dead_letters: the batch's own and those PostgreSQL refused).
     */
    record Written(
            int stored, int duplicatesSkipped, int conflicts, List<DeadLetter> deadLettered) {}

    /** The offsets an exactly-once transaction moves, and who moves them. */
    record StoredOffsets(
            String group,
            String topic,
            List<OffsetAdvance> advances,
            String owner,
            int generation) {}

    private final TransactionOperations<Connection> transactions;
    private final OrderStore store;

    BatchWriter(TransactionOperations<Connection> transactions, OrderStore store) {
        this.transactions = transactions;
        this.store = store;
    }

    /**
     * @param deadLetters records already known to be unstorable (undecodable, contract broken,
     *     attempts used up)
     * @param offsets null in at-most-once and at-least-once (their offsets live in Kafka)
     */
    Written write(
            List<OrderRow> rows,
            List<DeadLetter> deadLetters,
            DeliveryMode mode,
            boolean idempotency,
            String consumerId,
            StoredOffsets offsets,
            Runnable beforeCommit) {
        try {
            return transaction(
                    rows, deadLetters, mode, idempotency, consumerId, offsets, beforeCommit, false);
        } catch (RuntimeException e) {
            String refusal = SqlErrors.permanentRefusal(e);
            if (refusal == null || rows.isEmpty()) {
                throw e;
            }
            LOG.warn(
                    "PostgreSQL refused a batch of {} rows ({}); storing them one by one to dead-letter the poison",
                    rows.size(),
                    refusal);
            return transaction(
                    rows, deadLetters, mode, idempotency, consumerId, offsets, beforeCommit, true);
        }
    }

    private Written transaction(
            List<OrderRow> rows,
            List<DeadLetter> deadLetters,
            DeliveryMode mode,
            boolean idempotency,
            String consumerId,
            StoredOffsets offsets,
            Runnable beforeCommit,
            boolean isolatingPoison) {
        return transactions.executeWrite(
                status -> {
                    if (offsets != null) {
                        // first: takes the partitions' row locks and fences a zombie before any
                        // other work
                        store.advanceOffsets(
                                offsets.group(),
                                offsets.topic(),
                                offsets.advances(),
                                offsets.owner(),
                                offsets.generation());
                    }
                    List<DeadLetter> dead = new ArrayList<>(deadLetters);
                    Written written =
                            isolatingPoison
                                    ? writeRowByRow(
                                            status.getConnection(),
                                            rows,
                                            mode,
                                            idempotency,
                                            consumerId,
                                            dead)
                                    : writeRows(rows, mode, idempotency, consumerId);
                    store.insertDeadLetters(dead, mode, consumerId);
                    beforeCommit.run();
                    return new Written(
                            written.stored(),
                            written.duplicatesSkipped(),
                            written.conflicts(),
                            dead);
                });
    }

    /**
     * Each row under its own savepoint: one PostgreSQL refuses is rolled back alone and
     * dead-lettered.
     */
    private Written writeRowByRow(
            Connection connection,
            List<OrderRow> rows,
            DeliveryMode mode,
            boolean idempotency,
            String consumerId,
            List<DeadLetter> dead) {
        int stored = 0;
        int duplicatesSkipped = 0;
        int conflicts = 0;
        for (OrderRow row : rows) {
            Savepoint savepoint = null;
            try {
                savepoint = connection.setSavepoint();
                Written one = writeRows(List.of(row), mode, idempotency, consumerId);
                connection.releaseSavepoint(savepoint);
                stored += one.stored();
                duplicatesSkipped += one.duplicatesSkipped();
                conflicts += one.conflicts();
            } catch (SQLException | RuntimeException e) {
                String refusal = SqlErrors.permanentRefusal(e);
                if (refusal == null || savepoint == null) {
                    throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
                }
                try {
                    connection.rollback(savepoint);
                } catch (SQLException rollbackFailed) {
                    throw new IllegalStateException(rollbackFailed);
                }
                dead.add(
                        new DeadLetter(
                                row.source(),
                                row.messageId(),
                                "PostgreSQL refused the row: " + refusal,
                                1));
            }
        }
        return new Written(stored, duplicatesSkipped, conflicts, List.of());
    }

    private Written writeRows(
            List<OrderRow> rows, DeliveryMode mode, boolean idempotency, String consumerId) {
        if (rows.isEmpty()) {
            return new Written(0, 0, 0, List.of());
        }
        // processed_messages is written in every mode (so its count means "distinct messages
        // seen"); only with idempotency on does it decide which repeats are stored. A reused key
        // is refused in every mode: it is not a repeat of the stored order but another order, and
        // storing it under the same order id would pass it off as a duplicate of the first one
        Map<Position, Repeat> repeats = store.insertProcessedMessages(rows);
        List<OrderRow> toStore = new ArrayList<>(rows.size());
        List<Conflict> conflicts = new ArrayList<>();
        int duplicatesSkipped = 0;
        for (OrderRow row : rows) {
            Repeat repeat = repeats.get(Position.of(row));
            if (repeat == null) {
                toStore.add(row);
            } else if (repeat.conflicting()) {
                conflicts.add(new Conflict(row, repeat.storedFingerprintHex()));
            } else if (idempotency) {
                duplicatesSkipped++;
            } else {
                toStore.add(row);
            }
        }
        store.insertConflicts(conflicts, mode, consumerId);
        int stored = store.insertOrders(toStore, mode, consumerId);
        // last: the counters' row locks are shared by every consumer, so they are held only until
        // the commit
        store.countStored(
                toStore.stream().map(OrderRow::messageId).toList(), rows.size() - repeats.size());
        return new Written(stored, duplicatesSkipped, conflicts.size(), List.of());
    }

    /** Records a retention gap in its own transaction (see RetentionGaps). */
    void recordRetentionGap(String group, int partition, long from, long to) {
        transactions.executeWrite(
                status -> {
                    store.insertRetentionGap(group, partition, from, to);
                    return null;
                });
    }

    /** The stored next offsets of the group (exactly-once resumes from them). */
    Map<Integer, Long> storedOffsets(String group, String topic) {
        return transactions.executeRead(status -> store.readOffsets(group, topic));
    }
}

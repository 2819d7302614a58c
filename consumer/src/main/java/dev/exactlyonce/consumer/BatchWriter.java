package dev.exactlyonce.consumer;

import dev.exactlyonce.consumer.OrderStore.Conflict;
import dev.exactlyonce.consumer.OrderStore.OffsetAdvance;
import dev.exactlyonce.consumer.OrderStore.Position;
import dev.exactlyonce.consumer.OrderStore.Repeat;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One PostgreSQL transaction per poll batch: in exactly-once the stored offsets (fenced), the dedup
 * insert, the conflicts it found, the order rows and the GetStats counters commit together or not at all;
 * the other modes write the same rows without offsets. {@code beforeCommit} runs inside the transaction
 * after the last statement (the BEFORE_DB_COMMIT crash point).
 */
@Singleton
class BatchWriter {

    /** What one transaction stored, skipped as duplicates, and refused as reused keys (recorded in order_conflicts). */
    record Written(int stored, int duplicatesSkipped, int conflicts) {
    }

    /** The offsets an exactly-once transaction moves, and who moves them. */
    record StoredOffsets(String group, String topic, List<OffsetAdvance> advances, String owner, int generation) {
    }

    private final TransactionOperations<Connection> transactions;
    private final OrderStore store;

    BatchWriter(TransactionOperations<Connection> transactions, OrderStore store) {
        this.transactions = transactions;
        this.store = store;
    }

    /**
     * @param offsets null in at-most-once and at-least-once (their offsets live in Kafka)
     */
    Written write(List<OrderRow> rows, DeliveryMode mode, boolean idempotency, String consumerId,
                  StoredOffsets offsets, Runnable beforeCommit) {
        return transactions.executeWrite(status -> {
            if (offsets != null) {
                // first: takes the partitions' row locks and fences a zombie before any other work
                store.advanceOffsets(offsets.group(), offsets.topic(), offsets.advances(), offsets.owner(),
                        offsets.generation());
            }
            Written written = writeRows(rows, mode, idempotency, consumerId);
            beforeCommit.run();
            return written;
        });
    }

    private Written writeRows(List<OrderRow> rows, DeliveryMode mode, boolean idempotency, String consumerId) {
        if (rows.isEmpty()) {
            return new Written(0, 0, 0);
        }
        // processed_messages is written in every mode (so its count means "distinct messages seen");
        // only with idempotency on does it decide which repeats are stored. A reused key is refused in
        // every mode: it is not a repeat of the stored order but another order, and storing it under the
        // same order id would pass it off as a duplicate of the first one
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
        // last: the counters' row locks are shared by every consumer, so they are held only until the commit
        store.countStored(toStore.stream().map(OrderRow::messageId).toList(), rows.size() - repeats.size());
        return new Written(stored, duplicatesSkipped, conflicts.size());
    }

    /** The stored next offsets of the group (exactly-once resumes from them). */
    Map<Integer, Long> storedOffsets(String group, String topic) {
        return transactions.executeRead(status -> store.readOffsets(group, topic));
    }
}

package dev.exactlyonce.consumer;

import dev.exactlyonce.consumer.OrderStore.OffsetAdvance;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One PostgreSQL transaction per poll batch: in exactly-once the stored offsets (fenced), the dedup
 * insert and the order rows commit together or not at all; the other modes write the same rows
 * without offsets. {@code beforeCommit} runs inside the transaction after the last statement (the
 * BEFORE_DB_COMMIT crash point).
 */
@Singleton
class BatchWriter {

    /** What one transaction stored. */
    record Written(int stored, int duplicatesSkipped) {
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
            return new Written(0, 0);
        }
        // processed_messages is written in every mode (so its count means "distinct messages seen");
        // only with idempotency on does it decide which rows are stored
        Set<String> firstSeen = store.insertProcessedMessages(rows);
        List<OrderRow> toStore = rows;
        if (idempotency) {
            toStore = new ArrayList<>(firstSeen.size());
            for (OrderRow row : rows) {
                if (firstSeen.remove(row.messageId())) {
                    toStore.add(row);
                }
            }
        }
        int stored = store.insertOrders(toStore, mode, consumerId);
        return new Written(stored, rows.size() - toStore.size());
    }

    /** The stored next offsets of the group (exactly-once resumes from them). */
    Map<Integer, Long> storedOffsets(String group, String topic) {
        return transactions.executeRead(status -> store.readOffsets(group, topic));
    }
}

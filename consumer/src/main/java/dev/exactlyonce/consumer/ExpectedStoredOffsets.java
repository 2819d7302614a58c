package dev.exactlyonce.consumer;

import dev.exactlyonce.consumer.OrderStore.OffsetAdvance;
import dev.exactlyonce.kafka.Topics;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * Zombie fencing, this consumer's half: per partition, the kafka_offsets value the next
 * exactly-once transaction expects to replace (-1: no row yet). The transaction moves the stored
 * offset only from that value ({@link OrderStore}); if another consumer moved it meanwhile, the
 * partition changed hands, and the transaction is fenced and rolls back whole.
 *
 * <p>Set when a partition is positioned, advanced by each stored batch, forgotten with the
 * partition. Used on the poll-loop thread only.
 */
final class ExpectedStoredOffsets {

    /** Reads the group's stored next offsets (kafka_offsets), waiting while PostgreSQL is down. */
    interface StoredOffsets {
        Map<Integer, Long> read() throws InterruptedException;
    }

    private final Map<TopicPartition, Long> expected = new HashMap<>();

    /** The stored offset this consumer expects for {@code tp}; it must be known. */
    long of(TopicPartition tp) {
        return expected.get(tp);
    }

    void expect(TopicPartition tp, long storedOffset) {
        expected.put(tp, storedOffset);
    }

    /**
     * Makes sure an expectation is known for each partition of an exactly-once batch: a partition
     * positioned while another mode was in force has none yet, and expects what is stored now.
     */
    void loadMissing(Collection<TopicPartition> batchPartitions, StoredOffsets storedOffsets)
            throws InterruptedException {
        if (expected.keySet().containsAll(batchPartitions)) {
            return;
        }
        // switched to exactly-once since the assignment: expect what is stored now
        Map<Integer, Long> stored = storedOffsets.read();
        for (TopicPartition tp : batchPartitions) {
            expected.putIfAbsent(tp, stored.getOrDefault(tp.partition(), -1L));
        }
    }

    /** A batch's transaction committed: its offsets are what is stored now. */
    void advanced(List<OffsetAdvance> advances) {
        for (OffsetAdvance advance : advances) {
            expected.put(new TopicPartition(Topics.ORDERS, advance.partition()), advance.next());
        }
    }

    void forget(TopicPartition tp) {
        expected.remove(tp);
    }

    /** After a fenced batch: nothing is known any more; every partition is positioned again. */
    void forgetAll() {
        expected.clear();
    }
}

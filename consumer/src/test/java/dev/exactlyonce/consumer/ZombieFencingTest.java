package dev.exactlyonce.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactlyonce.consumer.BatchWriter.StoredOffsets;
import dev.exactlyonce.consumer.OrderStore.FencedException;
import dev.exactlyonce.consumer.OrderStore.OffsetAdvance;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.kafka.Topics;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * Zombie fencing, at the transaction that decides it: a consumer that lost partition 0 still holds
 * a batch for it and tries to commit after the new owner did. Its transaction must roll back whole.
 */
@MicronautTest(transactional = false)
class ZombieFencingTest extends ConsumerServiceTestSupport {

    @Inject BatchWriter writer;

    @Test
    void staleOwnersBatchRollsBackAndNothingIsStoredTwice() throws Exception {
        // the offsets live under their own group name, not the one this context's poll loop uses
        String fencedGroup = Pipeline.unique("fenced");
        String prefix = Pipeline.unique("zombie");
        List<OrderRow> firstBatch = rows(prefix, 0, 10);
        List<OrderRow> secondBatch = rows(prefix, 10, 20);

        // the original owner stores offsets 0..9: from "no row" (-1) to 10
        writer.write(
                firstBatch,
                List.of(),
                DeliveryMode.EXACTLY_ONCE,
                false,
                "owner-a",
                offsets(fencedGroup, "owner-a", 1, -1, 10),
                () -> {});
        // a rebalance: the new owner read 10 from the database and stores offsets 10..19
        writer.write(
                secondBatch,
                List.of(),
                DeliveryMode.EXACTLY_ONCE,
                false,
                "owner-b",
                offsets(fencedGroup, "owner-b", 2, 10, 20),
                () -> {});
        // the zombie, still believing the stored offset is 10, commits the same records 10..19
        // (idempotency off: only the fencing stands between it and duplicates)
        assertThatThrownBy(
                        () ->
                                writer.write(
                                        secondBatch,
                                        List.of(),
                                        DeliveryMode.EXACTLY_ONCE,
                                        false,
                                        "owner-a",
                                        offsets(fencedGroup, "owner-a", 1, 10, 20),
                                        () -> {}))
                .isInstanceOf(FencedException.class);

        assertThat(Pipeline.stored(prefix)).isEqualTo(new Pipeline.Stored(20, 20));
        assertThat(writer.storedOffsets(fencedGroup, Topics.ORDERS)).isEqualTo(Map.of(0, 20L));
    }

    @Test
    void twoFirstOwnersCannotBothStartAPartition() throws Exception {
        String fencedGroup = Pipeline.unique("fenced");
        String prefix = Pipeline.unique("first");
        List<OrderRow> batch = rows(prefix, 0, 5);
        writer.write(
                batch,
                List.of(),
                DeliveryMode.EXACTLY_ONCE,
                false,
                "a",
                offsets(fencedGroup, "a", 1, -1, 5),
                () -> {});
        assertThatThrownBy(
                        () ->
                                writer.write(
                                        batch,
                                        List.of(),
                                        DeliveryMode.EXACTLY_ONCE,
                                        false,
                                        "b",
                                        offsets(fencedGroup, "b", 1, -1, 5),
                                        () -> {}))
                .isInstanceOf(FencedException.class);
        assertThat(Pipeline.stored(prefix)).isEqualTo(new Pipeline.Stored(5, 5));
    }

    private static StoredOffsets offsets(
            String group, String owner, int generation, long expected, long next) {
        return new StoredOffsets(
                group,
                Topics.ORDERS,
                List.of(new OffsetAdvance(0, expected, next)),
                owner,
                generation);
    }

    private static List<OrderRow> rows(String prefix, int fromOffset, int toOffset)
            throws Exception {
        List<OrderRow> rows = new ArrayList<>();
        for (int offset = fromOffset; offset < toOffset; offset++) {
            OrderEvent event = Pipeline.order(prefix + "-" + offset, prefix + "-" + offset + "-m");
            rows.add(
                    RecordDecoder.decode(
                            new ConsumerRecord<>(
                                    Topics.ORDERS,
                                    0,
                                    offset,
                                    event.getOrderId(),
                                    event.toByteArray())));
        }
        return rows;
    }
}

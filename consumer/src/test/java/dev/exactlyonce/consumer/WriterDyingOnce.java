package dev.exactlyonce.consumer;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Something nobody expected on the poll loop, for {@code LoopFailureTest}: the first write of
 * orders throws an Error (no retry catches one), as a bug would. Only where {@code
 * test.consumer.writer-dies-once} is set.
 */
@Singleton
@Replaces(BatchWriter.class)
@Requires(property = "test.consumer.writer-dies-once", value = "true")
class WriterDyingOnce extends BatchWriter {

    private final AtomicInteger asked = new AtomicInteger();

    WriterDyingOnce(TransactionOperations<Connection> transactions, OrderStore store) {
        super(transactions, store);
    }

    @Override
    Written write(
            List<OrderRow> rows,
            List<DeadLetter> deadLetters,
            DeliveryMode mode,
            boolean idempotency,
            String consumerId,
            StoredOffsets offsets,
            Runnable beforeCommit) {
        if (!rows.isEmpty() && asked.getAndIncrement() == 0) {
            throw new Error("a failure nobody expected (test)");
        }
        return super.write(rows, deadLetters, mode, idempotency, consumerId, offsets, beforeCommit);
    }
}

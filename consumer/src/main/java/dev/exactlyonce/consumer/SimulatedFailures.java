package dev.exactlyonce.consumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * failure_rate: each processing attempt of a record fails with that probability. A failed attempt's
 * work is discarded (it happens before the batch's database transaction, so nothing of it is
 * written) and the record is tried again after an exponential backoff, capped at
 * app.consumer.retry-max-backoff (25 attempts would otherwise wait for days); after max_attempts it
 * becomes a {@link DeadLetter}. Attempts run in rounds over the whole batch, so a batch waits for
 * one backoff per round, not one per failed record.
 */
final class SimulatedFailures {

    /** The records that passed, and those that used up their attempts. */
    record Outcome(
            List<OrderRow> passed, List<DeadLetter> exhausted, long failures, long retries) {}

    /** Waits between rounds; the poll loop's version gives up early when the consumer stops. */
    interface Backoff {
        void await(Duration delay) throws InterruptedException;
    }

    private SimulatedFailures() {}

    static Outcome attempt(
            List<OrderRow> rows,
            double failureRate,
            int maxAttempts,
            Duration initialBackoff,
            Duration maxBackoff,
            Backoff backoff)
            throws InterruptedException {
        if (failureRate <= 0) {
            return new Outcome(rows, List.of(), 0, 0);
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        List<OrderRow> passed = new ArrayList<>(rows.size());
        List<DeadLetter> exhausted = new ArrayList<>();
        List<OrderRow> pending = rows;
        long failures = 0;
        long retries = 0;
        Duration delay = initialBackoff;
        for (int attempt = 1; !pending.isEmpty(); attempt++) {
            List<OrderRow> failed = new ArrayList<>();
            for (OrderRow row : pending) {
                if (random.nextDouble() < failureRate) {
                    failures++;
                    if (attempt >= maxAttempts) {
                        exhausted.add(
                                new DeadLetter(
                                        row.source(),
                                        row.messageId(),
                                        "simulated processing failure (failure_rate="
                                                + failureRate
                                                + ") in all "
                                                + maxAttempts
                                                + " attempts",
                                        attempt));
                    } else {
                        failed.add(row);
                    }
                } else {
                    passed.add(row);
                }
            }
            if (!failed.isEmpty()) {
                retries += failed.size();
                backoff.await(delay);
                delay =
                        delay.multipliedBy(2).compareTo(maxBackoff) <= 0
                                ? delay.multipliedBy(2)
                                : maxBackoff;
            }
            pending = failed;
        }
        // keep the batch's order: rows of one partition are stored in offset order
        passed.sort(
                (a, b) ->
                        a.partition() != b.partition()
                                ? Integer.compare(a.partition(), b.partition())
                                : Long.compare(a.offset(), b.offset()));
        return new Outcome(passed, exhausted, failures, retries);
    }
}

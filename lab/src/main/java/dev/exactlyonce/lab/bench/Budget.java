package dev.exactlyonce.lab.bench;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** How much load one run offers: a number of orders, or as many as fit before a deadline. */
final class Budget {

    private final AtomicLong next = new AtomicLong();
    private final long orders;
    private final long deadlineNanos;

    private Budget(long orders, long deadlineNanos) {
        this.orders = orders;
        this.deadlineNanos = deadlineNanos;
    }

    static Budget orders(long orders) {
        return new Budget(orders, Long.MAX_VALUE);
    }

    static Budget duration(Duration duration) {
        return new Budget(Long.MAX_VALUE, System.nanoTime() + duration.toNanos());
    }

    /** The sequence number of the next order to send, or -1 once the budget is spent. */
    long take() {
        if (System.nanoTime() >= deadlineNanos) {
            return -1;
        }
        long n = next.getAndIncrement();
        return n < orders ? n : -1;
    }
}

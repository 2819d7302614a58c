package dev.exactlyonce.consumer;

import java.time.Duration;

/**
 * A graceful stop (SIGTERM) reaching the poll loop: {@link OrderConsumer} requests it from the
 * shutdown thread; the loop checks it before each poll and while it waits (for the schema, through
 * a backoff, through a database outage). A wait that sees it throws {@link StopRequested}.
 */
final class StopSignal {

    /**
     * Stopping while a dependency is down: the batch is abandoned uncommitted and replayed later.
     */
    static final class StopRequested extends RuntimeException {
        StopRequested() {
            super("stopping", null, false, false);
        }
    }

    private volatile boolean requested;

    void request() {
        requested = true;
    }

    boolean requested() {
        return requested;
    }

    /** Throws {@link StopRequested} when a stop was requested. */
    void throwIfRequested() {
        if (requested) {
            throw new StopRequested();
        }
    }

    /** Sleeps {@code delay}, checking for a stop at least every 100 ms. */
    void sleep(Duration delay) throws InterruptedException {
        long until = System.nanoTime() + delay.toNanos();
        while (System.nanoTime() < until) {
            throwIfRequested();
            Thread.sleep(Math.max(1, Math.min(100, (until - System.nanoTime()) / 1_000_000)));
        }
    }
}

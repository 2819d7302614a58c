package dev.exactlyonce.server;

import java.time.Duration;

/**
 * A processing loop (the consumer's poll loop) that keeps retrying the same work. Retrying while a
 * dependency is briefly away is normal; retrying for longer than {@code bound} is a stall that an
 * operator must see: this {@link Dependency} then fails, so readiness turns NOT_SERVING with the
 * reason, and the service's metric of stalled seconds (alert rule {@code ProcessingLoopStalled})
 * rises.
 *
 * <p>The loop calls {@link #retrying} each time an attempt failed and {@link #moving} when one
 * succeeded.
 */
public class StalledLoop implements Dependency {

    private final String loop;
    private final Duration bound;
    private volatile long stalledSince;
    private volatile String reason;

    public StalledLoop(String loop, Duration bound) {
        this.loop = loop;
        this.bound = bound;
    }

    /** An attempt failed: the loop will try the same work again. */
    public void retrying(String why) {
        if (reason == null) {
            stalledSince = System.nanoTime();
        }
        reason = why;
    }

    /** An attempt succeeded. */
    public void moving() {
        reason = null;
    }

    /** Seconds since the loop last moved while it retries, 0 while it moves. */
    public double stalledSeconds() {
        return reason == null ? 0 : (System.nanoTime() - stalledSince) / 1e9;
    }

    @Override
    public String name() {
        return "processing loop";
    }

    @Override
    public String location() {
        return loop;
    }

    @Override
    public void check() {
        String why = reason;
        double seconds = stalledSeconds();
        if (why != null && seconds > bound.toSeconds()) {
            throw new IllegalStateException(
                    String.format(
                            "stalled for %.0f s (bound %d s): %s",
                            seconds, bound.toSeconds(), why));
        }
    }
}

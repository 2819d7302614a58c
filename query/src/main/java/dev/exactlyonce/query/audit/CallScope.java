package dev.exactlyonce.query.audit;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.Status;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC call an audit answers (its {@link Context}): waits end as soon as the caller cancels or
 * the call's deadline passes, instead of holding a thread and an audit slot for a caller who is
 * gone.
 */
final class CallScope {

    /** At most this much of the call's remaining time is kept back for judging after the wait. */
    static final long MAX_JUDGING_RESERVE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Context context;

    private CallScope(Context context) {
        this.context = context;
    }

    /** The call being served on this thread (a context that is never cancelled outside a call). */
    static CallScope current() {
        return new CallScope(Context.current());
    }

    /**
     * When waiting must end: at {@code waitUntilNanos} (System.nanoTime), or earlier so that half
     * of the call's remaining time (at most {@link #MAX_JUDGING_RESERVE_NANOS}) is left to judge
     * and answer before its deadline.
     */
    long waitEnd(long waitUntilNanos) {
        Deadline deadline = context.getDeadline();
        if (deadline == null) {
            return waitUntilNanos;
        }
        long remaining = Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS));
        long reserve = Math.min(MAX_JUDGING_RESERVE_NANOS, remaining / 2);
        return Math.min(waitUntilNanos, System.nanoTime() + remaining - reserve);
    }

    /** Throws CANCELLED or DEADLINE_EXCEEDED when the call is over. */
    void checkAlive(String doing) {
        if (context.isCancelled()) {
            Status status = Contexts.statusFromCancelled(context);
            throw (status == null ? Status.CANCELLED : status)
                    .augmentDescription("Audit stopped " + doing + ": the call is over")
                    .asRuntimeException();
        }
    }

    /**
     * Sleeps up to {@code nanos}, waking at once when the call is cancelled (then throws, see
     * {@link #checkAlive}).
     */
    void pause(long nanos, String doing) throws InterruptedException {
        checkAlive(doing);
        if (nanos <= 0) {
            return;
        }
        CountDownLatch over = new CountDownLatch(1);
        Context.CancellationListener listener = cancelled -> over.countDown();
        context.addListener(listener, Runnable::run);
        try {
            over.await(nanos, TimeUnit.NANOSECONDS);
        } finally {
            context.removeListener(listener);
        }
        checkAlive(doing);
    }
}

package dev.exactlyonce.lab.runner;

import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.Function;

/**
 * How the lab's clients (drill and bench) retry an order call, in one place: a call that ended with
 * UNAVAILABLE, DEADLINE_EXCEEDED or ABORTED is sent again, unchanged — the same order ids, so the
 * same message ids — up to {@link Policy#maxAttempts()} attempts, each with its own deadline, after
 * an exponential backoff with full jitter. Any other status is final: INVALID_ARGUMENT or
 * FAILED_PRECONDITION would only fail again.
 *
 * <p>Why those three are safe to retry with the same key: each may come after the order was written
 * (the reply was lost, the deadline expired while the commit went on, the connection broke after
 * it), so the client cannot know the outcome; with the key unchanged, exactly-once's dedup stores
 * the order once whatever the first attempt did. Retrying with a NEW key would be the bug: two
 * orders.
 *
 * <p>A call counts as acknowledged when any attempt was. The backoff's sleep, its scheduler and its
 * randomness are injected, so the policy is tested without sleeping.
 */
public final class RetryingOrderClient {

    /** The statuses after which the same call may be sent again. */
    public static final Set<Status.Code> RETRYABLE =
            EnumSet.of(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED, Status.Code.ABORTED);

    /**
     * @param maxAttempts attempts in all, the first included (1: no retries)
     * @param deadline per attempt
     * @param initialBackoff the cap of the first backoff; doubled per retry up to {@code
     *     maxBackoff}
     */
    public record Policy(
            int maxAttempts, Duration deadline, Duration initialBackoff, Duration maxBackoff) {

        public Policy {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be >= 1, got " + maxAttempts);
            }
        }

        /**
         * 5 attempts of at most 10 s each, backoff 50 ms doubling to 2 s: rides out a producer
         * restart (~15 s).
         */
        public static Policy standard() {
            return new Policy(
                    5, Duration.ofSeconds(10), Duration.ofMillis(50), Duration.ofSeconds(2));
        }

        /**
         * One attempt: a client that must not send twice (at-most-once) or wants to see every
         * failure.
         */
        public static Policy noRetries(Duration deadline) {
            return new Policy(1, deadline, Duration.ZERO, Duration.ZERO);
        }

        /**
         * "Full jitter": uniform in [0, min(max, initial x 2^(retry-1))], so clients that failed
         * together do not come back together.
         *
         * @param retry 1 for the first retry
         * @param random uniform in [0, 1)
         */
        public Duration backoffBefore(int retry, double random) {
            long capNanos = initialBackoff.toNanos() << Math.min(retry - 1, 30);
            if (capNanos <= 0 || capNanos > maxBackoff.toNanos()) {
                capNanos = maxBackoff.toNanos();
            }
            return Duration.ofNanos((long) (capNanos * random));
        }
    }

    /** What became of one call after all its attempts. */
    public record Outcome<T>(T response, Status failure, int attempts) {

        public boolean acknowledged() {
            return response != null;
        }

        public int retries() {
            return attempts - 1;
        }
    }

    /** The blocking client's wait between attempts. */
    public interface Pause {
        void sleep(Duration duration) throws InterruptedException;
    }

    /**
     * The async client's wait between attempts: runs {@code task} after {@code delay}, on another
     * thread.
     */
    public interface Scheduler {
        void schedule(Duration delay, Runnable task);
    }

    private static final ScheduledExecutorService BACKOFF_TIMER =
            Executors.newSingleThreadScheduledExecutor(
                    r -> {
                        Thread thread = new Thread(r, "order-retry-backoff");
                        thread.setDaemon(true);
                        return thread;
                    });

    private final Policy policy;
    private final Pause pause;
    private final Scheduler scheduler;
    private final DoubleSupplier random;
    private final LongAdder retries = new LongAdder();

    public RetryingOrderClient(
            Policy policy, Pause pause, Scheduler scheduler, DoubleSupplier random) {
        this.policy = policy;
        this.pause = pause;
        this.scheduler = scheduler;
        this.random = random;
    }

    /** Real time: Thread.sleep, a shared daemon timer, ThreadLocalRandom. */
    public static RetryingOrderClient of(Policy policy) {
        return new RetryingOrderClient(
                policy,
                duration -> TimeUnit.NANOSECONDS.sleep(duration.toNanos()),
                (delay, task) ->
                        BACKOFF_TIMER.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS),
                () -> ThreadLocalRandom.current().nextDouble());
    }

    public Policy policy() {
        return policy;
    }

    /** Attempts retried so far, over every call of this client. */
    public long retries() {
        return retries.sum();
    }

    public static boolean retryable(Status status) {
        return RETRYABLE.contains(status.getCode());
    }

    /**
     * Blocking: {@code attempt} makes one call with the deadline it is given and returns its
     * response or throws.
     */
    public <T> Outcome<T> call(Function<Deadline, T> attempt) throws InterruptedException {
        for (int attempts = 1; ; attempts++) {
            try {
                return new Outcome<>(
                        attempt.apply(
                                Deadline.after(policy.deadline().toNanos(), TimeUnit.NANOSECONDS)),
                        null,
                        attempts);
            } catch (RuntimeException e) {
                Status status = Status.fromThrowable(e);
                if (!retryable(status) || attempts >= policy.maxAttempts()) {
                    return new Outcome<>(null, status, attempts);
                }
                retries.increment();
                pause.sleep(policy.backoffBefore(attempts, random.getAsDouble()));
            }
        }
    }

    /**
     * Async: {@code attempt} starts one call with the deadline it is given, answering on the
     * observer (its last onNext is the response); {@code done} gets the outcome once, on a gRPC or
     * timer thread.
     */
    public <T> void callAsync(
            BiConsumer<Deadline, StreamObserver<T>> attempt, Consumer<Outcome<T>> done) {
        new AsyncCall<>(attempt, done).start(1);
    }

    private final class AsyncCall<T> {
        private final BiConsumer<Deadline, StreamObserver<T>> attempt;
        private final Consumer<Outcome<T>> done;

        AsyncCall(BiConsumer<Deadline, StreamObserver<T>> attempt, Consumer<Outcome<T>> done) {
            this.attempt = attempt;
            this.done = done;
        }

        void start(int attempts) {
            StreamObserver<T> answer =
                    new StreamObserver<>() {
                        private T response;

                        @Override
                        public void onNext(T value) {
                            response = value;
                        }

                        @Override
                        public void onError(Throwable t) {
                            failed(attempts, Status.fromThrowable(t));
                        }

                        @Override
                        public void onCompleted() {
                            done.accept(new Outcome<>(response, null, attempts));
                        }
                    };
            try {
                attempt.accept(
                        Deadline.after(policy.deadline().toNanos(), TimeUnit.NANOSECONDS), answer);
            } catch (RuntimeException e) {
                failed(attempts, Status.fromThrowable(e));
            }
        }

        private void failed(int attempts, Status status) {
            if (!retryable(status) || attempts >= policy.maxAttempts()) {
                done.accept(new Outcome<>(null, status, attempts));
                return;
            }
            retries.increment();
            scheduler.schedule(
                    policy.backoffBefore(attempts, random.getAsDouble()),
                    () -> start(attempts + 1));
        }
    }
}

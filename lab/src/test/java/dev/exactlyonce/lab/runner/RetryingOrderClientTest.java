package dev.exactlyonce.lab.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Deadline;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The retry policy without a server and without sleeping: the pauses are recorded, not slept. */
class RetryingOrderClientTest {

    private static final RetryingOrderClient.Policy POLICY =
            new RetryingOrderClient.Policy(
                    4, Duration.ofSeconds(10), Duration.ofMillis(50), Duration.ofMillis(300));

    private final List<Duration> pauses = new ArrayList<>();

    /**
     * Pauses recorded instead of slept, the async backoff run at once, "random" at the top of its
     * range.
     */
    private RetryingOrderClient client(RetryingOrderClient.Policy policy) {
        return new RetryingOrderClient(
                policy,
                pauses::add,
                (delay, task) -> {
                    pauses.add(delay);
                    task.run();
                },
                () -> 0.999);
    }

    static Stream<Arguments> statuses() {
        return Stream.of(
                Arguments.of(Status.Code.UNAVAILABLE, true),
                Arguments.of(Status.Code.DEADLINE_EXCEEDED, true),
                Arguments.of(Status.Code.ABORTED, true),
                Arguments.of(Status.Code.INVALID_ARGUMENT, false),
                Arguments.of(Status.Code.FAILED_PRECONDITION, false),
                Arguments.of(Status.Code.RESOURCE_EXHAUSTED, false),
                Arguments.of(Status.Code.NOT_FOUND, false),
                Arguments.of(Status.Code.INTERNAL, false),
                Arguments.of(Status.Code.UNKNOWN, false),
                Arguments.of(Status.Code.CANCELLED, false),
                Arguments.of(Status.Code.PERMISSION_DENIED, false));
    }

    @ParameterizedTest(name = "{0} retried: {1}")
    @MethodSource("statuses")
    void onlyTheThreeUnknownOutcomeStatusesAreRetriedAndAtMostMaxAttemptsTimes(
            Status.Code code, boolean retried) throws Exception {
        RetryingOrderClient retrying = client(POLICY);
        AtomicInteger attempts = new AtomicInteger();

        RetryingOrderClient.Outcome<String> outcome =
                retrying.call(
                        deadline -> {
                            attempts.incrementAndGet();
                            throw Status.fromCode(code).asRuntimeException();
                        });

        assertThat(outcome.acknowledged()).isFalse();
        assertThat(outcome.failure().getCode()).isEqualTo(code);
        assertThat(attempts.get()).isEqualTo(retried ? 4 : 1).isEqualTo(outcome.attempts());
        assertThat(retrying.retries()).isEqualTo(retried ? 3 : 0);
        assertThat(pauses).hasSize(retried ? 3 : 0);
    }

    @Test
    void aCallIsAcknowledgedWhenAnyAttemptIsAndEachAttemptHasItsOwnDeadline() throws Exception {
        RetryingOrderClient retrying = client(POLICY);
        List<Deadline> deadlines = new ArrayList<>();

        RetryingOrderClient.Outcome<String> outcome =
                retrying.call(
                        deadline -> {
                            deadlines.add(deadline);
                            if (deadlines.size() < 3) {
                                throw Status.DEADLINE_EXCEEDED.asRuntimeException();
                            }
                            return "acknowledged";
                        });

        assertThat(outcome.acknowledged()).isTrue();
        assertThat(outcome.response()).isEqualTo("acknowledged");
        assertThat(outcome.retries()).isEqualTo(2);
        assertThat(deadlines)
                .hasSize(3)
                .doesNotHaveDuplicates()
                .allSatisfy(
                        d ->
                                assertThat(d.timeRemaining(java.util.concurrent.TimeUnit.SECONDS))
                                        .isBetween(8L, 10L));
    }

    @Test
    void theBackoffDoublesUpToItsCapWithFullJitter() {
        assertThat(
                        List.of(1, 2, 3, 4, 5).stream()
                                .map(retry -> POLICY.backoffBefore(retry, 1.0))
                                .toList())
                .containsExactly(
                        Duration.ofMillis(50),
                        Duration.ofMillis(100),
                        Duration.ofMillis(200),
                        Duration.ofMillis(300),
                        Duration.ofMillis(300));
        assertThat(POLICY.backoffBefore(3, 0.0)).isZero();
        assertThat(POLICY.backoffBefore(3, 0.5)).isEqualTo(Duration.ofMillis(100));
        assertThat(POLICY.backoffBefore(100, 1.0))
                .as("no overflow after many retries")
                .isEqualTo(Duration.ofMillis(300));
    }

    @Test
    void noRetriesMeansOneAttempt() throws Exception {
        RetryingOrderClient retrying =
                client(RetryingOrderClient.Policy.noRetries(Duration.ofSeconds(30)));

        RetryingOrderClient.Outcome<String> outcome =
                retrying.call(
                        deadline -> {
                            throw Status.UNAVAILABLE.asRuntimeException();
                        });

        assertThat(outcome.attempts()).isEqualTo(1);
        assertThat(retrying.retries()).isZero();
    }

    @Test
    void theAsyncClientRetriesOnTheSchedulerAndReportsOnce() {
        RetryingOrderClient retrying = client(POLICY);
        AtomicInteger attempts = new AtomicInteger();
        List<RetryingOrderClient.Outcome<String>> outcomes = new ArrayList<>();

        retrying.<String>callAsync(
                (deadline, answer) -> {
                    if (attempts.incrementAndGet() < 3) {
                        answer.onError(Status.UNAVAILABLE.asRuntimeException());
                        return;
                    }
                    answer.onNext("acknowledged");
                    answer.onCompleted();
                },
                outcomes::add);

        assertThat(outcomes)
                .singleElement()
                .satisfies(
                        o -> {
                            assertThat(o.response()).isEqualTo("acknowledged");
                            assertThat(o.attempts()).isEqualTo(3);
                        });
        assertThat(pauses)
                .containsExactly(
                        Duration.ofNanos((long) (50_000_000 * 0.999)),
                        Duration.ofNanos((long) (100_000_000 * 0.999)));
    }

    @Test
    void theAsyncClientGivesUpOnANonRetryableStatusAtOnce() {
        RetryingOrderClient retrying = client(POLICY);
        AtomicReference<RetryingOrderClient.Outcome<String>> outcome = new AtomicReference<>();

        retrying.<String>callAsync(
                (deadline, answer) ->
                        answer.onError(
                                Status.INVALID_ARGUMENT
                                        .withDescription("order_id: at most 64 characters, got 65")
                                        .asRuntimeException()),
                outcome::set);

        assertThat(outcome.get().acknowledged()).isFalse();
        assertThat(outcome.get().failure().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(outcome.get().attempts()).isEqualTo(1);
        assertThat(pauses).isEmpty();
    }
}

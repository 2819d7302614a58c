package dev.exactlyonce.query.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CallScopeTest {

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    @Test
    void withoutADeadlineTheWaitEndsWhereTheCallerSaid() {
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
        assertThat(CallScope.current().waitEnd(waitUntil)).isEqualTo(waitUntil);
    }

    @Test
    void aDeadlineLeavesHalfOfItsTimeToJudgeAtMostTenSeconds() throws Exception {
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
        Context.CancellableContext short_ =
                Context.current().withDeadlineAfter(8, TimeUnit.SECONDS, scheduler);
        Context.CancellableContext long_ =
                Context.current().withDeadlineAfter(100, TimeUnit.SECONDS, scheduler);
        try {
            long now = System.nanoTime();
            long shortEnd = short_.call(() -> CallScope.current().waitEnd(waitUntil)) - now;
            long longEnd = long_.call(() -> CallScope.current().waitEnd(waitUntil)) - now;
            assertThat(Duration.ofNanos(shortEnd))
                    .isBetween(Duration.ofSeconds(3), Duration.ofMillis(4_500));
            assertThat(Duration.ofNanos(longEnd))
                    .isBetween(Duration.ofSeconds(89), Duration.ofMillis(90_500));
            // the caller's own wait is shorter: it wins
            long soon = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            assertThat(long_.call(() -> CallScope.current().waitEnd(soon))).isEqualTo(soon);
        } finally {
            short_.cancel(null);
            long_.cancel(null);
        }
    }

    @Test
    void aPauseEndsAsSoonAsTheCallIsCancelled() {
        Context.CancellableContext call = Context.current().withCancellation();
        scheduler.schedule(() -> call.cancel(null), 200, TimeUnit.MILLISECONDS);
        long started = System.nanoTime();

        assertThatThrownBy(
                        () ->
                                call.run(
                                        () -> {
                                            try {
                                                CallScope.current()
                                                        .pause(
                                                                TimeUnit.SECONDS.toNanos(60),
                                                                "waiting");
                                            } catch (InterruptedException e) {
                                                throw new IllegalStateException(e);
                                            }
                                        }))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED));
        assertThat(Duration.ofNanos(System.nanoTime() - started))
                .isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aPassedDeadlineEndsThePauseWithDeadlineExceeded() {
        Context.CancellableContext call =
                Context.current().withDeadlineAfter(100, TimeUnit.MILLISECONDS, scheduler);

        assertThatThrownBy(
                        () ->
                                call.run(
                                        () -> {
                                            try {
                                                CallScope.current()
                                                        .pause(
                                                                TimeUnit.SECONDS.toNanos(60),
                                                                "waiting");
                                            } catch (InterruptedException e) {
                                                throw new IllegalStateException(e);
                                            }
                                        }))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e ->
                                assertThat(e.getStatus().getCode())
                                        .isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    }
}

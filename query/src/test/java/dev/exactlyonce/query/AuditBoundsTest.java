package dev.exactlyonce.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.AuditRequest;
import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.QueryServiceGrpc;
import dev.exactlyonce.grpc.v1.ResetResponse;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Audit's bounds: at most app.query.max-concurrent-audits at once (RESOURCE_EXHAUSTED beyond, never
 * queued), and an audit waiting for a consumer that does not drain stops when its caller cancels or
 * before its deadline. The consumer group here stays at the window start, so every audit has two
 * orders to wait for.
 */
@MicronautTest(transactional = false)
class AuditBoundsTest extends QueryTestSupport {

    private static final AuditedGroups GROUPS = AuditedGroups.named("audit-bounds-test");

    private final List<Context.CancellableContext> calls = new ArrayList<>();

    @Override
    Map<String, String> extraProperties() {
        Map<String, String> properties = new HashMap<>(GROUPS.properties());
        properties.put("app.query.max-concurrent-audits", "2");
        return properties;
    }

    @BeforeEach
    void undrainedWindow() throws Exception {
        ResetResponse window = freshWindow();
        // the group stays at the window start (so reading its lag is cheap) and never reaches the
        // two orders
        commitGroupOffsets(GROUPS.consumer(), ordersStart(window));
        produce(
                List.of(
                        "bounds-" + System.nanoTime() + "-a",
                        "bounds-" + System.nanoTime() + "-b"));
    }

    @AfterEach
    void cancelCalls() {
        calls.forEach(call -> call.cancel(null));
        calls.clear();
    }

    @Test
    void auditsBeyondTheLimitAreRefusedAndCancelledAuditsStopWaiting() {
        CompletableFuture<AuditResponse> first = auditInBackground(600);
        CompletableFuture<AuditResponse> second = auditInBackground(600);

        // both are waiting for the group to drain: a third is refused at once, not queued
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(
                        () ->
                                assertStatus(
                                        () ->
                                                query().audit(
                                                                AuditRequest.newBuilder()
                                                                        .setWaitSeconds(0)
                                                                        .build()),
                                        Status.Code.RESOURCE_EXHAUSTED,
                                        "Audit"));
        assertThat(first).isNotDone();
        assertThat(second).isNotDone();

        calls.forEach(call -> call.cancel(null));

        // the cancelled audits stopped waiting (they would wait 600 s) and gave their slots back
        AuditResponse next =
                await().atMost(Duration.ofSeconds(20))
                        .ignoreExceptions()
                        .until(
                                () ->
                                        query().audit(
                                                        AuditRequest.newBuilder()
                                                                .setWaitSeconds(0)
                                                                .build()),
                                a -> true);
        assertThat(next.getDrained()).isFalse();
        assertThat(next.getVerdict()).startsWith("NOT_DRAINED (");
        assertThat(first).isCompletedExceptionally();
        assertThat(second).isCompletedExceptionally();
    }

    @Test
    void anAuditWaitsNoLongerThanItsCallDeadlineAllows() {
        long started = System.nanoTime();

        AuditResponse audit =
                QueryServiceGrpc.newBlockingStub(anonymousChannel())
                        .withDeadlineAfter(8, TimeUnit.SECONDS)
                        .audit(AuditRequest.newBuilder().setWaitSeconds(600).build());

        // it waited about half the deadline, then judged and answered in time instead of
        // DEADLINE_EXCEEDED
        assertThat(Duration.ofNanos(System.nanoTime() - started))
                .isGreaterThan(Duration.ofSeconds(3))
                .isLessThan(Duration.ofSeconds(8));
        assertThat(audit.getDrained()).isFalse();
        assertThat(audit.getVerdict()).isEqualTo("NOT_DRAINED (2 in flight)");
    }

    /**
     * An audit on its own cancellable context, so that the test can cancel it as a client would.
     */
    private CompletableFuture<AuditResponse> auditInBackground(int waitSeconds) {
        CompletableFuture<AuditResponse> answer = new CompletableFuture<>();
        Context.CancellableContext call = Context.current().withCancellation();
        calls.add(call);
        call.run(
                () ->
                        QueryServiceGrpc.newStub(anonymousChannel())
                                .audit(
                                        AuditRequest.newBuilder()
                                                .setWaitSeconds(waitSeconds)
                                                .build(),
                                        new StreamObserver<>() {
                                            @Override
                                            public void onNext(AuditResponse value) {
                                                answer.complete(value);
                                            }

                                            @Override
                                            public void onError(Throwable t) {
                                                answer.completeExceptionally(t);
                                            }

                                            @Override
                                            public void onCompleted() {}
                                        }));
        return answer;
    }
}

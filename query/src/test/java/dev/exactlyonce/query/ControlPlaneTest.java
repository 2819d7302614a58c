package dev.exactlyonce.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.exactlyonce.grpc.v1.GetStatsRequest;
import dev.exactlyonce.grpc.v1.ListTopicsRequest;
import dev.exactlyonce.grpc.v1.QueryServiceGrpc;
import dev.exactlyonce.grpc.v1.RecordBenchmarkRequest;
import dev.exactlyonce.grpc.v1.ResetRequest;
import dev.exactlyonce.testkit.ControlToken;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micronaut.context.ApplicationContext;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The control plane is locked: Reset (which empties the dedup table too) and RecordBenchmark need
 * the bearer token (none: UNAUTHENTICATED, a wrong one: PERMISSION_DENIED); reads are open unless
 * {@code app.control.reads-require-token}.
 */
@MicronautTest(transactional = false)
class ControlPlaneTest extends QueryTestSupport {

    @Test
    void resetAndRecordBenchmarkNeedTheToken() {
        var anonymous = anonymousQuery();
        assertThat(code(() -> anonymous.reset(ResetRequest.getDefaultInstance())))
                .isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(
                        code(
                                () ->
                                        anonymous.recordBenchmark(
                                                RecordBenchmarkRequest.getDefaultInstance())))
                .isEqualTo(Status.Code.UNAUTHENTICATED);

        var wrong = new ControlToken("not-the-token").on(anonymous);
        assertThat(code(() -> wrong.reset(ResetRequest.getDefaultInstance())))
                .isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(code(() -> wrong.recordBenchmark(RecordBenchmarkRequest.getDefaultInstance())))
                .isEqualTo(Status.Code.PERMISSION_DENIED);

        assertThat(ControlToken.TEST.on(anonymous).reset(ResetRequest.getDefaultInstance()))
                .isNotNull();
    }

    @Test
    void readsAreOpenByDefault() {
        var anonymous = anonymousQuery();
        assertThat(anonymous.getStats(GetStatsRequest.getDefaultInstance())).isNotNull();
        assertThat(anonymous.listTopics(ListTopicsRequest.getDefaultInstance())).isNotNull();
    }

    @Test
    void readsNeedTheTokenWhenSwitched() {
        Map<String, Object> properties = new HashMap<>(getProperties());
        properties.put("app.control.reads-require-token", "true");
        try (EmbeddedServer management =
                ApplicationContext.run(EmbeddedServer.class, properties, "test")) {
            ManagedChannel closed =
                    channelTo(
                            management
                                    .getApplicationContext()
                                    .getBean(GrpcEmbeddedServer.class)
                                    .getPort());
            try {
                var reader =
                        QueryServiceGrpc.newBlockingStub(closed)
                                .withDeadlineAfter(60, TimeUnit.SECONDS);
                assertThat(code(() -> reader.getStats(GetStatsRequest.getDefaultInstance())))
                        .isEqualTo(Status.Code.UNAUTHENTICATED);
                assertThat(
                                ControlToken.TEST
                                        .on(reader)
                                        .getStats(GetStatsRequest.getDefaultInstance()))
                        .isNotNull();
            } finally {
                closed.shutdownNow();
            }
        }
    }

    private static Status.Code code(Runnable call) {
        StatusRuntimeException refused =
                catchThrowableOfType(StatusRuntimeException.class, call::run);
        return refused == null ? Status.Code.OK : refused.getStatus().getCode();
    }
}

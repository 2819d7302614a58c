package dev.exactlyonce.query;

import static dev.exactlyonce.testkit.ControlPlaneChecks.code;
import static dev.exactlyonce.testkit.ControlPlaneChecks.isOpen;
import static dev.exactlyonce.testkit.ControlPlaneChecks.needsToken;
import static dev.exactlyonce.testkit.ControlPlaneChecks.onChannel;
import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.GetStatsRequest;
import dev.exactlyonce.grpc.v1.ListTopicsRequest;
import dev.exactlyonce.grpc.v1.QueryServiceGrpc;
import dev.exactlyonce.grpc.v1.RecordBenchmarkRequest;
import dev.exactlyonce.grpc.v1.ResetRequest;
import io.grpc.Status;
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
        // an empty benchmark is refused as invalid once the token is accepted
        assertThat(
                        code(
                                () ->
                                        needsToken(
                                                anonymous,
                                                s ->
                                                        s.recordBenchmark(
                                                                RecordBenchmarkRequest
                                                                        .getDefaultInstance()))))
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
        needsToken(anonymous, s -> s.reset(ResetRequest.getDefaultInstance()));
    }

    @Test
    void readsAreOpenByDefault() {
        var anonymous = anonymousQuery();
        isOpen(anonymous, s -> s.getStats(GetStatsRequest.getDefaultInstance()));
        isOpen(anonymous, s -> s.listTopics(ListTopicsRequest.getDefaultInstance()));
    }

    @Test
    void readsNeedTheTokenWhenSwitched() {
        Map<String, Object> properties = new HashMap<>(getProperties());
        properties.put("app.control.reads-require-token", "true");
        try (EmbeddedServer management =
                ApplicationContext.run(EmbeddedServer.class, properties, "test")) {
            onChannel(
                    management.getApplicationContext().getBean(GrpcEmbeddedServer.class).getPort(),
                    closed ->
                            needsToken(
                                    QueryServiceGrpc.newBlockingStub(closed)
                                            .withDeadlineAfter(60, TimeUnit.SECONDS),
                                    s -> s.getStats(GetStatsRequest.getDefaultInstance())));
        }
    }
}

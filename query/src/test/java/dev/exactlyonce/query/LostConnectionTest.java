package dev.exactlyonce.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.AuditRequest;
import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.GetStatsRequest;
import dev.exactlyonce.grpc.v1.Stats;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL closes the query service's connections under it, as a restart or a failover does. The
 * pool hands a connection used in the last 500 ms out again without checking it (HikariCP's
 * alive-bypass window), so the next read meets a dead socket: it must be answered on a fresh
 * connection, not with UNAVAILABLE. One pooled connection makes that the connection every call
 * gets.
 */
@MicronautTest(transactional = false)
class LostConnectionTest extends QueryTestSupport {

    private static final String APPLICATION_NAME = "query-lost-connection-test";

    @Override
    Map<String, String> extraProperties() {
        Map<String, String> properties =
                new HashMap<>(AuditedGroups.named("lost-connection-test").properties());
        properties.putAll(
                Map.of(
                        "datasources.default.maximum-pool-size",
                        "1",
                        "datasources.default.minimum-idle",
                        "1",
                        "datasources.default.data-source-properties.ApplicationName",
                        APPLICATION_NAME));
        return properties;
    }

    @BeforeEach
    void oneStoredOrder() throws Exception {
        freshWindow();
        insertRows(List.of(Row.of("lost-connection-1", "m-1", "c-1")));
    }

    @Test
    void readsAreAnsweredAfterPostgresClosedThePooledConnection() throws Exception {
        assertThat(query().getStats(GetStatsRequest.getDefaultInstance()).getTotalOrders())
                .isEqualTo(1);
        assertThat(terminateQueryBackends()).isEqualTo(1);

        Stats stats = query().getStats(GetStatsRequest.getDefaultInstance());

        assertThat(stats.getTotalOrders()).isEqualTo(1);
        assertThat(stats.getDistinctOrders()).isEqualTo(1);
    }

    @Test
    void anAuditIsAnsweredAfterPostgresClosedThePooledConnection() throws Exception {
        assertThat(query().getStats(GetStatsRequest.getDefaultInstance()).getTotalOrders())
                .isEqualTo(1);
        assertThat(terminateQueryBackends()).isEqualTo(1);

        AuditResponse audit =
                query().audit(
                                AuditRequest.newBuilder()
                                        .setWaitSeconds(0)
                                        .setAcknowledged(1)
                                        .build());

        assertThat(audit.getStoredRows()).isEqualTo(1);
        assertThat(audit.getStoredDistinct()).isEqualTo(1);
    }

    /** What a restart does to every session, without the downtime: pg_terminate_backend (57P01). */
    private static int terminateQueryBackends() throws Exception {
        try (Connection c = database();
                Statement s = c.createStatement();
                ResultSet r =
                        s.executeQuery(
                                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                                        + " WHERE application_name = '"
                                        + APPLICATION_NAME
                                        + "'")) {
            r.next();
            return r.getInt(1);
        }
    }
}

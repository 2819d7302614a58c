package dev.exactlyonce.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.server.DatabaseDependency;
import dev.exactlyonce.testkit.ControlToken;
import dev.exactlyonce.testkit.Infrastructure;
import dev.exactlyonce.testkit.PostgresCutOnce;
import dev.exactlyonce.testkit.TestInfrastructure;
import io.micronaut.context.ApplicationContext;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL restarted, or the link cut, while the pool set up its first connection: HikariCP asks
 * that connection for the database's default isolation level, and when the answer never comes it
 * keeps -1 and sets -1 on every later connection, which the driver refuses ("Transaction isolation
 * level -1 not supported"): the pool never connects again (HikariCP issues 1944 and 2269). Chaos
 * seed 6001 left the query service NOT_SERVING that way for good, and no audit could run. With the
 * isolation level configured ({@code datasources.default.transaction-isolation}) there is nothing
 * to detect, and the next connection works.
 */
class ConnectionPoolSetUpCutTest {

    @Test
    void aPoolWhoseFirstConnectionIsCutDuringItsSetUpConnectsAgain() throws Exception {
        Infrastructure infra = TestInfrastructure.shared();
        try (PostgresCutOnce cut =
                PostgresCutOnce.start(infra.jdbcUrl(), "TRANSACTION ISOLATION")) {
            Map<String, Object> properties = new HashMap<>(infra.micronautProperties());
            properties.putAll(ControlToken.TEST.serverProperties());
            properties.put("datasources.default.url", cut.jdbcUrl());
            try (ApplicationContext query =
                    ApplicationContext.builder()
                            .environments("test")
                            .properties(properties)
                            .start()) {
                DatabaseDependency postgres = query.getBean(DatabaseDependency.class);
                await().atMost(Duration.ofSeconds(30))
                        .ignoreExceptions()
                        .untilAsserted(postgres::check);
                assertThat(cut.cuts()).as("the pool's first set-up was cut").isEqualTo(1);
            }
        }
    }
}

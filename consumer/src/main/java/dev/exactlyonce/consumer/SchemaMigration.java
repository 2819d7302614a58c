package dev.exactlyonce.consumer;

import dev.exactlyonce.server.Dependency;
import io.micronaut.context.annotation.Property;
import io.micronaut.jdbc.DataSourceResolver;
import jakarta.inject.Singleton;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer owns the schema: Flyway migrates db/migration when PostgreSQL first answers. A
 * {@link Dependency}, so DependencyReadiness retries it every 2 s and reports readiness false until
 * it is done, and the consumer STARTS while PostgreSQL is unreachable (micronaut-flyway would
 * migrate while creating the DataSource and fail start-up instead). The poll loop waits for it.
 */
@Singleton
public class SchemaMigration implements Dependency {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaMigration.class);

    private final DataSource dataSource;
    private final String url;
    private volatile boolean migrated;

    public SchemaMigration(
            DataSource dataSource,
            DataSourceResolver resolver,
            @Property(name = "datasources.default.url") String url) {
        this.dataSource = resolver.resolve(dataSource);
        this.url = url;
    }

    @Override
    public String name() {
        return "PostgreSQL schema";
    }

    @Override
    public String location() {
        return url;
    }

    @Override
    public synchronized void check() {
        if (!migrated) {
            var result =
                    Flyway.configure()
                            .dataSource(dataSource)
                            .locations("classpath:db/migration")
                            .connectRetries(0)
                            .load()
                            .migrate();
            migrated = true;
            LOG.info(
                    "schema migrated: {} migration(s) applied now, the rest were already there",
                    result.migrationsExecuted);
        }
    }

    public boolean isMigrated() {
        return migrated;
    }
}

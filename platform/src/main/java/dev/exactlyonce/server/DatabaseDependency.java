package dev.exactlyonce.server;

import io.micronaut.context.annotation.Property;
import io.micronaut.context.annotation.Requires;
import io.micronaut.jdbc.DataSourceResolver;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/** PostgreSQL, through the service's connection pool. */
@Singleton
// services without JDBC (the producer) lack DataSourceResolver: skip the bean instead of failing to
// load it
@Requires(classes = DataSourceResolver.class)
@Requires(beans = DataSource.class)
public class DatabaseDependency implements Dependency {

    private final DataSource dataSource;
    private final String url;

    public DatabaseDependency(
            DataSource dataSource,
            DataSourceResolver resolver,
            @Property(name = "datasources.default.url") String url) {
        // the pool itself, not Micronaut Data's proxy that needs a surrounding transaction
        this.dataSource = resolver.resolve(dataSource);
        this.url = url;
    }

    @Override
    public String name() {
        return "PostgreSQL";
    }

    @Override
    public String location() {
        return url;
    }

    @Override
    public void check() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            if (!connection.isValid(3)) {
                throw new SQLException("connection not valid");
            }
        }
    }
}

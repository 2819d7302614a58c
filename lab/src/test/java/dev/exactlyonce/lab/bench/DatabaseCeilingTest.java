package dev.exactlyonce.lab.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.testkit.DatabaseDurability;
import dev.exactlyonce.testkit.EmbeddedPostgresDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ceiling loads every row into a copy of the real orders table, reports a rate, and leaves
 * nothing behind: orders and its id sequence untouched, the scratch table gone.
 */
class DatabaseCeilingTest {

    @Test
    void loadsEveryRowReportsARateAndDropsItsTable(@TempDir Path dir) throws Exception {
        try (EmbeddedPostgresDatabase postgres =
                new EmbeddedPostgresDatabase(0, dir, DatabaseDurability.DURABLE).start()) {
            String user = EmbeddedPostgresDatabase.USER;
            String password = EmbeddedPostgresDatabase.PASSWORD;
            Flyway.configure()
                    .dataSource(postgres.jdbcUrl(), user, password)
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();
            try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(), user, password)) {
                // 5,000 rows in batches of 2,000: two full batches and a last one of 1,000
                DatabaseCeiling.Result result = DatabaseCeiling.measure(c, 5_000, 2_000);

                assertThat(result.rows())
                        .as("rows counted in the table before the drop")
                        .isEqualTo(5_000);
                assertThat(result.seconds()).isPositive();
                assertThat(result.rowsPerSecond()).isPositive();
                assertThat(result.describe()).contains("rows/s", "COPY of 5,000 rows", "2,000");
                assertThat(scalar(c, "SELECT to_regclass('" + DatabaseCeiling.TABLE + "')"))
                        .isNull();
                assertThat(scalar(c, "SELECT count(*) FROM orders")).isEqualTo("0");
                assertThat(scalar(c, "SELECT is_called::text FROM orders_id_seq"))
                        .isEqualTo("false");
                assertThat(c.getAutoCommit()).isTrue();
            }
        }
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}

package dev.exactlyonce.query.audit;

import io.micronaut.jdbc.DataSourceResolver;
import jakarta.inject.Singleton;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The PostgreSQL side of the audit, set-based so that it stays fast at millions of orders: the message
 * ids read from Kafka are streamed with COPY into temporary tables, then one query compares them with
 * orders (hash anti-joins instead of a million lookups from Java). Plain JDBC because COPY is not
 * something a repository can say; everything lives in one transaction and the temp tables drop at commit.
 */
@Singleton
public class AuditLedger {

    private static final String COUNTS = """
            SELECT
              (SELECT count(*) FROM (SELECT 1 FROM audit_committed WHERE message_id IS NOT NULL
                                     GROUP BY message_id) ids) AS committed_distinct,
              (SELECT count(*) FROM (SELECT message_id FROM audit_committed
                                     WHERE judged AND message_id IS NOT NULL GROUP BY message_id) c
                WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.message_id = c.message_id)
                  AND NOT EXISTS (SELECT 1 FROM audit_dead_lettered d WHERE d.message_id = c.message_id))
                AS committed_not_stored,
              (SELECT count(*) FROM orders) AS stored_rows,
              (SELECT count(*) FROM (SELECT 1 FROM orders GROUP BY message_id) ids) AS stored_distinct,
              (SELECT count(*) FROM audit_dead_lettered) AS dead_lettered,
              (SELECT count(*) FROM (SELECT message_id FROM audit_dead_lettered
                                     WHERE message_id IS NOT NULL GROUP BY message_id) d
                WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.message_id = d.message_id))
                AS dead_lettered_not_stored
            """;

    private final DataSource dataSource;

    public AuditLedger(DataSource dataSource, DataSourceResolver resolver) {
        // the pool itself: this class manages its own transaction around COPY
        this.dataSource = resolver.resolve(dataSource);
    }

    /** Fills the ledger: committed records of orders first, then the dead-lettered ones. */
    public interface Filler {
        void fill(Ledger ledger) throws Exception;
    }

    /** Runs {@code filler} to stream message ids in, then counts. */
    public AuditCounts count(Filler filler) throws Exception {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.execute("CREATE TEMP TABLE audit_committed (message_id text, judged boolean NOT NULL) "
                        + "ON COMMIT DROP");
                statement.execute("CREATE TEMP TABLE audit_dead_lettered (message_id text) ON COMMIT DROP");
                filler.fill(new Ledger(connection.unwrap(PGConnection.class)));
                // fresh statistics, so that the planner picks hash joins for large windows
                statement.execute("ANALYZE audit_committed");
                statement.execute("ANALYZE audit_dead_lettered");
                try (ResultSet rs = statement.executeQuery(COUNTS)) {
                    rs.next();
                    AuditCounts counts = new AuditCounts(rs.getLong("committed_distinct"),
                            rs.getLong("committed_not_stored"), rs.getLong("stored_rows"),
                            rs.getLong("stored_distinct"), rs.getLong("dead_lettered"),
                            rs.getLong("dead_lettered_not_stored"));
                    connection.commit();
                    return counts;
                }
            } catch (Exception e) {
                connection.rollback();
                throw e;
            }
        }
    }

    /** COPY streams into the two temp tables; one at a time, as PostgreSQL allows on a connection. */
    public static final class Ledger {
        private final PGConnection connection;

        Ledger(PGConnection connection) {
            this.connection = connection;
        }

        public Copy committed() throws SQLException {
            return new Copy(connection.getCopyAPI().copyIn("COPY audit_committed (message_id, judged) FROM STDIN"));
        }

        public Copy deadLettered() throws SQLException {
            return new Copy(connection.getCopyAPI().copyIn("COPY audit_dead_lettered (message_id) FROM STDIN"));
        }
    }

    /** Rows in COPY text format, sent in 256 KiB chunks. */
    public static final class Copy implements AutoCloseable {
        private static final int CHUNK = 256 * 1024;
        private final CopyIn copyIn;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(CHUNK + 1024);

        Copy(CopyIn copyIn) {
            this.copyIn = copyIn;
        }

        public void row(String messageId) throws SQLException {
            field(messageId);
            endRow();
        }

        public void row(String messageId, boolean judged) throws SQLException {
            field(messageId);
            buffer.write('\t');
            buffer.write(judged ? 't' : 'f');
            endRow();
        }

        private void field(String value) {
            byte[] bytes = value == null ? new byte[] {'\\', 'N'} : escape(value).getBytes(StandardCharsets.UTF_8);
            buffer.write(bytes, 0, bytes.length);
        }

        private void endRow() throws SQLException {
            buffer.write('\n');
            if (buffer.size() >= CHUNK) {
                flush();
            }
        }

        private void flush() throws SQLException {
            copyIn.writeToCopy(buffer.toByteArray(), 0, buffer.size());
            buffer.reset();
        }

        /** COPY text format: backslash, tab and line breaks must be escaped. */
        private static String escape(String value) {
            if (value.indexOf('\\') < 0 && value.indexOf('\t') < 0 && value.indexOf('\n') < 0 && value.indexOf('\r') < 0) {
                return value;
            }
            return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
        }

        @Override
        public void close() throws SQLException {
            if (buffer.size() > 0) {
                flush();
            }
            copyIn.endCopy();
        }
    }
}

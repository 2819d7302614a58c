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
 * The PostgreSQL side of the audit (and the arithmetic of its invoice leg), set-based so that it
 * stays fast at millions of orders: the message ids read from Kafka are streamed with COPY into
 * temporary tables, then one query compares them with orders and dead_letters (hash anti-joins
 * instead of a million lookups from Java). Plain JDBC because COPY is not something a repository
 * can say; everything lives in one transaction and the temp tables drop at commit.
 */
@Singleton
public class AuditLedger {

    /**
     * The PostgreSQL leg. Its dead letters are rows of dead_letters, written by the consumer in the
     * batch's transaction and emptied by Reset: all of them are the window's. An order is lost when
     * every committed record of it has been passed by the consumer and it is neither stored nor
     * dead-lettered; in flight when one of its records has not been reached yet.
     */
    private static final String COUNTS =
            """
            WITH committed AS (
              SELECT message_id, bool_and(judged) AS passed FROM audit_committed
              WHERE message_id IS NOT NULL GROUP BY message_id
            ), unstored AS (
              SELECT c.passed FROM committed c
              WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.message_id = c.message_id)
                AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.message_id = c.message_id)
            )
            SELECT
              (SELECT count(*) FROM committed) AS committed_distinct,
              (SELECT count(*) FILTER (WHERE passed) FROM unstored) AS committed_not_stored,
              (SELECT count(*) FILTER (WHERE NOT passed) FROM unstored) AS in_flight,
              (SELECT count(*) FROM orders) AS stored_rows,
              (SELECT count(*) FROM (SELECT 1 FROM orders GROUP BY message_id) ids) AS stored_distinct,
              (SELECT count(*) FROM dead_letters) AS dead_letter_records,
              (SELECT count(*) FROM (SELECT DISTINCT message_id FROM dead_letters d WHERE message_id IS NOT NULL
                                     AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.message_id = d.message_id)) l)
                AS dead_lettered,
              (SELECT count(*) FROM dead_letters WHERE message_id IS NULL) AS unidentified_dead_letters
            """;

    /**
     * The invoice leg, over the same committed orders: only invoices and dead letters of the
     * window's orders count (an order committed before the window and billed after it is not this
     * window's).
     */
    private static final String INVOICE_COUNTS =
            """
            WITH committed AS (
              SELECT message_id, bool_and(billing_judged) AS passed FROM audit_committed
              WHERE message_id IS NOT NULL GROUP BY message_id
            ),
            invoices AS (SELECT i.message_id FROM audit_invoices i JOIN committed c USING (message_id)),
            letters AS (SELECT l.message_id FROM audit_billing_dlq l JOIN committed c USING (message_id)),
            uninvoiced AS (
              SELECT c.passed FROM committed c
              WHERE NOT EXISTS (SELECT 1 FROM audit_invoices i WHERE i.message_id = c.message_id)
                AND NOT EXISTS (SELECT 1 FROM audit_billing_dlq d WHERE d.message_id = c.message_id)
            )
            SELECT
              (SELECT count(*) FILTER (WHERE passed) FROM uninvoiced) AS committed_not_invoiced,
              (SELECT count(*) FILTER (WHERE NOT passed) FROM uninvoiced) AS in_flight,
              (SELECT count(*) FROM invoices) AS invoices_total,
              (SELECT count(DISTINCT message_id) FROM invoices) AS invoices_distinct,
              (SELECT count(*) FROM letters) AS dead_letter_records,
              (SELECT count(*) FROM (SELECT DISTINCT message_id FROM letters) d
                WHERE NOT EXISTS (SELECT 1 FROM invoices i WHERE i.message_id = d.message_id))
                AS dead_lettered_not_invoiced
            """;

    /**
     * Both legs of one window, each in the terms of {@link AuditVerdict}: PostgreSQL (stored = rows
     * in orders) and billing (stored = committed invoices, one invoice id per order message id).
     */
    public record Legs(AuditCounts stored, AuditCounts invoiced) {}

    private final DataSource dataSource;

    public AuditLedger(DataSource dataSource, DataSourceResolver resolver) {
        // the pool itself: this class manages its own transaction around COPY
        this.dataSource = resolver.resolve(dataSource);
    }

    /** Fills the ledger: committed records of orders, then billing's invoices and dead letters. */
    public interface Filler {
        void fill(Ledger ledger) throws Exception;
    }

    /** Runs {@code filler} to stream message ids in, then counts both legs. */
    public Legs count(Filler filler) throws Exception {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                // judged: the consumer has passed the record; billing_judged: billing has
                statement.execute(
                        "CREATE TEMP TABLE audit_committed (message_id text, judged boolean NOT NULL, "
                                + "billing_judged boolean NOT NULL) ON COMMIT DROP");
                statement.execute(
                        "CREATE TEMP TABLE audit_invoices (message_id text) ON COMMIT DROP");
                statement.execute(
                        "CREATE TEMP TABLE audit_billing_dlq (message_id text) ON COMMIT DROP");
                filler.fill(new Ledger(connection.unwrap(PGConnection.class)));
                // fresh statistics, so that the planner picks hash joins for large windows
                statement.execute("ANALYZE audit_committed");
                statement.execute("ANALYZE audit_invoices");
                statement.execute("ANALYZE audit_billing_dlq");
                AuditCounts stored;
                try (ResultSet rs = statement.executeQuery(COUNTS)) {
                    rs.next();
                    stored =
                            new AuditCounts(
                                    rs.getLong("committed_distinct"),
                                    rs.getLong("committed_not_stored"),
                                    rs.getLong("in_flight"),
                                    rs.getLong("stored_rows"),
                                    rs.getLong("stored_distinct"),
                                    rs.getLong("dead_letter_records"),
                                    rs.getLong("dead_lettered"),
                                    rs.getLong("unidentified_dead_letters"));
                }
                AuditCounts invoiced;
                try (ResultSet rs = statement.executeQuery(INVOICE_COUNTS)) {
                    rs.next();
                    invoiced =
                            new AuditCounts(
                                    stored.committedDistinct(),
                                    rs.getLong("committed_not_invoiced"),
                                    rs.getLong("in_flight"),
                                    rs.getLong("invoices_total"),
                                    rs.getLong("invoices_distinct"),
                                    rs.getLong("dead_letter_records"),
                                    rs.getLong("dead_lettered_not_invoiced"),
                                    0);
                }
                connection.commit();
                return new Legs(stored, invoiced);
            } catch (Exception e) {
                connection.rollback();
                throw e;
            }
        }
    }

    /** COPY streams into the temp tables; one at a time, as PostgreSQL allows on a connection. */
    public static final class Ledger {
        private final PGConnection connection;

        Ledger(PGConnection connection) {
            this.connection = connection;
        }

        public Copy committed() throws SQLException {
            return new Copy(
                    connection
                            .getCopyAPI()
                            .copyIn(
                                    "COPY audit_committed (message_id, judged, billing_judged) FROM STDIN"));
        }

        /**
         * The order message ids of committed invoices (an invoice carries its order's message-id
         * header).
         */
        public Copy invoices() throws SQLException {
            return new Copy(
                    connection.getCopyAPI().copyIn("COPY audit_invoices (message_id) FROM STDIN"));
        }

        public Copy billingDeadLettered() throws SQLException {
            return new Copy(
                    connection
                            .getCopyAPI()
                            .copyIn("COPY audit_billing_dlq (message_id) FROM STDIN"));
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

        public void row(String messageId, boolean judged, boolean billingJudged)
                throws SQLException {
            field(messageId);
            buffer.write('\t');
            buffer.write(judged ? 't' : 'f');
            buffer.write('\t');
            buffer.write(billingJudged ? 't' : 'f');
            endRow();
        }

        private void field(String value) {
            byte[] bytes =
                    value == null
                            ? new byte[] {'\\', 'N'}
                            : escape(value).getBytes(StandardCharsets.UTF_8);
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
            if (value.indexOf('\\') < 0
                    && value.indexOf('\t') < 0
                    && value.indexOf('\n') < 0
                    && value.indexOf('\r') < 0) {
                return value;
            }
            return value.replace("\\", "\\\\")
                    .replace("\t", "\\t")
                    .replace("\n", "\\n")
                    .replace("\r", "\\r");
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

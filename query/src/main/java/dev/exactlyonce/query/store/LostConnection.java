package dev.exactlyonce.query.store;

import io.micronaut.data.connection.exceptions.ConnectionException;
import java.sql.SQLException;

/**
 * Whether a failure means PostgreSQL closed or refused the connection (a restart, a failover, a
 * terminated backend): SQLSTATE class 08 (connection exception) or 57P (the server shut the session
 * down), or Micronaut Data failing to manage the connection. The last is how a terminated backend
 * usually surfaces: HikariCP marks the connection broken on the 57P01, and restoring its read-only
 * flag afterwards fails with "Connection is closed" (no SQLSTATE), which replaces the original
 * error. Either way the pool has evicted that connection, so the same read on another one can
 * succeed.
 */
public final class LostConnection {

    private LostConnection() {}

    public static boolean causedBy(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConnectionException) {
                return true;
            }
            if (t instanceof SQLException sql
                    && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08")
                            || sql.getSQLState().startsWith("57P"))) {
                return true;
            }
        }
        return false;
    }
}

package dev.exactlyonce.query.store;

import io.micronaut.data.connection.exceptions.ConnectionException;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A read run again when PostgreSQL closed its connection ({@link #readAgainIfLost}), and how such a
 * failure is recognised ({@link #causedBy}). It means PostgreSQL closed or refused the connection
 * (a restart, a failover, a terminated backend): SQLSTATE class 08 (connection exception) or 57P
 * (the server shut the session down), or Micronaut Data failing to manage the connection. The last
 * is how a terminated backend usually surfaces: HikariCP marks the connection broken on the 57P01,
 * and restoring its read-only flag afterwards fails with "Connection is closed" (no SQLSTATE),
 * which replaces the original error. Either way the pool has evicted that connection, so the same
 * read on another one can succeed.
 */
public final class LostConnection {

    private static final Logger LOG = LoggerFactory.getLogger(LostConnection.class);

    /**
     * Each lost connection is evicted, and the ones idle longer than 500 ms are checked: three
     * tries suffice.
     */
    static final int READ_ATTEMPTS = 3;

    private LostConnection() {}

    /**
     * Runs a read, and runs it again on another connection when PostgreSQL closed the one it got:
     * after a restart the pool hands a connection used in the last 500 ms out unchecked (HikariCP's
     * alive-bypass window), and a grpcurl user should not see UNAVAILABLE for that. Only for reads:
     * a write is never run twice.
     *
     * @param rpc the call's name, for the log line
     */
    public static <T> T readAgainIfLost(String rpc, Callable<T> read) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return read.call();
            } catch (Exception e) {
                if (attempt == READ_ATTEMPTS || !causedBy(e)) {
                    throw e;
                }
                LOG.info(
                        "{}: PostgreSQL closed the connection ({}); reading again on another",
                        rpc,
                        e.getMessage());
            }
        }
    }

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

package dev.exactlyonce.consumer;

import java.sql.SQLException;

/**
 * Which PostgreSQL errors say "this data can never be stored": SQLSTATE class 22 (data exception: a
 * value out of range, a character the encoding cannot hold, a string too long) and class 23
 * (integrity constraint violation). Retrying them cannot help, so the record is dead-lettered.
 * Everything else (class 08 connection, 40 serialization failure or deadlock, 53 insufficient
 * resources, 57 operator intervention, no SQLSTATE at all) may pass on a later try: the batch is
 * retried with backoff.
 */
final class SqlErrors {

    private SqlErrors() {}

    /** "SQLSTATE 22P05: ..." when the cause chain holds a permanent refusal, else null. */
    static String permanentRefusal(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql
                    && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("22") || sql.getSQLState().startsWith("23"))) {
                return "SQLSTATE " + sql.getSQLState() + ": " + sql.getMessage();
            }
        }
        return null;
    }
}

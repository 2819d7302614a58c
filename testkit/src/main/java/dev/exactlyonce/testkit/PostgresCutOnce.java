package dev.exactlyonce.testkit;

import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PostgreSQL behind a {@link FaultyLink} that resets the first connection on which the client sends
 * a given text, as a database restart or a cut link at that very moment does; every other
 * connection passes untouched. Used to cut a connection pool's first connection in the middle of
 * its set-up (HikariCP's "SHOW TRANSACTION ISOLATION LEVEL").
 */
public final class PostgresCutOnce implements AutoCloseable {

    private static final Pattern LOCAL_JDBC_URL =
            Pattern.compile("jdbc:postgresql://(127\\.0\\.0\\.1|localhost):(\\d+)/([^?]*)(\\?.*)?");

    private final FaultyLink link;
    private final String database;

    private PostgresCutOnce(FaultyLink link, String database) {
        this.link = link;
        this.database = database;
    }

    /**
     * @param jdbcUrl the database's own URL, on this machine
     * @param text what the client sends on the connection to reset
     */
    public static PostgresCutOnce start(String jdbcUrl, String text) throws IOException {
        Matcher url = LOCAL_JDBC_URL.matcher(jdbcUrl);
        if (!url.matches()) {
            throw new IllegalArgumentException("not a local jdbc:postgresql URL: " + jdbcUrl);
        }
        FaultyLink link = new FaultyLink("postgres-cut-once", 0, Integer.parseInt(url.group(2)));
        link.resetOnceWhenSent(text);
        return new PostgresCutOnce(link, url.group(3));
    }

    /** The URL through the link (plain text: the text must be visible on the wire). */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + link.port() + "/" + database + "?sslmode=disable";
    }

    /** Connections reset so far: 0 or 1. */
    public int cuts() {
        return link.resetsWhenSent();
    }

    @Override
    public void close() {
        link.close();
    }
}

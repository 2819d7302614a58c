package dev.exactlyonce.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TCP proxy in front of PostgreSQL that resets the first connection on which the client sends a
 * given text, as a database restart or a cut link at that very moment does; every other connection
 * passes untouched. Used to cut a connection pool's first connection in the middle of its set-up
 * (HikariCP's "SHOW TRANSACTION ISOLATION LEVEL").
 */
public final class PostgresCutOnce implements AutoCloseable {

    private static final Pattern JDBC_URL =
            Pattern.compile("jdbc:postgresql://([^:/]+):(\\d+)/([^?]*)(\\?.*)?");

    private final ServerSocket server;
    private final String host;
    private final int port;
    private final String database;
    private final byte[] text;
    private final AtomicBoolean armed = new AtomicBoolean(true);
    private final AtomicInteger cuts = new AtomicInteger();

    private PostgresCutOnce(String jdbcUrl, String text) throws IOException {
        Matcher url = JDBC_URL.matcher(jdbcUrl);
        if (!url.matches()) {
            throw new IllegalArgumentException(
                    "not a jdbc:postgresql://host:port/db URL: " + jdbcUrl);
        }
        this.host = url.group(1);
        this.port = Integer.parseInt(url.group(2));
        this.database = url.group(3);
        this.text = text.getBytes(StandardCharsets.US_ASCII);
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread acceptor = new Thread(this::acceptUntilClosed, "postgres-cut-once-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * @param jdbcUrl the database's own URL
     * @param text what the client sends on the connection to reset
     */
    public static PostgresCutOnce start(String jdbcUrl, String text) throws IOException {
        return new PostgresCutOnce(jdbcUrl, text);
    }

    /** The URL through this proxy (plain text: the text must be visible on the wire). */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:"
                + server.getLocalPort()
                + "/"
                + database
                + "?sslmode=disable";
    }

    /** Connections reset so far: 0 or 1. */
    public int cuts() {
        return cuts.get();
    }

    private void acceptUntilClosed() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(host, port);
                pump(client, upstream, true);
                pump(upstream, client, false);
            } catch (IOException e) {
                // closed, or the database is away: the client sees its connection closed
            }
        }
    }

    private void pump(Socket from, Socket to, boolean fromClient) {
        Thread pump =
                new Thread(
                        () -> {
                            byte[] buffer = new byte[64 * 1024];
                            try (InputStream in = from.getInputStream();
                                    OutputStream out = to.getOutputStream()) {
                                int n;
                                while ((n = in.read(buffer)) >= 0) {
                                    if (fromClient
                                            && contains(buffer, n)
                                            && armed.compareAndSet(true, false)) {
                                        cuts.incrementAndGet();
                                        from.setSoLinger(true, 0);
                                        to.setSoLinger(true, 0);
                                        return; // both closed with RST below
                                    }
                                    out.write(buffer, 0, n);
                                    out.flush();
                                }
                            } catch (IOException e) {
                                // closed by a peer or reset
                            } finally {
                                closeQuietly(from);
                                closeQuietly(to);
                            }
                        },
                        "postgres-cut-once-" + (fromClient ? "request" : "reply"));
        pump.setDaemon(true);
        pump.start();
    }

    private boolean contains(byte[] buffer, int length) {
        outer:
        for (int i = 0; i + text.length <= length; i++) {
            for (int j = 0; j < text.length; j++) {
                if (buffer[i + j] != text[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}

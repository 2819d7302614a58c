package dev.exactlyonce.testkit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL 17 server process from zonky's embedded binaries (no Docker), with a database
 * "orders" owned by user "postgres". It can be stopped and started again on the same port and data.
 */
public final class EmbeddedPostgresDatabase implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresDatabase.class);
    public static final String DATABASE = "orders";
    public static final String USER = "postgres";
    public static final String PASSWORD = "postgres";

    private final int port;
    private final Path dataDir;
    private EmbeddedPostgres postgres;

    public EmbeddedPostgresDatabase(int port, Path dataDir) {
        this.port = port == 0 ? EmbeddedKafkaBroker.freePort() : port;
        this.dataDir = dataDir;
    }

    public synchronized EmbeddedPostgresDatabase start() {
        if (postgres != null) {
            return this;
        }
        try {
            Files.createDirectories(dataDir);
            boolean fresh = !Files.exists(dataDir.resolve("PG_VERSION"));
            postgres =
                    EmbeddedPostgres.builder()
                            .setPort(port)
                            .setDataDirectory(dataDir)
                            .setCleanDataDirectory(false)
                            .setServerConfig("max_connections", "200")
                            .setServerConfig("listen_addresses", "127.0.0.1")
                            .start();
            if (fresh) {
                try (Connection c = postgres.getPostgresDatabase().getConnection();
                        Statement s = c.createStatement()) {
                    s.execute("CREATE DATABASE " + DATABASE);
                    s.execute("ALTER USER " + USER + " PASSWORD '" + PASSWORD + "'");
                }
            }
            LOG.info("embedded PostgreSQL {} listening on {}", serverVersion(), jdbcUrl());
            return this;
        } catch (IOException | SQLException e) {
            throw new IllegalStateException(
                    "embedded PostgreSQL could not start on port " + port + ": " + e, e);
        }
    }

    public synchronized void stop() {
        if (postgres != null) {
            try {
                postgres.close();
            } catch (IOException e) {
                LOG.warn("embedded PostgreSQL did not stop cleanly: {}", e.toString());
            }
            postgres = null;
        }
    }

    public boolean isRunning() {
        return postgres != null;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    public int port() {
        return port;
    }

    private String serverVersion() throws SQLException {
        try (Connection c = postgres.getPostgresDatabase().getConnection()) {
            return c.getMetaData().getDatabaseProductVersion();
        }
    }

    @Override
    public void close() {
        stop();
    }
}

package dev.exactlyonce.testkit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL 17 server process from zonky's embedded binaries (no Docker), with a database
 * "orders" owned by user "postgres". It can be stopped and started again on the same port and data.
 * Whether a COMMIT waits for the disk is the caller's choice ({@link DatabaseDurability}).
 */
public final class EmbeddedPostgresDatabase implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresDatabase.class);
    public static final String DATABASE = "orders";
    public static final String USER = "postgres";
    public static final String PASSWORD = "postgres";
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(60);

    private final int port;
    private final Path dataDir;
    private final DatabaseDurability durability;
    private EmbeddedPostgres postgres;

    public EmbeddedPostgresDatabase(int port, Path dataDir, DatabaseDurability durability) {
        this.port = port == 0 ? EmbeddedKafkaBroker.freePort() : port;
        this.dataDir = dataDir;
        this.durability = durability;
    }

    public synchronized EmbeddedPostgresDatabase start() {
        if (postgres != null) {
            return this;
        }
        try {
            Files.createDirectories(dataDir);
            boolean fresh = !Files.exists(dataDir.resolve("PG_VERSION"));
            EmbeddedPostgres.Builder builder =
                    EmbeddedPostgres.builder()
                            .setPort(port)
                            .setDataDirectory(dataDir)
                            .setCleanDataDirectory(false)
                            .setServerConfig("max_connections", "200")
                            .setServerConfig("listen_addresses", "127.0.0.1")
                            // zonky waits 10 s by default; a restart after a crash, on a machine
                            // whose cores are busy, took longer (chaos seed 6002), and a start
                            // zonky gave up on keeps the data directory's lock in this JVM: every
                            // later start fails (OverlappingFileLockException)
                            .setPGStartupWait(STARTUP_WAIT);
            // -c fsync=… and -c synchronous_commit=… come after zonky's -F: they decide
            durability.serverConfig().forEach(builder::setServerConfig);
            postgres = builder.start();
            if (fresh) {
                try (Connection c = postgres.getPostgresDatabase().getConnection();
                        Statement s = c.createStatement()) {
                    s.execute("CREATE DATABASE " + DATABASE);
                    s.execute("ALTER USER " + USER + " PASSWORD '" + PASSWORD + "'");
                }
            }
            LOG.info(
                    "embedded PostgreSQL {} listening on {}, {}",
                    serverVersion(),
                    jdbcUrl(),
                    observedDurability());
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

    /** What was asked for; {@link #observedDurability()} is what the server does. */
    public DatabaseDurability durability() {
        return durability;
    }

    /** fsync and synchronous_commit as the running server reports them (SHOW). */
    public synchronized DatabaseDurability.Observed observedDurability() {
        if (postgres == null) {
            throw new IllegalStateException("PostgreSQL is not running");
        }
        try (Connection c = postgres.getPostgresDatabase().getConnection()) {
            return DatabaseDurability.Observed.read(c);
        } catch (SQLException e) {
            throw new IllegalStateException("could not read fsync and synchronous_commit: " + e, e);
        }
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

package dev.exactlyonce.testkit;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Whether the embedded PostgreSQL waits for the disk: what a COMMIT that returned promises after a
 * power loss.
 *
 * <p>zonky's EmbeddedPostgres starts {@code postgres -p PORT -F -c synchronous_commit=off …}: the
 * {@code -F} is hard-coded (fsync off) and {@code synchronous_commit=off} is a default of its
 * builder's server config. Every {@code -c} entry follows the {@code -F} on that command line, and
 * PostgreSQL applies its options in order, so {@code -c fsync=on} overrides {@code -F}.
 */
public enum DatabaseDurability {

    /**
     * fsync on, synchronous_commit on: PostgreSQL's own defaults and the chart's {@code
     * postgres:17}. A COMMIT returns once its WAL is flushed to disk.
     */
    DURABLE("durable", "on", "on"),

    /**
     * fsync off, synchronous_commit off: zonky's defaults. Nothing waits for the disk; a power loss
     * (not a process crash) can lose acknowledged commits or corrupt the data directory.
     */
    UNSAFE_FAST("unsafe-fast", "off", "off");

    private final String label;
    private final String fsync;
    private final String synchronousCommit;

    DatabaseDurability(String label, String fsync, String synchronousCommit) {
        this.label = label;
        this.fsync = fsync;
        this.synchronousCommit = synchronousCommit;
    }

    /** The name on the command line: durable, unsafe-fast. */
    public String label() {
        return label;
    }

    /** The server settings that make it so, passed as {@code -c name=value}. */
    public Map<String, String> serverConfig() {
        return Map.of("fsync", fsync, "synchronous_commit", synchronousCommit);
    }

    public static DatabaseDurability fromLabel(String label) {
        return Arrays.stream(values())
                .filter(d -> d.label.equalsIgnoreCase(label.trim()))
                .findFirst()
                .orElseThrow(
                        () ->
                                new IllegalArgumentException(
                                        "database durability must be "
                                                + Arrays.stream(values())
                                                        .map(DatabaseDurability::label)
                                                        .collect(Collectors.joining(" or "))
                                                + ", not "
                                                + label));
    }

    /**
     * What a running server says it does, read with SHOW, not taken from the flag that asked for
     * it.
     */
    public record Observed(String fsync, String synchronousCommit) {

        /** Reads {@code SHOW fsync} and {@code SHOW synchronous_commit} on this connection. */
        public static Observed read(Connection connection) throws SQLException {
            return new Observed(show(connection, "fsync"), show(connection, "synchronous_commit"));
        }

        private static String show(Connection connection, String setting) throws SQLException {
            try (Statement s = connection.createStatement();
                    ResultSet rs = s.executeQuery("SHOW " + setting)) {
                rs.next();
                return rs.getString(1).toLowerCase(Locale.ROOT);
            }
        }

        /**
         * durable when fsync is on and a commit waits for its WAL (synchronous_commit anything but
         * off: local and remote_* wait too); unsafe-fast when neither; else custom.
         */
        public String label() {
            boolean fsyncOn = fsync.equals("on");
            boolean commitWaits = !synchronousCommit.equals("off");
            if (fsyncOn && commitWaits) {
                return DURABLE.label;
            }
            return !fsyncOn && !commitWaits ? UNSAFE_FAST.label : "custom";
        }

        /** e.g. "durable (fsync on, synchronous_commit on)". */
        @Override
        public String toString() {
            return label() + " (fsync " + fsync + ", synchronous_commit " + synchronousCommit + ")";
        }
    }
}

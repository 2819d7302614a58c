package dev.exactlyonce.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durability asked for is what the server runs with, read back with SHOW: {@code -c fsync=on}
 * overrides the {@code -F} zonky puts on every postgres command line.
 */
class EmbeddedPostgresDurabilityTest {

    @Test
    void durableRunsWithFsyncAndSynchronousCommitOn(@TempDir Path dir) {
        try (EmbeddedPostgresDatabase db =
                new EmbeddedPostgresDatabase(0, dir, DatabaseDurability.DURABLE).start()) {
            DatabaseDurability.Observed observed = db.observedDurability();
            assertThat(observed.fsync()).isEqualTo("on");
            assertThat(observed.synchronousCommit()).isEqualTo("on");
            assertThat(observed).hasToString("durable (fsync on, synchronous_commit on)");
        }
    }

    @Test
    void unsafeFastRunsWithBothOff(@TempDir Path dir) {
        try (EmbeddedPostgresDatabase db =
                new EmbeddedPostgresDatabase(0, dir, DatabaseDurability.UNSAFE_FAST).start()) {
            assertThat(db.observedDurability())
                    .hasToString("unsafe-fast (fsync off, synchronous_commit off)");
        }
    }

    @Test
    void labelsNameTheSettingsThatWereSeen() {
        assertThat(new DatabaseDurability.Observed("on", "local").label()).isEqualTo("durable");
        assertThat(new DatabaseDurability.Observed("on", "off").label()).isEqualTo("custom");
        assertThat(DatabaseDurability.fromLabel("unsafe-fast"))
                .isEqualTo(DatabaseDurability.UNSAFE_FAST);
        assertThatThrownBy(() -> DatabaseDurability.fromLabel("fast"))
                .hasMessageContaining("durable or unsafe-fast");
    }
}

package dev.exactlyonce.lab.runner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.testkit.DatabaseDurability;
import dev.exactlyonce.testkit.EmbeddedPostgresDatabase;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PostgreSQL a lab starts with the default settings waits for the disk. */
class LabDatabaseTest {

    @Test
    void theDefaultLabDatabaseHasFsyncAndSynchronousCommitOn(@TempDir Path dir) {
        LabSettings defaults = LabSettings.defaults();
        assertThat(defaults.databaseDurability()).isEqualTo(DatabaseDurability.DURABLE);
        // port 0: a free one, not the lab's 5432
        LabSettings settings = defaults.withPorts(defaults.kafkaPort(), 0, defaults.ports());
        try (EmbeddedPostgresDatabase postgres = Lab.database(settings, dir).start()) {
            DatabaseDurability.Observed observed = Lab.checkDurability(postgres);
            assertThat(observed.fsync()).isEqualTo("on");
            assertThat(observed.synchronousCommit()).isEqualTo("on");
        }
    }
}

package dev.exactlyonce.lab.chaos;

import dev.exactlyonce.lab.chaos.Reads.StoredRow;
import dev.exactlyonce.lab.runner.Lab;
import dev.exactlyonce.lab.runner.Progress;
import dev.exactlyonce.lab.runner.SupervisedProcess;
import dev.exactlyonce.testkit.EmbeddedPostgresDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A lab this process started: {@link LabStrikes} on its processes and links, a Kafka consumer of
 * this process as the reader, PostgreSQL read directly.
 */
final class LabChaosTarget implements ChaosTarget {

    private final Lab lab;

    LabChaosTarget(Lab lab) {
        this.lab = lab;
    }

    @Override
    public Strikes strikes(Set<FaultClass> classes, Progress progress) {
        return new LabStrikes(lab, progress);
    }

    @Override
    public TopicReader reader(String prefix) {
        return new KafkaTopicReader(lab.bootstrapServers(), prefix);
    }

    @Override
    public List<StoredRow> storedRows(String prefix) throws Exception {
        List<StoredRow> rows = new ArrayList<>();
        try (Connection c =
                        DriverManager.getConnection(
                                lab.jdbcUrl(),
                                EmbeddedPostgresDatabase.USER,
                                EmbeddedPostgresDatabase.PASSWORD);
                PreparedStatement s =
                        c.prepareStatement(
                                "SELECT order_id, message_id, customer_id FROM orders WHERE order_id LIKE ?")) {
            s.setString(1, prefix + "%");
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    rows.add(new StoredRow(r.getString(1), r.getString(2), r.getString(3)));
                }
            }
        }
        return rows;
    }

    @Override
    public void awaitServing(Duration timeout) throws InterruptedException {
        for (SupervisedProcess child : lab.children()) {
            Lab.awaitServing(child, timeout);
        }
    }
}

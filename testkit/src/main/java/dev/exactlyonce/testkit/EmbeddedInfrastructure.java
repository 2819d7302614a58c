package dev.exactlyonce.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Kafka and PostgreSQL in this JVM / as a child process, no Docker needed. */
public record EmbeddedInfrastructure(
        EmbeddedKafkaBroker kafka, EmbeddedPostgresDatabase postgres, Path dataDir)
        implements Infrastructure {

    @Override
    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    @Override
    public String jdbcUrl() {
        return postgres.jdbcUrl();
    }

    @Override
    public String jdbcUser() {
        return EmbeddedPostgresDatabase.USER;
    }

    @Override
    public String jdbcPassword() {
        return EmbeddedPostgresDatabase.PASSWORD;
    }

    @Override
    public String kind() {
        return "embedded";
    }

    @Override
    public void close() {
        kafka.stop();
        postgres.stop();
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory; the OS cleans it eventually
        }
    }
}

package dev.exactlyonce.testkit;

import java.util.Map;

/** A running Kafka broker and PostgreSQL database, however they were started. */
public interface Infrastructure extends AutoCloseable {

    String bootstrapServers();

    String jdbcUrl();

    String jdbcUser();

    String jdbcPassword();

    /** "containers" or "embedded". */
    String kind();

    /** The Micronaut properties that point a service at this infrastructure. */
    default Map<String, String> micronautProperties() {
        return Map.of(
                "kafka.bootstrap.servers", bootstrapServers(),
                "datasources.default.url", jdbcUrl(),
                "datasources.default.username", jdbcUser(),
                "datasources.default.password", jdbcPassword());
    }

    @Override
    void close();
}

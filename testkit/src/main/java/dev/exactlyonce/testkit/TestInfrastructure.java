package dev.exactlyonce.testkit;

import java.io.IOException;
import java.nio.file.Files;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;

/**
 * The one fixture tests use: a real Kafka broker (KRaft, transactions on) and a real PostgreSQL 17,
 * started once per test JVM and shared by every test class in it.
 *
 * <p>Testcontainers with the official images when a Docker engine can serve them, else embedded
 * engines in this JVM. {@code -Dtestkit=containers|embedded} forces one; the choice is logged.
 */
public final class TestInfrastructure {

    private static final Logger LOG = LoggerFactory.getLogger(TestInfrastructure.class);
    private static Infrastructure shared;

    private TestInfrastructure() {}

    public static synchronized Infrastructure shared() {
        if (shared == null) {
            shared = start(System.getProperty("testkit", "auto"));
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "testkit-stop"));
        }
        return shared;
    }

    static Infrastructure start(String choice) {
        boolean containers =
                switch (choice) {
                    case "containers" -> true;
                    case "embedded" -> false;
                    case "auto" -> dockerAvailable();
                    default ->
                            throw new IllegalArgumentException(
                                    "-Dtestkit must be containers, embedded or auto, not "
                                            + choice);
                };
        long started = System.nanoTime();
        Infrastructure infrastructure = containers ? new ContainerInfrastructure() : embedded();
        LOG.info(
                "testkit: {} Kafka at {} and PostgreSQL at {} (-Dtestkit={}), ready in {} ms",
                infrastructure.kind(),
                infrastructure.bootstrapServers(),
                infrastructure.jdbcUrl(),
                choice,
                (System.nanoTime() - started) / 1_000_000);
        return infrastructure;
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /**
     * PostgreSQL {@link DatabaseDurability#UNSAFE_FAST}: the tests kill processes, never the
     * machine's power, and a killed process's writes are in the OS's page cache either way; no
     * outcome a test checks depends on fsync, only its time.
     */
    private static Infrastructure embedded() {
        try {
            var dir = Files.createTempDirectory("testkit-");
            return new EmbeddedInfrastructure(
                    new EmbeddedKafkaBroker(0, dir.resolve("kafka")).start(),
                    new EmbeddedPostgresDatabase(
                                    0, dir.resolve("postgres"), DatabaseDurability.UNSAFE_FAST)
                            .start(),
                    dir);
        } catch (IOException e) {
            throw new IllegalStateException("no temporary directory for the embedded engines", e);
        }
    }
}

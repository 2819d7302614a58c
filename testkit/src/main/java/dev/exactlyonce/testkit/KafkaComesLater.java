package dev.exactlyonce.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * The scenario every service's StartsBeforeKafkaTest runs, as on Kubernetes where a release's pods
 * start together: the service starts with the chart's bootstrap list and not one name of it
 * resolving yet (the Service not created, the broker pod without an IP), so kafka-clients refuse to
 * construct a client. The service must stay up, alive and NOT_SERVING with the reason; once the
 * names resolve ({@link HostsFile}) and the broker runs, it must become SERVING and do its work,
 * with no restart. Runs in the surefire execution {@value HostsFile#TAG}.
 */
public final class KafkaComesLater {

    /** A started service: its ports, whether it still runs, and how it stops. */
    public record Started(
            int grpcPort, int managementPort, BooleanSupplier running, AutoCloseable stop)
            implements AutoCloseable {

        @Override
        public void close() throws Exception {
            stop.close();
        }
    }

    /** Starts the service with these bootstrap servers. */
    @FunctionalInterface
    public interface Starter {
        Started start(String bootstrapServers) throws Exception;
    }

    /** A step of the scenario, with the service's probe and the (late) broker. */
    @FunctionalInterface
    public interface Step {
        void run(ServiceProbe probe, EmbeddedKafkaBroker broker) throws Exception;
    }

    private KafkaComesLater() {}

    /**
     * Runs the scenario: {@code whileUnresolvable} after the NOT_SERVING check (what the service
     * answers meanwhile), {@code onceReady} after SERVING (the service's work, end to end).
     */
    public static void verify(Starter starter, Step whileUnresolvable, Step onceReady)
            throws Exception {
        HostsFile hosts = HostsFile.forThisJvm();
        Path dataDir = Files.createTempDirectory("kafka-comes-later-");
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(0, dataDir);
        try (Started service = starter.start(HostsFile.chartBootstrapServers(broker.port()));
                ServiceProbe probe =
                        new ServiceProbe(service.grpcPort(), service.managementPort())) {
            probe.assertAliveNotReady("no Kafka bootstrap name resolves");
            whileUnresolvable.run(probe, broker);

            hosts.resolveToLoopback(HostsFile.CHART_KAFKA_NAMES);
            broker.start();

            probe.awaitHealth("", ServingStatus.SERVING, Duration.ofSeconds(60));
            onceReady.run(probe, broker);
            assertThat(service.running().getAsBoolean()).as("never restarted").isTrue();
        } finally {
            broker.stop();
        }
    }

    /** Nothing to check while the names do not resolve. */
    public static void nothing(ServiceProbe probe, EmbeddedKafkaBroker broker) {}
}

package dev.exactlyonce.lab.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code lab chaos}'s options, parsed without starting a lab. */
class ChaosCommandTest {

    @Test
    void defaults() {
        ChaosCommand chaos = new ChaosCommand();
        new CommandLine(chaos).parseArgs();
        assertThat(chaos.seed).isNull();
        assertThat(chaos.duration).isEqualTo(Duration.ofMinutes(2));
        assertThat(FaultClass.parse(chaos.faults)).isEqualTo(EnumSet.allOf(FaultClass.class));
        assertThat(chaos.mode).isEqualTo(DeliveryMode.EXACTLY_ONCE);
        assertThat(chaos.ordersPerSecond).isEqualTo(200);
        assertThat(chaos.lab.settings().brokers()).isEqualTo(3);
    }

    @Test
    void options() {
        ChaosCommand chaos = new ChaosCommand();
        new CommandLine(chaos)
                .parseArgs(
                        "--seed",
                        "42",
                        "--duration",
                        "PT45S",
                        "--faults",
                        "pause,network",
                        "--mode",
                        "AT_LEAST_ONCE",
                        "--orders-per-second",
                        "50");
        assertThat(chaos.seed).isEqualTo(42L);
        assertThat(chaos.duration).isEqualTo(Duration.ofSeconds(45));
        assertThat(FaultClass.parse(chaos.faults))
                .containsExactlyInAnyOrder(FaultClass.PAUSE, FaultClass.NETWORK);
        assertThat(chaos.mode).isEqualTo(DeliveryMode.AT_LEAST_ONCE);
        assertThat(chaos.ordersPerSecond).isEqualTo(50);
    }

    @Test
    void unknownFaultClassesAreRefused() {
        assertThatThrownBy(() -> FaultClass.parse(List.of("pause", "meteor")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(FaultClass.parse(List.of("all"))).hasSize(FaultClass.values().length);
    }

    @Test
    void againstKindHasNoNetworkFaults() {
        ChaosCommand chaos = new ChaosCommand();
        new CommandLine(chaos)
                .parseArgs(
                        "--against",
                        "localhost",
                        "--namespace",
                        "exactly-once",
                        "--faults",
                        "network");
        assertThat(chaos.against).isEqualTo("localhost");
        assertThat(chaos.namespace.namespace()).isEqualTo("exactly-once");
        // refused before anything is started or called
        assertThatThrownBy(chaos::call)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no fault class left");
    }
}

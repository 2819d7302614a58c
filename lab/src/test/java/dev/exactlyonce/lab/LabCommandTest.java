package dev.exactlyonce.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.kafka.GroupProtocol;
import dev.exactlyonce.lab.runner.ControlTokenFile;
import dev.exactlyonce.lab.runner.LabSettings;
import dev.exactlyonce.lab.runner.ServicePorts;
import dev.exactlyonce.testkit.ControlToken;
import dev.exactlyonce.testkit.DatabaseDurability;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class LabCommandTest {

    @Test
    void helpListsTheSubcommands() {
        StringWriter out = new StringWriter();
        CommandLine cli = LabCommand.commandLine();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("--help")).isZero();
        assertThat(out.toString()).contains("up", "drill", "bench", "chaos");
    }

    @Test
    void upOptionsBecomeLabSettings() {
        UpCommand up = new UpCommand();
        new CommandLine(up)
                .parseArgs(
                        "--data",
                        "/tmp/lab-data",
                        "--kafka-port",
                        "19092",
                        "--postgres-port",
                        "15432",
                        "--grpc-base-port",
                        "18000",
                        "--management-base-port",
                        "19000",
                        "--consumers",
                        "3",
                        "--repo",
                        "/repo");
        LabSettings settings = up.lab.settings();
        assertThat(settings.dataDir()).isEqualTo(Path.of("/tmp/lab-data"));
        assertThat(settings.kafkaPort()).isEqualTo(19092);
        assertThat(settings.postgresPort()).isEqualTo(15432);
        assertThat(settings.consumers()).isEqualTo(3);
        assertThat(settings.jars().jar("consumer"))
                .isEqualTo(Path.of("/repo/consumer/target/consumer.jar"));
        assertThat(settings.jvmOptions())
                .containsExactly("-Xmx160m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError");
    }

    @Test
    void theDatabaseIsDurableUnlessAskedOtherwise() {
        UpCommand up = new UpCommand();
        new CommandLine(up).parseArgs();
        assertThat(up.lab.settings().databaseDurability()).isEqualTo(DatabaseDurability.DURABLE);

        BenchCommand bench = new BenchCommand();
        new CommandLine(bench).parseArgs("--database-durability", "unsafe-fast");
        assertThat(bench.lab.settings().databaseDurability())
                .isEqualTo(DatabaseDurability.UNSAFE_FAST);
        assertThat(bench.lab.settings().withBrokers(1).databaseDurability())
                .as("the bench's one-broker copy keeps it")
                .isEqualTo(DatabaseDurability.UNSAFE_FAST);

        StringWriter err = new StringWriter();
        CommandLine cli = LabCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("up", "--database-durability", "fast")).isNotZero();
        assertThat(err.toString()).contains("durable or unsafe-fast");
    }

    @Test
    void theGroupProtocolIsClassicUnlessAskedOtherwise() {
        UpCommand up = new UpCommand();
        new CommandLine(up).parseArgs();
        assertThat(up.lab.settings().groupProtocol()).isEqualTo(GroupProtocol.CLASSIC);

        BenchCommand bench = new BenchCommand();
        new CommandLine(bench).parseArgs("--group-protocol", "consumer");
        assertThat(bench.lab.settings().groupProtocol()).isEqualTo(GroupProtocol.CONSUMER);
        assertThat(bench.lab.settings().withBrokers(1).groupProtocol())
                .as("the bench's one-broker copy keeps it")
                .isEqualTo(GroupProtocol.CONSUMER);

        StringWriter err = new StringWriter();
        CommandLine cli = LabCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("up", "--group-protocol", "streams")).isNotZero();
        assertThat(err.toString()).contains("classic or consumer");
    }

    @Test
    void theControlTokenComesFromTheGivenFileOrTheDataDirectory(
            @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        ControlToken written = ControlTokenFile.create(ControlTokenFile.in(dir));
        assertThat(written.value()).as("32 random bytes, base64url").matches("[A-Za-z0-9_-]{43}");
        assertThat(
                        PosixFilePermissions.toString(
                                Files.getPosixFilePermissions(ControlTokenFile.in(dir))))
                .isEqualTo("rw-------");
        assertThat(ControlTokenFile.create(ControlTokenFile.in(dir)))
                .as("a new one per run")
                .isNotEqualTo(written);

        DrillCommand drill = new DrillCommand();
        new CommandLine(drill)
                .parseArgs(
                        "--against",
                        "127.0.0.1",
                        "--control-token-file",
                        ControlTokenFile.in(dir).toString());
        assertThat(drill.controlToken.forAgainst("127.0.0.1", drill.lab.settings()))
                .isEqualTo(ControlTokenFile.read(ControlTokenFile.in(dir)));

        BenchCommand bench = new BenchCommand();
        new CommandLine(bench).parseArgs("--against", "127.0.0.1", "--data", dir.toString());
        assertThat(bench.controlToken.forAgainst("127.0.0.1", bench.lab.settings()))
                .isEqualTo(ControlTokenFile.read(ControlTokenFile.in(dir)));

        DrillCommand without = new DrillCommand();
        new CommandLine(without).parseArgs("--against", "127.0.0.1");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> without.controlToken.forAgainst("127.0.0.1", without.lab.settings()))
                .hasMessageContaining("--control-token-file");
    }

    @Test
    void defaultsAreTheArchitecturePorts() {
        LabSettings settings = LabSettings.defaults();
        assertThat(settings.kafkaPort()).isEqualTo(9092);
        assertThat(settings.postgresPort()).isEqualTo(5432);
        ServicePorts ports = settings.ports();
        assertThat(ports.producerGrpc()).isEqualTo(8000);
        assertThat(ports.producerManagement()).isEqualTo(9000);
        assertThat(ports.consumerGrpc(0)).isEqualTo(8001);
        assertThat(ports.consumerManagement(0)).isEqualTo(9001);
        assertThat(ports.consumerGrpc(2)).isEqualTo(8021);
        assertThat(ports.queryGrpc()).isEqualTo(8003);
        assertThat(ports.queryManagement()).isEqualTo(9003);
    }

    @Test
    void badOptionsAreRefusedWithTheReason() {
        StringWriter err = new StringWriter();
        CommandLine cli = LabCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("up", "--consumers", "4", "--repo", "/nonexistent")).isNotZero();
        assertThat(err.toString()).contains("consumers must be 1..3");

        err.getBuffer().setLength(0);
        assertThat(cli.execute("up", "--repo", "/nonexistent")).isNotZero();
        assertThat(err.toString()).contains("run ./mvnw -B -q package -DskipTests first");

        err.getBuffer().setLength(0);
        assertThat(
                        cli.execute(
                                "drill",
                                "--orders",
                                "10",
                                "--crash-after",
                                "10",
                                "--repo",
                                "/nonexistent"))
                .isNotZero();
        assertThat(err.toString()).contains("crash-after");
    }
}

package dev.exactlyonce.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.lab.bench.BackgroundLoad;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code lab bench}'s peer and background-load options, parsed and refused without a lab. */
class BenchCommandTest {

    @Test
    void noPeerAndNoBackgroundLoadByDefault() {
        BenchCommand bench = new BenchCommand();
        new CommandLine(bench).parseArgs();
        assertThat(bench.peer).isNull();
        assertThat(bench.backgroundLoad).isZero();
        assertThat(BackgroundLoad.describe(bench.backgroundLoad)).isEqualTo("none");
    }

    @Test
    void peerAndBackgroundLoad() {
        BenchCommand bench = new BenchCommand();
        new CommandLine(bench)
                .parseArgs(
                        "--peer", "kafka-streams", "--background-load", "2", "--orders", "20000");
        assertThat(bench.peer).isEqualTo(BenchCommand.KAFKA_STREAMS);
        assertThat(bench.backgroundLoad).isEqualTo(2);
        assertThat(BackgroundLoad.describe(bench.backgroundLoad))
                .isEqualTo("2 busy-loop thread(s) in a JVM of their own, normal priority");
    }

    @Test
    void anUnknownPeerANegativeLoadAndAPeerAgainstRemoteServicesAreRefusedBeforeAnythingStarts() {
        assertThat(refusal("--peer", "flink")).contains("the only peer is kafka-streams");
        assertThat(refusal("--background-load", "-1"))
                .contains("--background-load must be 0 or more");
        assertThat(refusal("--peer", "kafka-streams", "--against", "127.0.0.1"))
                .contains("does not go with --against");
        assertThat(refusal("--curve", "4,64", "--repeat", "2"))
                .contains("--curve runs each load level once");
        assertThat(refusal("--curve", "0,64")).contains("client counts >= 1");
    }

    @Test
    void helpNamesBothOptions() {
        StringWriter out = new StringWriter();
        CommandLine cli = LabCommand.commandLine();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("bench", "--help")).isZero();
        assertThat(out.toString()).contains("--peer=kafka-streams", "--background-load=N");
    }

    private static String refusal(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = LabCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        String[] command = new String[args.length + 1];
        command[0] = "bench";
        System.arraycopy(args, 0, command, 1, args.length);
        assertThat(cli.execute(command)).isNotZero();
        return err.toString();
    }
}

package dev.exactlyonce.lab.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Kafka node whose startup fails must exit, so that the lab's supervisor starts it again. Before
 * the fix its JVM stayed up with no broker in it (Kafka's non-daemon threads outlived the failed
 * main thread), and the supervisor never restarted it.
 */
class KafkaNodeProcessTest {

    @Test
    void aNodeThatCannotStartExitsWithOne(@TempDir Path dataDir) throws Exception {
        // the node's client port is taken: its broker cannot bind it, the startup fails
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path log = dataDir.resolve("kafka-node.log");
            Process node =
                    new ProcessBuilder(
                                    Path.of(System.getProperty("java.home"), "bin", "java")
                                            .toString(),
                                    "-Xmx256m",
                                    "-cp",
                                    System.getProperty("java.class.path"),
                                    KafkaNodeProcess.class.getName(),
                                    "1",
                                    "1",
                                    String.valueOf(taken.getLocalPort()),
                                    dataDir.resolve("kafka").toString(),
                                    "2",
                                    "-")
                            .redirectErrorStream(true)
                            .redirectOutput(log.toFile())
                            .start();
            try {
                boolean exited = node.waitFor(120, TimeUnit.SECONDS);
                assertThat(exited)
                        .as("the node exited; its log:%n%s", Files.readString(log))
                        .isTrue();
                assertThat(node.exitValue()).isEqualTo(1);
                assertThat(Files.readString(log)).contains("Kafka node did not start");
            } finally {
                node.destroyForcibly();
            }
        }
    }
}

package dev.exactlyonce.lab.runner;

import dev.exactlyonce.testkit.EmbeddedKafkaBroker;
import dev.exactlyonce.testkit.KafkaTopology;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The main class of one Kafka node of the lab, run as its own supervised child JVM (like a broker
 * pod): {@code KafkaNodeProcess <node id> <brokers> <first client port> <data dir>
 * <transaction.version> <links or ->}. SIGTERM runs Kafka's own clean shutdown (leadership moved
 * away first: a controlled shutdown); SIGKILL is a crash, and the lab's supervisor starts it again
 * on the same ports and data. A node that fails to start exits with 1, so that it is started again.
 */
public final class KafkaNodeProcess {

    private KafkaNodeProcess() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 6) {
            System.err.println(
                    "usage: KafkaNodeProcess NODE_ID BROKERS FIRST_CLIENT_PORT DATA_DIR TRANSACTION_VERSION LINKS|-");
            System.exit(64);
        }
        List<String> links = args[5].equals("-") ? List.of() : List.of(args[5].split(","));
        KafkaTopology topology =
                new KafkaTopology(Integer.parseInt(args[1]), Integer.parseInt(args[2]), links);
        EmbeddedKafkaBroker node =
                new EmbeddedKafkaBroker(topology, Integer.parseInt(args[0]), Path.of(args[3]))
                        .withTransactionVersion(Short.parseShort(args[4]));
        Runtime.getRuntime().addShutdownHook(new Thread(node::stop, "kafka-node-shutdown"));
        try {
            node.start();
        } catch (RuntimeException startupFailed) {
            // Kafka's own main (kafka.Kafka) exits when the startup fails. Here the half-started
            // server's non-daemon threads would keep this JVM alive with no broker in it, and the
            // supervisor, seeing a live process, would never start it again (chaos seed 6005 lost a
            // node this way to the end of its run). halt, not exit: stopping a half-started server
            // can hang.
            startupFailed.printStackTrace();
            System.err.println("Kafka node did not start: exiting with 1, to be started again");
            System.err.flush();
            Runtime.getRuntime().halt(1);
        }
        new CountDownLatch(1).await();
    }

    static ChildSpec spec(
            KafkaTopology topology,
            int nodeId,
            Path dataDir,
            short transactionVersion,
            Path logFile) {
        return new ChildSpec(
                "kafka-" + (nodeId - 1),
                List.of(
                        "-cp",
                        System.getProperty("java.class.path"),
                        KafkaNodeProcess.class.getName(),
                        String.valueOf(nodeId),
                        String.valueOf(topology.brokers()),
                        String.valueOf(topology.firstClientPort()),
                        dataDir.toString(),
                        String.valueOf(transactionVersion),
                        topology.links().isEmpty() ? "-" : String.join(",", topology.links())),
                JVM_OPTIONS,
                Map.of(),
                0,
                0,
                logFile);
    }

    /**
     * Kafka's own start script gives a broker 1 GiB; the lab's brokers hold little and share 2
     * cores.
     */
    static final List<String> JVM_OPTIONS =
            List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError");
}

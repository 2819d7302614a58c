package dev.exactlyonce.lab;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.lab.bench.BackgroundLoad;
import dev.exactlyonce.lab.bench.Bench;
import dev.exactlyonce.lab.bench.BenchRepeats;
import dev.exactlyonce.lab.bench.BenchReport;
import dev.exactlyonce.lab.bench.BenchResult;
import dev.exactlyonce.lab.bench.BenchSettings;
import dev.exactlyonce.lab.bench.KafkaStreamsPeer;
import dev.exactlyonce.lab.bench.LoadCurve;
import dev.exactlyonce.lab.bench.PeerResult;
import dev.exactlyonce.lab.bench.Workload;
import dev.exactlyonce.lab.runner.LabSettings;
import dev.exactlyonce.lab.runner.Progress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lab bench}: the three modes under the same load, acknowledged and end-to-end throughput,
 * latency.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description =
                "Benchmark every mode with concurrent PlaceOrder clients and StreamOrders streams;"
                        + " table, bench.json/csv/png, and the figures recorded for CompareSemantics.")
public class BenchCommand implements Callable<Integer> {

    @Mixin LabOptions lab;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--against",
            paramLabel = "HOST",
            description = "Measure services already running on HOST.")
    String against;

    @Mixin ControlTokenOption controlToken;

    @Option(
            names = "--modes",
            split = ",",
            defaultValue = "AT_MOST_ONCE,AT_LEAST_ONCE,EXACTLY_ONCE",
            description = "Modes to measure (default: ${DEFAULT-VALUE}).")
    List<DeliveryMode> modes;

    @Option(
            names = "--workloads",
            split = ",",
            defaultValue = "PLACE_ORDER,STREAM_ORDERS",
            description = "Workloads (default: ${DEFAULT-VALUE}).")
    List<Workload> workloads;

    @Option(
            names = "--clients",
            defaultValue = "64",
            description = "Concurrent PlaceOrder calls (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(
            names = "--streams",
            defaultValue = "4",
            description = "Concurrent StreamOrders streams (default: ${DEFAULT-VALUE}).")
    int streams;

    @Option(
            names = "--stream-batch",
            defaultValue = "1000",
            description = "Orders per stream (default: ${DEFAULT-VALUE}).")
    int streamBatch;

    @Option(
            names = "--orders",
            defaultValue = "0",
            description = "Orders per run; 0 = run for --duration.")
    long orders;

    @Option(
            names = "--duration",
            defaultValue = "PT20S",
            description = "Length of each run (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(
            names = "--warmup",
            defaultValue = "PT5S",
            description = "Warm-up before each run (default: ${DEFAULT-VALUE}).")
    Duration warmup;

    @Option(
            names = "--channels",
            defaultValue = "4",
            description = "gRPC connections of the load generator (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(
            names = "--record",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description = "Store the figures with QueryService.RecordBenchmark (default: on).")
    boolean record;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Where bench.json/csv/png go (default: lab/target/bench).")
    Path out;

    @Option(
            names = "--repeat",
            defaultValue = "1",
            description =
                    "Run the whole bench N times in the same lab and report medians and spread (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(
            names = "--compare-brokers",
            description =
                    "Run the whole bench on a 1-broker lab, then on a 3-broker lab, and compare: the cost of replication.")
    boolean compareBrokers;

    @Option(
            names = "--curve",
            split = ",",
            paramLabel = "CLIENTS",
            description =
                    "Instead of the workloads: unary PlaceOrder at each of these client counts"
                            + " (e.g. 1,4,16,64,256), every mode at each, in one lab; throughput"
                            + " against latency per level, curve.md/csv.")
    List<Integer> curve;

    static final String KAFKA_STREAMS = "kafka-streams";

    @Option(
            names = "--peer",
            paramLabel = KAFKA_STREAMS,
            description =
                    "After the modes, billing and a Kafka Streams app (exactly_once_v2, one thread)"
                            + " drain the same backlog of --orders orders (20,000 with --duration):"
                            + " invoices/s, their ratio, CPU per invoice, the check;"
                            + " kafka-streams-peer.md/csv/json.")
    String peer;

    @Option(
            names = "--background-load",
            paramLabel = "N",
            defaultValue = "0",
            description =
                    "N busy-loop threads in a JVM of their own beside the lab for the whole bench"
                            + " (default: ${DEFAULT-VALUE}); every result names them.")
    int backgroundLoad;

    @Override
    public Integer call() throws Exception {
        if (repeat < 1) {
            throw new IllegalArgumentException("--repeat must be 1 or more, was " + repeat);
        }
        if (peer != null && !peer.equals(KAFKA_STREAMS)) {
            throw new IllegalArgumentException(
                    "--peer: the only peer is " + KAFKA_STREAMS + ", was " + peer);
        }
        if (curve != null && (repeat > 1 || peer != null || compareBrokers)) {
            throw new IllegalArgumentException(
                    "--curve runs each load level once; it does not go with --repeat, --peer or --compare-brokers");
        }
        if (curve != null && curve.stream().anyMatch(n -> n < 1)) {
            throw new IllegalArgumentException("--curve takes client counts >= 1, was " + curve);
        }
        if (peer != null && against != null) {
            throw new IllegalArgumentException(
                    "--peer stops and starts billing in a lab of its own; it does not go with --against");
        }
        Progress progress = new Progress(System.out);
        BenchSettings settings =
                new BenchSettings(
                        modes,
                        workloads,
                        clients,
                        streams,
                        streamBatch,
                        orders,
                        duration,
                        warmup,
                        channels,
                        record,
                        backgroundLoad);
        Path dir = out != null ? out : lab.settings().jars().repo().resolve("lab/target/bench");
        try (BackgroundLoad background =
                BackgroundLoad.start(backgroundLoad, dir.resolve("background-load.log"))) {
            if (backgroundLoad > 0) {
                progress.line(
                        "background load: %s (pid %d), until the bench ends",
                        BackgroundLoad.describe(backgroundLoad), background.pid());
            }
            return bench(settings, dir, progress);
        }
    }

    private int bench(BenchSettings settings, Path dir, Progress progress) throws Exception {
        if (!compareBrokers) {
            run(benchLab(), settings, dir, progress);
            return 0;
        }
        if (against != null) {
            throw new IllegalArgumentException(
                    "--compare-brokers starts its own labs; it does not go with --against");
        }
        BenchReport one =
                run(lab.settings().withBrokers(1), settings, dir.resolve("brokers-1"), progress);
        BenchReport three =
                run(lab.settings().withBrokers(3), settings, dir.resolve("brokers-3"), progress);
        progress.line("");
        progress.line(
                "The cost of replication (1 broker, RF 1 against 3 brokers, RF 3, min.insync.replicas 2):");
        BenchReport.printReplicationCost(progress.out(), one, three, dir);
        progress.line("written to %s", dir.resolve("replication-cost.md").toAbsolutePath());
        return 0;
    }

    /**
     * One broker unless --brokers says otherwise: the bench compares the delivery modes, and on 2
     * cores three replicating broker JVMs cost unary calls most of their throughput (see
     * --compare-brokers).
     */
    private LabSettings benchLab() {
        boolean brokersGiven = spec.commandLine().getParseResult().hasMatchedOption("--brokers");
        return brokersGiven ? lab.settings() : lab.settings().withBrokers(1);
    }

    /**
     * The bench, {@code --repeat} times in one lab; returns the last run's report (each run's files
     * in run-i/).
     */
    private BenchReport run(
            LabSettings labSettings, BenchSettings settings, Path dir, Progress progress)
            throws Exception {
        try (Target target = Target.open(against, controlToken, null, labSettings, progress)) {
            if (curve != null) {
                return runCurve(target, settings, dir, progress);
            }
            List<List<BenchResult>> runs = new ArrayList<>();
            BenchReport report = null;
            for (int i = 1; i <= repeat; i++) {
                if (repeat > 1) {
                    progress.line("run %d of %d", i, repeat);
                }
                report =
                        new BenchReport(
                                new Bench(target.clients(), target.lab(), settings, progress)
                                        .run());
                runs.add(report.results());
                Path runDir = repeat > 1 ? dir.resolve("run-" + i) : dir;
                progress.line("");
                report.print(progress.out());
                report.write(runDir);
                progress.line(
                        "written to %s (bench.json, bench.csv, bench.png)",
                        runDir.toAbsolutePath());
            }
            if (repeat > 1) {
                BenchRepeats repeats = new BenchRepeats(runs);
                progress.line("");
                progress.line("%d runs: medians and spread", repeat);
                repeats.print(progress.out());
                repeats.write(dir);
                progress.line("written to %s", dir.resolve("repeats.md").toAbsolutePath());
            }
            if (peer != null) {
                PeerResult result =
                        new KafkaStreamsPeer(
                                        target.lab().orElseThrow(),
                                        target.clients(),
                                        settings,
                                        progress)
                                .run();
                progress.line("");
                progress.line("Billing against Kafka Streams, the same backlog:");
                result.print(progress.out());
                result.write(dir);
                progress.line(
                        "written to %s", dir.resolve("kafka-streams-peer.md").toAbsolutePath());
            }
            return report;
        }
    }

    /** {@code --curve}: one bench of unary calls per load level, then the curve. */
    private BenchReport runCurve(Target target, BenchSettings settings, Path dir, Progress progress)
            throws Exception {
        LoadCurve loadCurve = new LoadCurve();
        BenchReport report = null;
        for (int clients : curve) {
            progress.line("load level: %d clients", clients);
            report =
                    new BenchReport(
                            new Bench(
                                            target.clients(),
                                            target.lab(),
                                            settings.placeOrdersFrom(clients),
                                            progress)
                                    .run());
            report.write(dir.resolve("clients-" + clients));
            loadCurve.add(clients, report.results());
        }
        progress.line("");
        loadCurve.print(progress.out());
        loadCurve.write(dir, "`" + commandLine() + "`");
        progress.line("written to %s (curve.md, curve.csv)", dir.toAbsolutePath());
        return report;
    }

    /** How this bench was started, as a shell would take it: for the files it writes. */
    private String commandLine() {
        StringBuilder line = new StringBuilder("java -jar lab/target/lab.jar");
        for (String arg : spec.commandLine().getParseResult().originalArgs()) {
            line.append(' ').append(arg.contains(" ") ? "'" + arg + "'" : arg);
        }
        return line.toString();
    }
}

package dev.exactlyonce.lab;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.lab.bench.Bench;
import dev.exactlyonce.lab.bench.BenchReport;
import dev.exactlyonce.lab.bench.BenchSettings;
import dev.exactlyonce.lab.bench.Workload;
import dev.exactlyonce.lab.runner.Progress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lab bench}: the three modes under the same load, acknowledged and end-to-end throughput, latency. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark every mode with concurrent PlaceOrder clients and StreamOrders streams;"
                + " table, bench.json/csv/png, and the figures recorded for CompareSemantics.")
public class BenchCommand implements Callable<Integer> {

    @Mixin
    LabOptions lab;

    @Option(names = "--against", paramLabel = "HOST", description = "Measure services already running on HOST.")
    String against;

    @Option(names = "--modes", split = ",", defaultValue = "AT_MOST_ONCE,AT_LEAST_ONCE,EXACTLY_ONCE",
            description = "Modes to measure (default: ${DEFAULT-VALUE}).")
    List<DeliveryMode> modes;

    @Option(names = "--workloads", split = ",", defaultValue = "PLACE_ORDER,STREAM_ORDERS",
            description = "Workloads (default: ${DEFAULT-VALUE}).")
    List<Workload> workloads;

    @Option(names = "--clients", defaultValue = "64", description = "Concurrent PlaceOrder calls (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--streams", defaultValue = "4", description = "Concurrent StreamOrders streams (default: ${DEFAULT-VALUE}).")
    int streams;

    @Option(names = "--stream-batch", defaultValue = "1000", description = "Orders per stream (default: ${DEFAULT-VALUE}).")
    int streamBatch;

    @Option(names = "--orders", defaultValue = "0", description = "Orders per run; 0 = run for --duration.")
    long orders;

    @Option(names = "--duration", defaultValue = "PT20S", description = "Length of each run (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--warmup", defaultValue = "PT5S", description = "Warm-up before each run (default: ${DEFAULT-VALUE}).")
    Duration warmup;

    @Option(names = "--channels", defaultValue = "4", description = "gRPC connections of the load generator (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--record", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Store the figures with QueryService.RecordBenchmark (default: on).")
    boolean record;

    @Option(names = "--out", paramLabel = "DIR", description = "Where bench.json/csv/png go (default: lab/target/bench).")
    Path out;

    @Override
    public Integer call() throws Exception {
        Progress progress = new Progress(System.out);
        BenchSettings settings = new BenchSettings(modes, workloads, clients, streams, streamBatch, orders, duration,
                warmup, channels, record);
        try (Target target = Target.open(against, null, lab.settings(), progress)) {
            BenchReport report = new BenchReport(new Bench(target.clients(), target.lab(), settings, progress).run());
            progress.line("");
            report.print(progress.out());
            Path dir = out != null ? out : lab.settings().jars().repo().resolve("lab/target/bench");
            report.write(dir);
            progress.line("written to %s (bench.json, bench.csv, bench.png)", dir.toAbsolutePath());
            return 0;
        }
    }
}

package dev.exactlyonce.lab.bench;

import com.google.protobuf.Timestamp;
import dev.exactlyonce.grpc.v1.AuditRequest;
import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.BenchmarkFigures;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.GetBillingConfigRequest;
import dev.exactlyonce.grpc.v1.GetConsumerLagRequest;
import dev.exactlyonce.grpc.v1.GetStatsRequest;
import dev.exactlyonce.grpc.v1.RecordBenchmarkRequest;
import dev.exactlyonce.grpc.v1.ResetRequest;
import dev.exactlyonce.lab.runner.CpuAccount;
import dev.exactlyonce.lab.runner.Lab;
import dev.exactlyonce.lab.runner.PipelineClients;
import dev.exactlyonce.lab.runner.PipelineModes;
import dev.exactlyonce.lab.runner.ProcessMemory;
import dev.exactlyonce.lab.runner.Progress;
import dev.exactlyonce.lab.runner.RetryingOrderClient;
import dev.exactlyonce.lab.runner.SampleOrders;
import dev.exactlyonce.lab.runner.SupervisedProcess;
import dev.exactlyonce.testkit.DatabaseDurability;
import dev.exactlyonce.testkit.EmbeddedPostgresDatabase;
import io.grpc.ManagedChannel;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Measures every mode with every workload on the same machine: warm up, drain, Reset, offer load,
 * wait until everything acknowledged is stored (or nothing more arrives), Audit. The load generator
 * runs in this JVM on its own channels; the pipeline's services are separate processes.
 */
public final class Bench {

    static final Duration STORE_TIMEOUT = Duration.ofMinutes(5);
    static final Duration QUIET_PERIOD = Duration.ofSeconds(3);

    private final PipelineClients clients;
    private final PipelineModes modes;
    private final BenchSettings settings;
    private final Progress progress;
    private final Optional<Lab> lab;

    /** PostgreSQL's durability as it reported it in this run; every result names it. */
    private String database = "not read (no connection to the services' database)";

    /** The database's own rate for the same rows in this run; null without a connection. */
    private DatabaseCeiling.Result ceiling;

    public Bench(
            PipelineClients clients, Optional<Lab> lab, BenchSettings settings, Progress progress) {
        this.clients = clients;
        this.modes = new PipelineModes(clients);
        this.lab = lab;
        this.settings = settings;
        this.progress = progress;
    }

    /**
     * The threads that run the virtual clients' callbacks (each sends the client's next order).
     * grpc-java's default is a cached pool that wakes an idle thread for nearly every call event;
     * on 2 cores those wake-ups cost the load generator more CPU than the calls themselves (see the
     * producer's GrpcCallExecutor). Named grpc-* so that {@link CpuAccount} counts them as the load
     * generator. The same generator serves every mode.
     */
    private static ForkJoinPool loadGeneratorThreads() {
        return new ForkJoinPool(
                Math.max(2, Runtime.getRuntime().availableProcessors()),
                pool -> {
                    ForkJoinWorkerThread thread =
                            ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                    thread.setName("grpc-load-generator-" + thread.getPoolIndex());
                    thread.setDaemon(true);
                    return thread;
                },
                null,
                true);
    }

    public List<BenchResult> run() throws Exception {
        readDatabase();
        ForkJoinPool callbacks = loadGeneratorThreads();
        List<ManagedChannel> channels =
                IntStream.range(0, settings.channels())
                        .mapToObj(
                                i ->
                                        PipelineClients.channel(
                                                clients.endpoints().host(),
                                                clients.endpoints().producerPort(),
                                                callbacks))
                        .toList();
        List<BenchResult> results = new ArrayList<>();
        try {
            for (DeliveryMode mode : settings.modes()) {
                // drained in the previous mode: each mode measures lag against its own positions
                modes.awaitDrained(STORE_TIMEOUT);
                modes.apply(mode);
                for (Workload workload : settings.workloads()) {
                    results.add(measure(mode, workload, channels));
                }
            }
        } finally {
            channels.forEach(ManagedChannel::shutdownNow);
            callbacks.shutdown();
        }
        if (settings.record()) {
            record(results);
        }
        return results;
    }

    /**
     * Before the modes, while the pipeline is idle: reads the durability PostgreSQL runs with
     * (SHOW, not the flag that asked for it) and measures its ceiling for as many rows as each
     * mode's run sends. Only in a lab of this process: --against gives the bench no connection to
     * PostgreSQL.
     */
    private void readDatabase() throws Exception {
        if (lab.isEmpty()) {
            progress.line("database: %s; no ceiling measured", database);
            return;
        }
        long rows = settings.orders() > 0 ? settings.orders() : DatabaseCeiling.DEFAULT_ROWS;
        try (Connection c =
                DriverManager.getConnection(
                        lab.get().jdbcUrl(),
                        EmbeddedPostgresDatabase.USER,
                        EmbeddedPostgresDatabase.PASSWORD)) {
            database = DatabaseDurability.Observed.read(c).toString();
            progress.line("database: %s (SHOW fsync, SHOW synchronous_commit)", database);
            ceiling =
                    progress.step(
                            String.format(
                                    Locale.ROOT,
                                    "database ceiling: COPY of %,d rows into a copy of orders, %,d"
                                            + " per commit",
                                    rows,
                                    DatabaseCeiling.BATCH_ROWS),
                            "done",
                            () -> DatabaseCeiling.measure(c, rows, DatabaseCeiling.BATCH_ROWS));
            progress.line("ceiling: %s", ceiling.describe());
        }
    }

    /**
     * Like the drill's clients: retries with the same order ids, except at-most-once (whose promise
     * is to never send twice); a deadline per attempt as long as the calls' were before retries (a
     * stream of 1000 orders takes far longer than one order).
     */
    static RetryingOrderClient.Policy retryPolicy(DeliveryMode mode, Workload workload) {
        Duration deadline =
                workload == Workload.PLACE_ORDER ? Duration.ofSeconds(60) : Duration.ofMinutes(5);
        RetryingOrderClient.Policy standard = RetryingOrderClient.Policy.standard();
        return mode == DeliveryMode.AT_MOST_ONCE
                ? RetryingOrderClient.Policy.noRetries(deadline)
                : new RetryingOrderClient.Policy(
                        standard.maxAttempts(),
                        deadline,
                        standard.initialBackoff(),
                        standard.maxBackoff());
    }

    private BenchResult measure(DeliveryMode mode, Workload workload, List<ManagedChannel> channels)
            throws Exception {
        String name = mode + " " + settings.describe(workload);
        int concurrency =
                workload == Workload.PLACE_ORDER ? settings.clients() : settings.streams();
        String orderIds = "bench-" + mode.name().toLowerCase().replace('_', '-');
        OrderLoad load =
                new OrderLoad(
                        channels,
                        workload,
                        concurrency,
                        settings.streamBatch(),
                        new SampleOrders(orderIds),
                        RetryingOrderClient.of(retryPolicy(mode, workload)));
        if (!settings.warmup().isZero()) {
            progress.line("%s: warming up for %s", name, Progress.seconds(settings.warmup()));
            // order ids of its own: a measured order with a warm-up order's id would be a client's
            // retry of
            // it, which exactly-once billing rightly does not invoice again
            new OrderLoad(
                            channels,
                            workload,
                            concurrency,
                            settings.streamBatch(),
                            new SampleOrders(orderIds + "-warmup"),
                            RetryingOrderClient.of(retryPolicy(mode, workload)))
                    .run(Budget.duration(settings.warmup()), new LoadMeter());
            // a quiet pipeline: the warm-up's orders must not land in this run's window
            modes.awaitDrained(STORE_TIMEOUT);
        }
        clients.query().reset(ResetRequest.getDefaultInstance());

        LoadMeter meter = new LoadMeter();
        long retriesBefore = load.retries();
        CpuAccount.Snapshot cpuBefore = CpuAccount.snapshot(lab);
        long start = System.nanoTime();
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        long[] previous = {0};
        ticker.scheduleAtFixedRate(
                () -> {
                    long now = meter.acknowledged();
                    progress.live(
                            String.format(
                                    Locale.ROOT,
                                    "  %s  %5.1f s  acknowledged %,d  %,d/s",
                                    name,
                                    (System.nanoTime() - start) / 1e9,
                                    now,
                                    now - previous[0]));
                    previous[0] = now;
                },
                1,
                1,
                TimeUnit.SECONDS);
        try {
            load.run(settings.budget(), meter);
        } finally {
            ticker.shutdownNow();
            progress.endLive();
        }
        long sendNanos = System.nanoTime() - start;
        long acknowledged = meter.acknowledged();
        long storedAtNanos = awaitStored(acknowledged, start) - start;
        // billing read the same orders meanwhile: its leg is done when its group has no lag
        long invoicedAtNanos = awaitInvoiced() - start;
        Map<String, Double> cpu = CpuAccount.between(cpuBefore, CpuAccount.snapshot(lab));
        long auditStart = System.nanoTime();
        AuditResponse audit =
                clients.query()
                        .audit(
                                AuditRequest.newBuilder()
                                        .setAcknowledged(acknowledged)
                                        .setWaitSeconds(60)
                                        .build());
        double auditSeconds = (System.nanoTime() - auditStart) / 1e9;
        BenchResult result =
                new BenchResult(
                        mode.name(),
                        settings.describe(workload),
                        acknowledged,
                        meter.failed(),
                        load.retries() - retriesBefore,
                        sendNanos / 1e9,
                        storedAtNanos / 1e9,
                        perSecond(acknowledged, sendNanos),
                        perSecond(audit.getStoredDistinct(), storedAtNanos),
                        meter.percentileMillis(50),
                        meter.percentileMillis(95),
                        meter.percentileMillis(99),
                        meter.maxMillis(),
                        audit.getStoredRows(),
                        audit.getStoredDistinct(),
                        audit.getLost(),
                        audit.getDuplicated(),
                        audit.getVerdict(),
                        invoicedAtNanos / 1e9,
                        perSecond(audit.getInvoices().getInvoicesDistinct(), invoicedAtNanos),
                        audit.getInvoices().getInvoicesDistinct(),
                        audit.getInvoices().getVerdict(),
                        residentMemory(),
                        cpu,
                        database,
                        ceiling,
                        BackgroundLoad.describe(settings.backgroundLoad()));
        progress.line(
                "%s: %,d acknowledged (%,.0f/s), stored %,.0f/s (%s of the ceiling), p50 %.1f ms, p99 %.1f ms, %s;"
                        + " invoiced %,.0f/s, %s; audited in %.1f s",
                name,
                acknowledged,
                result.acknowledgedPerSecond(),
                result.storedPerSecond(),
                BenchReport.ofCeiling(result),
                result.p50Ms(),
                result.p99Ms(),
                audit.getVerdict(),
                result.invoicedPerSecond(),
                result.invoiceVerdict(),
                auditSeconds);
        return result;
    }

    /**
     * Polls the stored count (constant-time counters) until it reaches {@code acknowledged}, or
     * stops growing while the consumer has no lag (at-most-once may legitimately store fewer).
     * Returns the time of the last observed growth.
     */
    private long awaitStored(long acknowledged, long start) throws InterruptedException {
        long deadline = System.nanoTime() + STORE_TIMEOUT.toNanos();
        long stored = -1;
        long changedAt = start;
        while (System.nanoTime() < deadline) {
            long now =
                    clients.query()
                            .getStats(GetStatsRequest.getDefaultInstance())
                            .getDistinctOrders();
            if (now != stored) {
                stored = now;
                changedAt = System.nanoTime();
            }
            if (stored >= acknowledged) {
                return changedAt;
            }
            if (System.nanoTime() - changedAt > QUIET_PERIOD.toNanos()
                    && clients.query()
                                    .getConsumerLag(GetConsumerLagRequest.getDefaultInstance())
                                    .getTotalLag()
                            == 0) {
                return changedAt;
            }
            Thread.sleep(50);
        }
        return changedAt;
    }

    /** When billing's group first had no lag (polled every 50 ms), or the timeout. */
    private long awaitInvoiced() throws InterruptedException {
        String group =
                clients.billing()
                        .getBillingConfig(GetBillingConfigRequest.getDefaultInstance())
                        .getGroupId();
        GetConsumerLagRequest billingLag =
                GetConsumerLagRequest.newBuilder().setGroupId(group).build();
        long deadline = System.nanoTime() + STORE_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (clients.query().getConsumerLag(billingLag).getTotalLag() == 0) {
                return System.nanoTime();
            }
            Thread.sleep(50);
        }
        return System.nanoTime();
    }

    /**
     * The most each of the lab's children has held resident since it started, read right after the
     * run: the peak through the bench so far, not a sample that may miss it (empty against remote
     * services).
     */
    private Map<String, Long> residentMemory() {
        Map<String, Long> rss = new LinkedHashMap<>();
        lab.ifPresent(
                l -> {
                    for (SupervisedProcess child : l.children()) {
                        long kib = ProcessMemory.peakResidentKiB(child.pid());
                        if (kib > 0) {
                            rss.put(child.name(), kib / 1024);
                        }
                    }
                });
        return rss;
    }

    private void record(List<BenchResult> results) {
        Instant now = Instant.now();
        Timestamp measuredAt =
                Timestamp.newBuilder()
                        .setSeconds(now.getEpochSecond())
                        .setNanos(now.getNano())
                        .build();
        RecordBenchmarkRequest.Builder request = RecordBenchmarkRequest.newBuilder();
        for (BenchResult r : results) {
            request.addFigures(
                    BenchmarkFigures.newBuilder()
                            .setWorkload(r.workload())
                            .setMode(DeliveryMode.valueOf(r.mode()))
                            .setOrders(r.acknowledged())
                            .setAcknowledgedPerSecond(r.acknowledgedPerSecond())
                            .setStoredPerSecond(r.storedPerSecond())
                            .setP50Ms(r.p50Ms())
                            .setP95Ms(r.p95Ms())
                            .setP99Ms(r.p99Ms())
                            .setMaxMs(r.maxMs())
                            .setVerdict(r.verdict())
                            .setMeasuredAt(measuredAt));
        }
        int stored = clients.query().recordBenchmark(request.build()).getStored();
        progress.line(
                "recorded %d result(s) with the query service: CompareSemantics shows them",
                stored);
    }

    private static double perSecond(long count, long nanos) {
        return nanos <= 0 ? 0 : count / (nanos / 1e9);
    }
}

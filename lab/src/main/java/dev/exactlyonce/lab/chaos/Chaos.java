package dev.exactlyonce.lab.chaos;

import dev.exactlyonce.grpc.v1.AuditRequest;
import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.lab.chaos.Reads.LogRecord;
import dev.exactlyonce.lab.runner.PipelineClients;
import dev.exactlyonce.lab.runner.PipelineModes;
import dev.exactlyonce.lab.runner.Progress;
import dev.exactlyonce.lab.runner.RetryingOrderClient;
import dev.exactlyonce.lab.runner.SampleOrders;
import dev.exactlyonce.lab.runner.TextTable;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A chaos run, top to bottom: put the pipeline in the mode, start the concurrent reader, then the
 * load and the {@link Nemesis} together for the duration; stop the load, heal everything, wait for
 * every service and for the audit to leave NOT_DRAINED; read PostgreSQL and both committed topics;
 * hand it all to the {@link Checker}; write history.jsonl and verdict.md. While the load runs, a
 * line of running totals every {@link #TOTALS_EVERY}.
 */
public final class Chaos {

    /** How often the run prints its orders so far and what the concurrent reader saw. */
    static final Duration TOTALS_EVERY = Duration.ofSeconds(30);

    private final ChaosTarget target;
    private final PipelineClients clients;
    private final ChaosSettings settings;
    private final Progress progress;

    public Chaos(
            ChaosTarget target,
            PipelineClients clients,
            ChaosSettings settings,
            Progress progress) {
        this.target = target;
        this.clients = clients;
        this.settings = settings;
        this.progress = progress;
    }

    public Verdict run() throws Exception {
        long start = System.nanoTime();
        new PipelineModes(clients).apply(settings.mode());
        SampleOrders orders = new SampleOrders("chaos-" + settings.seed());
        String prefix = orders.order(0).getOrderId().replaceAll("0$", "");
        Files.createDirectories(settings.out());
        Nemesis nemesis = null;
        try (History history = new History(settings.out().resolve("history.jsonl"));
                TopicReader reader = target.reader(prefix)) {
            nemesis =
                    new Nemesis(
                            target.strikes(settings.faults(), progress),
                            settings.faults(),
                            settings.seed(),
                            history,
                            progress);
            reader.startConcurrent();
            ChaosLoad load =
                    new ChaosLoad(
                            clients.producerChannel(),
                            settings.clients(),
                            settings.ordersPerSecond(),
                            orders,
                            RetryingOrderClient.of(retryPolicy(settings.mode())),
                            history);
            progress.line(
                    "chaos: seed %d, %s, faults %s, %s, %.0f orders/s from %d clients (order ids %s*)",
                    settings.seed(),
                    settings.duration(),
                    settings.faults(),
                    settings.mode(),
                    settings.ordersPerSecond(),
                    settings.clients(),
                    prefix);
            load.start();
            ScheduledExecutorService totals =
                    Executors.newSingleThreadScheduledExecutor(
                            r -> {
                                Thread t = new Thread(r, "chaos-totals");
                                t.setDaemon(true);
                                return t;
                            });
            long every = TOTALS_EVERY.toMillis();
            totals.scheduleAtFixedRate(
                    () -> progress.line("%s", totalsLine(history, load, reader)),
                    every,
                    every,
                    TimeUnit.MILLISECONDS);
            int injected;
            try {
                injected = nemesis.run(settings.duration());
            } finally {
                totals.shutdownNow();
                load.stop();
                nemesis.healAll();
            }
            progress.line("nemesis done: %d faults; healed, waiting for every service", injected);
            progress.line("%s", totalsLine(history, load, reader));
            target.awaitServing(settings.drainTimeout());
            List<String> notDrained = awaitDrained();
            List<LogRecord> seen = reader.finish(settings.drainTimeout());
            List<LogRecord> committed = reader.readCommitted();
            Reads reads =
                    new Reads(
                            target.storedRows(prefix),
                            committed.stream()
                                    .filter(r -> r.topic().equals(Topics.ORDERS))
                                    .toList(),
                            committed.stream()
                                    .filter(r -> r.topic().equals(Topics.INVOICES))
                                    .toList(),
                            seen,
                            notDrained);
            history.close();
            Verdict verdict = Checker.check(settings.mode(), history.events(), reads);
            report(verdict, history.events(), System.nanoTime() - start);
            return verdict;
        } finally {
            if (nemesis != null) {
                nemesis.healAll(); // again: whatever failed above, nothing stays stopped or cut
            }
        }
    }

    /**
     * "[ 30.0 s] orders: 600 placed, 590 acknowledged, 3 failed (UNAVAILABLE 3), 7 in flight;
     * read_committed reader: invoices 585, orders 590".
     */
    private static String totalsLine(History history, ChaosLoad load, TopicReader reader) {
        ChaosLoad.Totals t = load.totals();
        String failed =
                t.failedByCode().isEmpty()
                        ? ""
                        : t.failedByCode().entrySet().stream()
                                .map(e -> e.getKey() + " " + e.getValue())
                                .collect(Collectors.joining(", ", " (", ")"));
        String seen =
                reader.seenSoFar().entrySet().stream()
                        .map(e -> String.format(Locale.ROOT, "%s %,d", e.getKey(), e.getValue()))
                        .collect(Collectors.joining(", "));
        return String.format(
                Locale.ROOT,
                "  [%5.1f s] orders: %,d placed, %,d acknowledged, %,d failed%s, %,d in flight;"
                        + " read_committed reader: %s",
                history.now() / 1000.0,
                t.placed(),
                t.acknowledged(),
                t.failed(),
                failed,
                t.inFlight(),
                seen.isEmpty() ? "nothing yet" : seen);
    }

    /**
     * Like the drill's clients: retries with the same ids, except at-most-once never sends twice.
     */
    static RetryingOrderClient.Policy retryPolicy(DeliveryMode mode) {
        return mode == DeliveryMode.AT_MOST_ONCE
                ? RetryingOrderClient.Policy.noRetries(Duration.ofSeconds(30))
                : RetryingOrderClient.Policy.standard();
    }

    /**
     * Audits until neither leg is NOT_DRAINED, at most the drain timeout; returns the legs still
     * behind then, each with the audit's words (none when both drained).
     */
    private List<String> awaitDrained() throws InterruptedException {
        long deadline = System.nanoTime() + settings.drainTimeout().toNanos();
        String last = "no answer";
        List<String> behind = List.of("the audit: no answer");
        while (System.nanoTime() < deadline) {
            try {
                AuditResponse audit =
                        clients.query().audit(AuditRequest.newBuilder().setWaitSeconds(20).build());
                last = audit.getVerdict() + "; invoices: " + audit.getInvoices().getVerdict();
                behind = new ArrayList<>();
                if (!audit.getDrained()) {
                    behind.add(Topics.ORDERS + " (database leg): " + audit.getVerdict());
                }
                if (!audit.getInvoices().getDrained()) {
                    behind.add(Topics.INVOICES + ": " + audit.getInvoices().getVerdict());
                }
                if (behind.isEmpty()) {
                    progress.line("drained (audit: %s)", last);
                    return List.of();
                }
            } catch (StatusRuntimeException e) {
                last = e.getStatus().toString();
                behind = List.of("the audit: " + last);
            }
            Thread.sleep(1000);
        }
        progress.line(
                "not drained after %s (audit: %s); checking anyway",
                Progress.seconds(settings.drainTimeout()), last);
        return behind;
    }

    private void report(Verdict verdict, List<History.Event> events, long nanos) throws Exception {
        progress.line("");
        progress.line("%s", verdict.totalsLine());
        TextTable.print(progress.out(), Verdict.HEADER, verdict.rows(), 1, 1);
        progress.line("verdict: %s (in %s)", verdict.overall(), Progress.seconds(nanos));
        StringBuilder md = new StringBuilder();
        md.append("# Chaos run, seed ").append(settings.seed()).append("\n\n");
        md.append("- duration: ").append(settings.duration()).append("\n");
        md.append("- fault classes: ").append(settings.faults()).append("\n");
        md.append("- mode: ").append(settings.mode()).append("\n");
        md.append("- load: ")
                .append(String.format("%.0f", settings.ordersPerSecond()))
                .append(" orders/s from ")
                .append(settings.clients())
                .append(" retrying clients\n");
        md.append("- ").append(verdict.totalsLine()).append("\n");
        md.append("- wall time: ").append(Progress.seconds(nanos)).append("\n\n");
        md.append("## Verdict: ").append(verdict.overall()).append("\n\n");
        md.append("| anomaly | count | verdict | examples (<= 5) |\n|---|---:|---|---|\n");
        for (List<String> row : verdict.rows()) {
            md.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        md.append("\n## Faults\n\n| at (s) | event | fault |\n|---:|---|---|\n");
        for (History.Event e : events) {
            if (e.type() == History.Type.fault_start || e.type() == History.Type.fault_end) {
                md.append(
                        String.format(
                                "| %.1f | %s | %s |%n", e.millis() / 1000.0, e.type(), e.fault()));
            }
        }
        Files.writeString(settings.out().resolve("verdict.md"), md, StandardCharsets.UTF_8);
        progress.line("written to %s (history.jsonl, verdict.md)", settings.out().toAbsolutePath());
    }
}

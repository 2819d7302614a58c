package dev.exactlyonce.lab.chaos;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.lab.ControlTokenOption;
import dev.exactlyonce.lab.LabOptions;
import dev.exactlyonce.lab.NamespaceOption;
import dev.exactlyonce.lab.runner.Endpoints;
import dev.exactlyonce.lab.runner.Kubectl;
import dev.exactlyonce.lab.runner.Lab;
import dev.exactlyonce.lab.runner.LabSettings;
import dev.exactlyonce.lab.runner.PipelineClients;
import dev.exactlyonce.lab.runner.Progress;
import dev.exactlyonce.lab.runner.ServicePorts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lab chaos}: a seeded nemesis against the whole pipeline under a bounded load, then a
 * Jepsen-style check of the whole history.
 */
@Command(
        name = "chaos",
        mixinStandardHelpOptions = true,
        description = {
            "Chaos: a seeded nemesis (pauses, kills, restarts, network faults, broker and PostgreSQL"
                    + " faults, overlapping) under a bounded load from retrying clients; then a check"
                    + " of the whole history against PostgreSQL and the committed topics. Writes"
                    + " history.jsonl and verdict.md; exit code 1 on FAIL."
        })
public class ChaosCommand implements Callable<Integer> {

    @Mixin LabOptions lab;

    @Option(
            names = "--against",
            paramLabel = "HOST",
            description =
                    "Strike the chart on kind instead of a lab of its own: the services at HOST on the"
                            + " standard ports, faults with kubectl (no network faults there).")
    String against;

    @Mixin ControlTokenOption controlToken;

    @Mixin NamespaceOption namespace;

    @Option(
            names = "--seed",
            description = "The nemesis's random seed (default: a random one, printed).")
    Long seed;

    @Option(
            names = "--duration",
            defaultValue = "PT2M",
            description = "How long the nemesis strikes, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(
            names = "--faults",
            split = ",",
            defaultValue = "pause,kill,restart,network,broker,postgres",
            description = "Fault classes (default: ${DEFAULT-VALUE}).")
    List<String> faults;

    @Option(
            names = "--mode",
            defaultValue = "EXACTLY_ONCE",
            description =
                    "EXACTLY_ONCE, AT_LEAST_ONCE or AT_MOST_ONCE (default: ${DEFAULT-VALUE}).")
    DeliveryMode mode;

    @Option(
            names = "--orders-per-second",
            defaultValue = "200",
            description = "The load, bounded (default: ${DEFAULT-VALUE}).")
    double ordersPerSecond;

    @Option(
            names = "--clients",
            defaultValue = "32",
            description =
                    "Concurrent retrying PlaceOrder clients, blocking: each has one call in flight, so with"
                            + " exactly-once's ~0.5 s per call on a busy machine the rate is at most clients / 0.5 s"
                            + " (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(
            names = "--drain-timeout",
            defaultValue = "PT3M",
            description =
                    "How long to wait for the pipeline to drain after the nemesis (default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description =
                    "Where history.jsonl and verdict.md go (default: lab/results/chaos-<seed>).")
    Path out;

    @Override
    public Integer call() throws Exception {
        Progress progress = new Progress(System.out);
        long theSeed = seed != null ? seed : ThreadLocalRandom.current().nextLong(1, 1_000_000);
        Set<FaultClass> classes = FaultClass.parse(faults);
        if (classes.isEmpty() || mode == DeliveryMode.DELIVERY_MODE_UNSPECIFIED) {
            throw new IllegalArgumentException("--faults and --mode need a value");
        }
        progress.line("chaos seed %d (repeat the fault schedule with --seed %d)", theSeed, theSeed);
        if (against != null && classes.remove(FaultClass.NETWORK)) {
            progress.line("--against: no network faults (they need the lab's fault proxies)");
            if (classes.isEmpty()) {
                throw new IllegalArgumentException("--against: no fault class left to strike");
            }
        }
        // network faults need every link behind a fault proxy
        LabSettings settings =
                lab.settings()
                        .withNetworkFaults(
                                classes.contains(FaultClass.NETWORK)
                                        || lab.settings().networkFaults());
        Path dir =
                out != null ? out : settings.jars().repo().resolve("lab/results/chaos-" + theSeed);
        ChaosSettings chaos =
                new ChaosSettings(
                        theSeed,
                        duration,
                        classes,
                        mode,
                        ordersPerSecond,
                        clients,
                        drainTimeout,
                        dir);
        if (against != null) {
            try (PipelineClients pipeline =
                            new PipelineClients(
                                    Endpoints.of(against, ServicePorts.DEFAULT, 1),
                                    controlToken.forAgainst(against, lab.settings()));
                    KindChaosTarget target =
                            new KindChaosTarget(new Kubectl(namespace.namespace()), pipeline)) {
                progress.line(
                        "chaos against the services at %s, faults with kubectl%s",
                        against,
                        namespace.namespace() == null
                                ? ""
                                : " in namespace " + namespace.namespace());
                return new Chaos(target, pipeline, chaos, progress).run().passed() ? 0 : 1;
            }
        }
        try (Lab started = Lab.start(settings, progress);
                PipelineClients pipeline =
                        new PipelineClients(started.clientEndpoints(), started.controlToken())) {
            Verdict verdict = new Chaos(ChaosTarget.of(started), pipeline, chaos, progress).run();
            return verdict.passed() ? 0 : 1;
        }
    }
}

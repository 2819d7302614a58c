package dev.exactlyonce.lab.chaos;

import static dev.exactlyonce.lab.chaos.Nemesis.RECOVERY;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.lab.network.NetworkLinks;
import dev.exactlyonce.lab.runner.KafkaCluster;
import dev.exactlyonce.lab.runner.Lab;
import dev.exactlyonce.lab.runner.Pauses;
import dev.exactlyonce.lab.runner.Progress;
import dev.exactlyonce.lab.runner.SupervisedProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The faults of a lab this process started: SIGSTOP/SIGCONT of a service's JVM, a Kafka node's or
 * PostgreSQL's postmaster and backends; SIGKILL and SIGTERM of a service (the lab's supervisor
 * restarts it); the fault proxies' links; Kafka nodes killed, or two held down, each fault ending
 * when its nodes are back in sync; PostgreSQL stopped and started on the same data.
 *
 * <p>A pause (11–40 s) outlasts billing's and the consumer's 10 s session timeout, so their groups
 * rebalance without the stopped member, which then wakes up as a zombie. It stays under the
 * producer's transaction timeout (Kafka's default, 60 s: the producer does not set it) but can
 * exceed billing's (15 s): the coordinator then aborts billing's open transaction and fences it.
 */
final class LabStrikes implements Strikes {

    static final Duration NETWORK_MIN = Duration.ofSeconds(3);
    static final Duration NETWORK_MAX = Duration.ofSeconds(12);
    static final Duration TWO_DOWN_FOR = Duration.ofSeconds(10);
    static final Duration ADDED_LATENCY = Duration.ofMillis(200);

    private final Lab lab;
    private final Progress progress;

    LabStrikes(Lab lab, Progress progress) {
        this.lab = lab;
        this.progress = progress;
    }

    @Override
    public Strike plan(FaultClass faultClass, Duration remaining, Random random) {
        return switch (faultClass) {
            case PAUSE -> planPause(remaining, random);
            case KILL -> planServiceKill(random);
            case RESTART -> planServiceRestart(random);
            case NETWORK -> planNetwork(remaining, random);
            case BROKER -> planBroker(random);
            case POSTGRES -> planPostgresRestart();
        };
    }

    // --- pause ------------------------------------------------------------------------------

    private Strike planPause(Duration remaining, Random random) {
        Duration pause = Strikes.pauseLength(remaining, random);
        if (pause == null) {
            return null;
        }
        List<String> targets = new ArrayList<>();
        lab.children().forEach(c -> targets.add(c.name()));
        lab.kafka().nodes().forEach(n -> targets.add(n.name()));
        targets.add("postgres");
        String target = targets.get(random.nextInt(targets.size()));
        boolean broker = lab.kafka().nodes().stream().anyMatch(n -> n.name().equals(target));
        List<Long> pids = pidsOf(target);
        if (pids.isEmpty()) {
            return null; // restarting right now
        }
        return new Strike(
                FaultClass.PAUSE,
                "pause "
                        + target
                        + " (kill -STOP "
                        + pids.get(0)
                        + ") for "
                        + pause.toSeconds()
                        + " s",
                Set.of(target),
                broker ? 1 : 0,
                () -> {
                    Pauses.stop(pids);
                    try {
                        Thread.sleep(pause.toMillis());
                    } finally {
                        Pauses.resume(pids);
                    }
                    return "kill -CONT " + pids.get(0);
                });
    }

    /**
     * The pids to stop for a target: a service's or Kafka node's JVM; PostgreSQL's postmaster and
     * all its backends (stopping only the postmaster would leave open connections served).
     */
    private List<Long> pidsOf(String target) {
        if (target.equals("postgres")) {
            Path pidFile = lab.dataDir().resolve("postgres").resolve("postmaster.pid");
            try {
                long postmaster = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
                List<Long> pids = new ArrayList<>(List.of(postmaster));
                ProcessHandle.of(postmaster)
                        .map(ProcessHandle::descendants)
                        .orElse(Stream.empty())
                        .forEach(p -> pids.add(p.pid()));
                return pids;
            } catch (IOException | RuntimeException e) {
                return List.of(); // stopped right now
            }
        }
        long pid =
                Stream.concat(lab.children().stream(), lab.kafka().nodes().stream())
                        .filter(p -> p.name().equals(target))
                        .findFirst()
                        .orElseThrow()
                        .pid();
        return pid > 0 ? List.of(pid) : List.of();
    }

    // --- kill and restart of a service --------------------------------------------------------

    private Strike planServiceKill(Random random) {
        SupervisedProcess victim = randomService(random);
        return new Strike(
                FaultClass.KILL,
                "kill -9 " + victim.name(),
                Set.of(victim.name()),
                0,
                () -> {
                    int before = victim.restarts();
                    return restarted(victim, before, victim.kill(), "kill -9");
                });
    }

    private Strike planServiceRestart(Random random) {
        SupervisedProcess victim = randomService(random);
        return new Strike(
                FaultClass.RESTART,
                "restart (kill -TERM) " + victim.name(),
                Set.of(victim.name()),
                0,
                () -> {
                    int before = victim.restarts();
                    return restarted(victim, before, victim.terminate(), "kill -TERM");
                });
    }

    private SupervisedProcess randomService(Random random) {
        List<SupervisedProcess> services = lab.children();
        return services.get(random.nextInt(services.size()));
    }

    private static String restarted(
            SupervisedProcess victim, int restartsBefore, long pid, String signal)
            throws InterruptedException {
        awaitBack(victim, restartsBefore);
        Lab.awaitServing(victim, RECOVERY);
        return signal + " " + pid + ", restarted (pid " + victim.pid() + ") and serving";
    }

    /** Waits until the supervisor restarted the process (bounded). */
    private static void awaitBack(SupervisedProcess process, int restartsBefore) {
        await(process.name() + " restarted")
                .atMost(RECOVERY)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> process.restarts() > restartsBefore && process.pid() > 0);
    }

    // --- network ------------------------------------------------------------------------------

    private Strike planNetwork(Duration remaining, Random random) {
        NetworkLinks network = lab.network().orElse(null);
        if (network == null) {
            return null;
        }
        // the links of consumer replicas the lab does not run carry nothing
        List<String> links =
                network.names().stream()
                        .filter(
                                n ->
                                        !n.startsWith("consumer-")
                                                || lab.consumers().stream()
                                                        .anyMatch(
                                                                c -> n.startsWith(c.name() + "-")))
                        .toList();
        String link = links.get(random.nextInt(links.size()));
        long maxSeconds = Math.min(NETWORK_MAX.toSeconds(), remaining.toSeconds());
        if (maxSeconds < NETWORK_MIN.toSeconds()) {
            return null;
        }
        Duration length =
                Duration.ofSeconds(
                        NETWORK_MIN.toSeconds()
                                + random.nextInt((int) (maxSeconds - NETWORK_MIN.toSeconds() + 1)));
        int kind = random.nextInt(4);
        String what =
                switch (kind) {
                    case 0 -> "cut " + link + " (then reset)";
                    case 1 -> "black hole " + link;
                    case 2 -> "drop the replies on " + link + " (then reset)";
                    default -> "+" + ADDED_LATENCY.toMillis() + " ms on " + link;
                };
        return new Strike(
                FaultClass.NETWORK,
                what + " for " + length.toSeconds() + " s",
                Set.of(link),
                0,
                () -> {
                    try {
                        switch (kind) {
                            case 0, 1 -> network.partition(link);
                            case 2 -> network.dropReplies(link);
                            default -> network.delay(link, ADDED_LATENCY);
                        }
                        Thread.sleep(length.toMillis());
                        if (kind == 0 || kind == 2) {
                            network.reset(link);
                        }
                    } finally {
                        network.delay(link, Duration.ZERO);
                        network.heal(link);
                    }
                    return "healed";
                });
    }

    // --- brokers ------------------------------------------------------------------------------

    private Strike planBroker(Random random) {
        List<SupervisedProcess> nodes = new ArrayList<>(lab.kafka().nodes());
        boolean two = nodes.size() >= 3 && random.nextBoolean();
        java.util.Collections.shuffle(nodes, random);
        List<SupervisedProcess> down = nodes.subList(0, two ? 2 : 1);
        Set<String> names = new HashSet<>();
        down.forEach(n -> names.add(n.name()));
        if (!two) {
            SupervisedProcess node = down.get(0);
            return new Strike(
                    FaultClass.BROKER,
                    "kill -9 broker " + node.name(),
                    names,
                    1,
                    () -> {
                        int before = node.restarts();
                        long pid = node.kill();
                        awaitBack(node, before);
                        return "kill -9 "
                                + pid
                                + ", restarted (pid "
                                + node.pid()
                                + "), "
                                + inSync(down);
                    });
        }
        return new Strike(
                FaultClass.BROKER,
                "two brokers down: "
                        + joinedNames(down)
                        + " for "
                        + TWO_DOWN_FOR.toSeconds()
                        + " s",
                names,
                2,
                () -> {
                    List<String> killed = new ArrayList<>();
                    List<Integer> before = down.stream().map(SupervisedProcess::restarts).toList();
                    try {
                        for (SupervisedProcess node : down) {
                            node.hold();
                            killed.add("kill -9 " + node.kill());
                        }
                        Thread.sleep(TWO_DOWN_FOR.toMillis());
                    } finally {
                        down.forEach(SupervisedProcess::release);
                    }
                    for (int i = 0; i < down.size(); i++) {
                        awaitBack(down.get(i), before.get(i));
                    }
                    return String.join(", ", killed) + ", both restarted, " + inSync(down);
                });
    }

    /**
     * Waits (bounded) until these nodes are full replicas again ({@link KafkaCluster#inSync(int)}),
     * and says whether they are: a broker fault ends when the restarted node has caught up, not
     * when its process is back, as the chart's readiness probe holds a broker pod until it is in
     * sync. Without this a new broker fault could take a second node while the first was still
     * replicating, and a broker-only run spent most of its time without an in-sync majority.
     */
    private String inSync(List<SupervisedProcess> nodes) {
        KafkaCluster kafka = lab.kafka();
        List<Integer> ids = nodes.stream().map(kafka::nodeId).toList();
        try {
            await(joinedNames(nodes) + " back in sync")
                    .atMost(RECOVERY)
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> ids.stream().allMatch(kafka::inSync));
            return "back in sync";
        } catch (ConditionTimeoutException e) {
            return "not back in sync within " + RECOVERY.toSeconds() + " s";
        }
    }

    private static String joinedNames(List<SupervisedProcess> nodes) {
        return String.join(", ", nodes.stream().map(SupervisedProcess::name).toList());
    }

    // --- PostgreSQL -----------------------------------------------------------------------------

    private Strike planPostgresRestart() {
        return new Strike(
                FaultClass.POSTGRES,
                "restart PostgreSQL",
                Set.of("postgres"),
                0,
                () -> {
                    lab.postgres().stop();
                    lab.postgres().start();
                    return "restarted";
                });
    }

    /**
     * Undoes every fault that may still be in force: continues every stopped process, heals every
     * link, lets every Kafka node be restarted. Safe to call any time, more than once.
     */
    @Override
    public void healAll() {
        Pauses.continueAll();
        lab.network()
                .ifPresent(
                        network ->
                                network.names()
                                        .forEach(
                                                link -> {
                                                    network.delay(link, Duration.ZERO);
                                                    network.heal(link);
                                                }));
        lab.kafka().nodes().forEach(SupervisedProcess::release);
        if (!lab.postgres().isRunning()) {
            try {
                lab.postgres().start();
            } catch (RuntimeException e) {
                progress.line("  could not start PostgreSQL again: %s", e);
            }
        }
    }
}

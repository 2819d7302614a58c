package dev.exactlyonce.lab.chaos;

import static org.awaitility.Awaitility.await;

import dev.exactlyonce.lab.network.NetworkLinks;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The chaos run's adversary. A seeded {@link Random} draws, every 1–6 s, a fault of the enabled
 * {@link FaultClass classes} and a target, and runs it on a thread of its own, so faults overlap:
 * at most {@link #MAX_ACTIVE} at once, never two on the same target, never more than two Kafka
 * nodes down (stopped or killed) of three. Each fault's start and end go to the {@link History}.
 * Faults end by the run's end (a pause is cut short to fit); {@link #healAll()} — in a finally
 * block and a shutdown hook — continues every stopped process, heals every link and releases every
 * held broker, whatever happened.
 *
 * <p>A pause (11–40 s) outlasts billing's and the consumer's 10 s session timeout, so their groups
 * rebalance without the stopped member, which then wakes up as a zombie. It stays under the
 * producer's transaction timeout (Kafka's default, 60 s: the producer does not set it) but can
 * exceed billing's (15 s): the coordinator then aborts billing's open transaction and fences it.
 */
public final class Nemesis {

    static final int MAX_ACTIVE = 3;
    static final int MAX_BROKERS_DOWN = 2;
    static final Duration PAUSE_MIN = Duration.ofSeconds(11);
    static final Duration PAUSE_MAX = Duration.ofSeconds(40);
    static final Duration NETWORK_MIN = Duration.ofSeconds(3);
    static final Duration NETWORK_MAX = Duration.ofSeconds(12);
    static final Duration TWO_DOWN_FOR = Duration.ofSeconds(10);
    static final Duration ADDED_LATENCY = Duration.ofMillis(200);
    static final Duration RECOVERY = Duration.ofSeconds(90);

    /** A planned fault: what it does to which targets; {@code run} returns once it is over. */
    private record Planned(
            FaultClass faultClass, String what, Set<String> targets, int brokers, Action run) {}

    @FunctionalInterface
    private interface Action {
        String run() throws Exception;
    }

    private final Lab lab;
    private final List<FaultClass> classes;
    private final Random random;
    private final History history;
    private final Progress progress;
    private final ExecutorService threads =
            Executors.newCachedThreadPool(
                    r -> {
                        Thread t = new Thread(r, "nemesis-fault");
                        t.setDaemon(true);
                        return t;
                    });
    private final Set<String> busy = new HashSet<>();
    private int brokersDown;
    private int active;
    private int injected;
    private volatile boolean stopped;

    public Nemesis(
            Lab lab, Set<FaultClass> classes, long seed, History history, Progress progress) {
        this.lab = lab;
        this.classes = List.copyOf(classes);
        this.random = new Random(seed);
        this.history = history;
        this.progress = progress;
    }

    /** Faults injected so far. */
    public synchronized int injected() {
        return injected;
    }

    /**
     * Injects faults for {@code duration}, waits for the last to end and heals everything; returns
     * the number of faults injected.
     */
    public int run(Duration duration) throws InterruptedException {
        Thread hook =
                new Thread(
                        () -> {
                            stopped = true; // no new fault while the JVM shuts down
                            healAll();
                        },
                        "nemesis-heal");
        Runtime.getRuntime().addShutdownHook(hook);
        List<Future<?>> running = new ArrayList<>();
        long deadline = System.nanoTime() + duration.toNanos();
        try {
            while (true) {
                Thread.sleep(1000 + random.nextInt(5001)); // a gap of 1–6 s
                Duration remaining = Duration.ofNanos(deadline - System.nanoTime());
                if (remaining.toSeconds() < 2 || stopped) {
                    break;
                }
                FaultClass faultClass = classes.get(random.nextInt(classes.size()));
                Planned planned = plan(faultClass, remaining);
                if (planned != null) {
                    running.add(threads.submit(() -> strike(planned)));
                }
            }
            for (Future<?> f : running) {
                try {
                    f.get(RECOVERY.toSeconds() + 60, TimeUnit.SECONDS);
                } catch (Exception e) {
                    progress.line("  a fault did not end in time: %s", e);
                }
            }
        } finally {
            threads.shutdownNow();
            healAll();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
        return injected();
    }

    /** A fault of this class on a free target, reserved; null when none fits now. */
    private synchronized Planned plan(FaultClass faultClass, Duration remaining) {
        if (active >= MAX_ACTIVE || stopped) {
            return null;
        }
        Planned planned =
                switch (faultClass) {
                    case PAUSE -> planPause(remaining);
                    case KILL -> planServiceKill();
                    case RESTART -> planServiceRestart();
                    case NETWORK -> planNetwork(remaining);
                    case BROKER -> planBroker();
                    case POSTGRES -> planPostgresRestart();
                };
        if (planned == null
                || planned.targets().stream().anyMatch(busy::contains)
                || brokersDown + planned.brokers() > MAX_BROKERS_DOWN) {
            return null;
        }
        busy.addAll(planned.targets());
        brokersDown += planned.brokers();
        active++;
        injected++;
        return planned;
    }

    private void strike(Planned planned) {
        String label = planned.faultClass().label();
        history.add(History.Event.faultStart(history.now(), label, planned.what()));
        progress.line("  [%5.1f s] fault start: %s", history.now() / 1000.0, planned.what());
        String end;
        try {
            end = planned.run().run();
        } catch (InterruptedException e) {
            end = "interrupted";
            Thread.currentThread().interrupt();
        } catch (Exception | Error e) {
            end = "failed: " + e;
        } finally {
            synchronized (this) {
                busy.removeAll(planned.targets());
                brokersDown -= planned.brokers();
                active--;
            }
        }
        history.add(History.Event.faultEnd(history.now(), label, planned.what() + " → " + end));
        progress.line(
                "  [%5.1f s] fault end:   %s → %s", history.now() / 1000.0, planned.what(), end);
    }

    // --- pause ------------------------------------------------------------------------------

    private Planned planPause(Duration remaining) {
        if (remaining.compareTo(PAUSE_MIN) < 0) {
            return null;
        }
        long maxSeconds = Math.min(PAUSE_MAX.toSeconds(), remaining.toSeconds());
        Duration pause =
                Duration.ofSeconds(
                        PAUSE_MIN.toSeconds()
                                + random.nextInt((int) (maxSeconds - PAUSE_MIN.toSeconds() + 1)));
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
        return new Planned(
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

    private Planned planServiceKill() {
        SupervisedProcess victim = randomService();
        return new Planned(
                FaultClass.KILL,
                "kill -9 " + victim.name(),
                Set.of(victim.name()),
                0,
                () -> {
                    int before = victim.restarts();
                    return restarted(victim, before, victim.kill(), "kill -9");
                });
    }

    private Planned planServiceRestart() {
        SupervisedProcess victim = randomService();
        return new Planned(
                FaultClass.RESTART,
                "restart (kill -TERM) " + victim.name(),
                Set.of(victim.name()),
                0,
                () -> {
                    int before = victim.restarts();
                    return restarted(victim, before, victim.terminate(), "kill -TERM");
                });
    }

    private SupervisedProcess randomService() {
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

    private Planned planNetwork(Duration remaining) {
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
        return new Planned(
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

    private Planned planBroker() {
        List<SupervisedProcess> nodes = new ArrayList<>(lab.kafka().nodes());
        boolean two = nodes.size() >= 3 && random.nextBoolean();
        java.util.Collections.shuffle(nodes, random);
        List<SupervisedProcess> down = nodes.subList(0, two ? 2 : 1);
        Set<String> names = new HashSet<>();
        down.forEach(n -> names.add(n.name()));
        if (!two) {
            SupervisedProcess node = down.get(0);
            return new Planned(
                    FaultClass.BROKER,
                    "kill -9 broker " + node.name(),
                    names,
                    1,
                    () -> {
                        int before = node.restarts();
                        long pid = node.kill();
                        awaitBack(node, before);
                        return "kill -9 " + pid + ", restarted (pid " + node.pid() + ")";
                    });
        }
        return new Planned(
                FaultClass.BROKER,
                "two brokers down: "
                        + down.get(0).name()
                        + ", "
                        + down.get(1).name()
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
                    return String.join(", ", killed) + ", both restarted";
                });
    }

    // --- PostgreSQL -----------------------------------------------------------------------------

    private Planned planPostgresRestart() {
        return new Planned(
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

    /** True when one of the lab's processes is still stopped (state T): a bug of the nemesis. */
    public boolean anyStopped() {
        List<Long> pids = new ArrayList<>();
        lab.children().forEach(c -> pids.add(c.pid()));
        lab.kafka().nodes().forEach(n -> pids.add(n.pid()));
        pids.addAll(pidsOf("postgres"));
        return pids.stream().anyMatch(Pauses::isStopped) || !Pauses.stopped().isEmpty();
    }
}

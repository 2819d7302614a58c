package dev.exactlyonce.lab.chaos;

import dev.exactlyonce.lab.chaos.Strikes.Strike;
import dev.exactlyonce.lab.runner.Progress;
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

/**
 * The chaos run's adversary. A seeded {@link Random} draws, every 1–6 s, a fault of the enabled
 * {@link FaultClass classes} and a target, and runs it on a thread of its own, so faults overlap:
 * at most {@link #MAX_ACTIVE} at once, never two on the same target, never more than two Kafka
 * nodes down (stopped or killed) of three. Each fault's start and end go to the {@link History}.
 * Faults end by the run's end (a pause is cut short to fit); {@link #healAll()} — in a finally
 * block and a shutdown hook — undoes whatever may still be in force. What a fault does to which
 * process is for the {@link Strikes} to say: a lab's ({@link LabStrikes}) or kind's ({@link
 * KubectlStrikes}).
 */
public final class Nemesis {

    static final int MAX_ACTIVE = 3;
    static final int MAX_BROKERS_DOWN = 2;
    static final Duration RECOVERY = Duration.ofSeconds(90);

    private final Strikes strikes;
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
            Strikes strikes,
            Set<FaultClass> classes,
            long seed,
            History history,
            Progress progress) {
        this.strikes = strikes;
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
                Strike planned = plan(faultClass, remaining);
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
    private synchronized Strike plan(FaultClass faultClass, Duration remaining) {
        if (active >= MAX_ACTIVE || stopped) {
            return null;
        }
        Strike planned = strikes.plan(faultClass, remaining, random);
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

    private void strike(Strike planned) {
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

    /** Undoes every fault that may still be in force; safe to call any time, more than once. */
    public void healAll() {
        strikes.healAll();
    }
}

package dev.exactlyonce.lab.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM restarted like a Kubernetes container with {@code restartPolicy: Always}: whenever it
 * exits (a crash drill's halt, {@code kill -9}), the exit code is printed and it is started again
 * after a back-off: 1 s, doubling up to 16 s only while it keeps dying within 10 s of its start (a
 * crash loop), so that drills killing a healthy child see it back quickly every time. Its output is
 * appended to its log file, with a marker line per start.
 */
public final class SupervisedProcess {

    static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(16);
    static final Duration STABLE_AFTER = Duration.ofSeconds(10);

    private final ChildSpec spec;
    private final Progress progress;
    private final String java;
    private final Object lock = new Object();
    private Process process;
    private Instant startedAt;
    private int restarts;
    private boolean stopping;

    /** While held, an exited child is not restarted (a broker kept down by a drill). */
    private boolean held;

    private Thread watcher;

    public SupervisedProcess(ChildSpec spec, Progress progress) {
        this.spec = spec;
        this.progress = progress;
        this.java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public ChildSpec spec() {
        return spec;
    }

    public String name() {
        return spec.name();
    }

    public void start() throws IOException {
        synchronized (lock) {
            launch();
        }
        watcher = new Thread(this::superviseUntilStopped, "supervise-" + spec.name());
        watcher.setDaemon(true);
        watcher.start();
    }

    /** The current process' pid, or -1 between an exit and the restart. */
    public long pid() {
        synchronized (lock) {
            return process != null && process.isAlive() ? process.pid() : -1;
        }
    }

    public ProcessHandle handle() {
        synchronized (lock) {
            return process.toHandle();
        }
    }

    public int restarts() {
        synchronized (lock) {
            return restarts;
        }
    }

    /** What {@code kill -9 <pid>} does; the supervisor restarts the child afterwards. */
    public long kill() {
        synchronized (lock) {
            long pid = process.pid();
            process.destroyForcibly();
            return pid;
        }
    }

    /**
     * SIGTERM, like a pod's clean stop (a rolling restart); the supervisor restarts the child
     * afterwards.
     */
    public long terminate() {
        synchronized (lock) {
            long pid = process.pid();
            process.destroy();
            return pid;
        }
    }

    /** Keeps the child down once it exits (e.g. after {@link #kill()}) until {@link #release()}. */
    public void hold() {
        synchronized (lock) {
            held = true;
        }
    }

    /** Lets a held child be restarted. */
    public void release() {
        synchronized (lock) {
            held = false;
            lock.notifyAll();
        }
    }

    /**
     * SIGTERM (the services shut down gracefully and leave the consumer group), SIGKILL after
     * {@code grace}.
     */
    public void stop(Duration grace) {
        Process current;
        synchronized (lock) {
            stopping = true;
            lock.notifyAll();
            current = process;
        }
        if (current == null) {
            return;
        }
        current.destroy();
        try {
            if (!current.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                progress.line(
                        "  %s did not stop within %s; SIGKILL",
                        spec.name(), Progress.seconds(grace));
                current.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            if (watcher != null) {
                watcher.join(TimeUnit.SECONDS.toMillis(5));
            }
        } catch (InterruptedException e) {
            current.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private void launch() throws IOException {
        Files.createDirectories(spec.logFile().getParent());
        Files.writeString(
                spec.logFile(),
                "===== "
                        + Instant.now()
                        + " starting "
                        + spec.name()
                        + " (restart "
                        + restarts
                        + ") =====\n",
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        ProcessBuilder builder =
                new ProcessBuilder(spec.command(java))
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(spec.logFile().toFile()))
                        .redirectInput(ProcessBuilder.Redirect.from(nullFile()));
        builder.environment().putAll(spec.environment());
        process = builder.start();
        startedAt = Instant.now();
    }

    private void superviseUntilStopped() {
        Duration backoff = FIRST_BACKOFF;
        while (true) {
            Process current;
            synchronized (lock) {
                current = process;
            }
            int code = waitForExit(current);
            synchronized (lock) {
                if (stopping) {
                    return;
                }
                Duration uptime = Duration.between(startedAt, Instant.now());
                if (uptime.compareTo(STABLE_AFTER) >= 0) {
                    backoff = FIRST_BACKOFF;
                }
                restarts++;
                progress.line(
                        "%s (pid %d) exited with code %d%s after %s; restart #%d in %s",
                        spec.name(),
                        current.pid(),
                        code,
                        signal(code),
                        Progress.seconds(uptime),
                        restarts,
                        Progress.seconds(backoff));
                try {
                    // wait() releases the lock, so stop() can end the back-off early
                    long deadline = System.nanoTime() + backoff.toNanos();
                    while (!stopping && (held || System.nanoTime() < deadline)) {
                        // held: wait for release() (or stop()), which notify
                        lock.wait(
                                held
                                        ? 0
                                        : Math.max(
                                                1,
                                                TimeUnit.NANOSECONDS.toMillis(
                                                        deadline - System.nanoTime())));
                    }
                    if (stopping) {
                        return;
                    }
                    launch();
                    progress.line(
                            "%s restarted (pid %d, restart #%d)",
                            spec.name(), process.pid(), restarts);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (IOException e) {
                    progress.line("%s could not be restarted: %s", spec.name(), e.getMessage());
                    return;
                }
            }
            backoff =
                    backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
                            ? MAX_BACKOFF
                            : backoff.multipliedBy(2);
        }
    }

    private static int waitForExit(Process process) {
        while (true) {
            try {
                return process.waitFor();
            } catch (InterruptedException e) {
                // the watcher is a daemon; only stop() ends it, through the stopping flag
            }
        }
    }

    static String signal(int code) {
        return switch (code) {
            case 137 -> " (SIGKILL)";
            case 143 -> " (SIGTERM)";
            // platform's CrashDrillHalt.EXIT_CODE (EX_SOFTWARE)
            case 70 -> " (crash drill halt)";
            // platform's LoopFailureHalt.EXIT_CODE
            case 71 -> " (processing loop died)";
            default -> "";
        };
    }

    private static java.io.File nullFile() {
        return new java.io.File(
                System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }
}
